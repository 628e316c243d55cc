"""ml/kinds.py: the model kinds of training jobs (PROTOCOL.md "Version 3: training jobs").

Every bound is accepted at the bound and refused one past it; the vectorised scorer agrees with the
reference ``predict`` on random models within the bounds; the largest models and test sets have
the sizes PROTOCOL.md states.
"""
import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml import kinds
from ml.hashing import canon, sha256_hex

SALT = "ab" * 32
X = kinds.MAX_ABS_FEATURE


def linear(f=2, c=3, w=1, b=0):
    return {"kind": "linear", "weights": [[w] * f for _ in range(c)], "bias": [b] * c}


def knn(rows, labels, weights=None, k=1):
    return {"kind": "knn", "rows": rows, "labels": labels, "weights": weights or [1] * len(rows[0]), "k": k}


# -- inference: worked examples ---------------------------------------------------------------------

def test_linear_takes_the_largest_score_and_ties_go_to_the_lowest_class():
    model = {"kind": "linear", "weights": [[1, 0], [0, 1], [-1, -1]], "bias": [0, 0, 5]}
    assert kinds.predict(model, [3, 1]) == 0      # scores 3, 1, 1
    assert kinds.predict(model, [1, 3]) == 1      # 1, 3, 1
    assert kinds.predict(model, [2, 2]) == 0      # 2, 2, 1: a tie of 0 and 1 goes to 0
    assert kinds.predict(model, [-3, -3]) == 2    # -3, -3, 11
    assert kinds.predict(model, [0, 0]) == 2      # 0, 0, 5
    assert kinds.score(model, [[3, 1], [1, 3], [2, 2], [0, 0]], [0, 1, 1, 2]) == 3


def test_tree_goes_left_on_less_or_equal():
    # x0 <= 5 ? (x1 <= -2 ? class 2 : class 0) : class 1
    model = {"kind": "tree", "nodes": [[0, 5, 1, 4], [1, -2, 2, 3], [2], [0], [1]]}
    assert [kinds.predict(model, r) for r in ([5, -2], [5, -1], [6, -9], [-10000, 10000])] == [2, 0, 1, 0]
    assert kinds.score(model, [[5, -2], [5, -1], [6, -9]], [2, 0, 0]) == 2
    assert kinds.predict({"kind": "tree", "nodes": [[1]]}, [0]) == 1


def test_knn_uses_the_networks_distance_neighbour_and_vote_rules():
    rows = [[0, 0], [10, 0], [0, 10], [10, 10]]
    # weights [3, 1]: distance from (1, 9) is 9*(dx)^2 + (dy)^2 -> 82, 900 + 82 ... row 2 is nearest
    model = knn(rows, [0, 1, 2, 1], [3, 1], k=1)
    assert kinds.predict(model, [1, 9]) == 2
    # equal distances: the lower row index is the neighbour
    assert kinds.predict(knn(rows, [0, 1, 2, 1], k=1), [5, 5]) == 0
    # k = 2 from (5, 5): rows 0 and 1 (the lowest indices of four at the same distance): labels 1, 0 tie -> 0
    assert kinds.predict(knn(rows, [1, 0, 2, 2], k=2), [5, 5]) == 0
    # k = 3: rows 0, 1, 2 -> labels 2, 1, 1 -> 1
    assert kinds.predict(knn(rows, [2, 1, 1, 0], k=3), [5, 5]) == 1
    # a zero weight ignores its feature
    assert kinds.predict(knn([[0, 100], [1, 0]], [0, 1], [1, 0]), [0, 0]) == 0


def test_knn_matches_the_networks_iris_model():
    """The Iris base as a knn job model (units, the network's weights, k = 3) predicts the base test
    rows as the network's own model does (PROTOCOL.md "The model")."""
    from ml import iris_base, units
    base = iris_base()
    classes = list(base.classes)
    model = knn([[units(v) for v in r] for r in base.train], [classes.index(c) for c in base.train_labels],
                list(base.weights), k=3)
    assert kinds.check_model("knn", model, 4, len(classes)) is None
    test = [[units(v) for v in r] for r in base.test]
    labels = [classes.index(c) for c in base.test_labels]
    from ml import ledger_model
    network = ledger_model()
    ours = kinds.predict_all(model, test)
    assert ours == [classes.index(network.predict(list(r))["prediction"]) for r in base.test]
    assert ours == [kinds.predict(model, r) for r in test]
    assert kinds.score(model, test, labels) == network.summary()["test_correct"]


def test_commitments_are_the_hash_of_the_canonical_object():
    model = linear()
    assert kinds.model_commitment(model, SALT) == sha256_hex(canon({"model": model, "salt": SALT}))
    assert kinds.test_commitment([[1, 2]], [0], SALT) == sha256_hex(
        b'{"labels":[0],"rows":[[1,2]],"salt":"' + SALT.encode() + b'"}')
    assert kinds.model_commitment(model, SALT) != kinds.model_commitment(model, "cd" * 32)


# -- bounds: accepted at the bound, refused one past it ---------------------------------------------

def ok(kind, model, f, c):
    assert kinds.check_model(kind, model, f, c) is None, kinds.check_model(kind, model, f, c)


def refused(kind, model, f, c, words):
    problem = kinds.check_model(kind, model, f, c)
    assert problem is not None and words in problem, problem


def test_features_and_classes_bounds():
    ok("linear", linear(256, 16), 256, 16)
    ok("linear", linear(1, 2), 1, 2)
    refused("linear", linear(257, 16), 257, 16, "features")
    refused("linear", linear(0, 2), 0, 2, "features")
    refused("linear", linear(2, 17), 2, 17, "classes")
    refused("linear", linear(2, 1), 2, 1, "classes")
    refused("linear", linear(2, 2), True, 2, "features")


def test_linear_bounds():
    ok("linear", linear(w=10**9, b=10**15), 2, 3)
    ok("linear", linear(w=-10**9, b=-10**15), 2, 3)
    refused("linear", linear(w=10**9 + 1), 2, 3, "weights[0]")
    refused("linear", linear(w=-10**9 - 1), 2, 3, "weights[0]")
    refused("linear", linear(b=10**15 + 1), 2, 3, "bias")
    refused("linear", linear(b=-10**15 - 1), 2, 3, "bias")
    refused("linear", linear(f=3), 2, 3, "weights[0]")
    refused("linear", linear(c=2), 2, 3, "one row per class")
    bad = linear()
    bad["bias"] = [0, 0]
    refused("linear", bad, 2, 3, "bias")
    bad = linear()
    bad["weights"][1][0] = True
    refused("linear", bad, 2, 3, "weights[1]")
    bad = linear()
    bad["extra"] = 1
    refused("linear", bad, 2, 3, "exactly the keys")
    refused("tree", linear(), 2, 3, "exactly the keys")
    refused("forest", linear(), 2, 3, "kind must be")


def chain_tree(depth, features=1, classes=2):
    """A path of ``depth`` internal nodes, each with a leaf on its left: depth exactly ``depth``."""
    nodes = []
    for d in range(depth):
        nodes.append([0, d, 2 * d + 1, 2 * d + 2])
        nodes.append([d % classes])
    nodes.append([1])
    return {"kind": "tree", "nodes": nodes}


def test_tree_bounds():
    ok("tree", chain_tree(32), 1, 2)
    assert kinds.tree_depth(chain_tree(32)["nodes"]) == 32
    refused("tree", chain_tree(33), 1, 2, "deeper than 32")
    wide = {"kind": "tree", "nodes": [[0, 0, 4094, 4095]] * 4094 + [[0, 0, 4095, 4095], [1]]}
    ok("tree", wide, 1, 2)
    wide["nodes"].insert(0, [1])  # 4097 nodes (the first a leaf; children now off by one but checked after)
    refused("tree", wide, 1, 2, "1 to 4096 nodes")
    refused("tree", {"kind": "tree", "nodes": []}, 1, 2, "1 to 4096 nodes")
    for node, words in [([0, 10000, 1, 2], None), ([0, -10000, 1, 2], None),
                        ([0, 10001, 1, 2], "threshold"), ([0, -10001, 1, 2], "threshold"),
                        ([1, 0, 1, 2], None), ([2, 0, 1, 2], "feature"), ([-1, 0, 1, 2], "feature"),
                        ([0, 0, 0, 2], "children"), ([0, 0, 1, 3], "children"), ([0, 0, 2, 1], None),
                        ([0, 0, 1], "[class] or"), ([0, 0.5, 1, 2], "threshold"), ([0, False, 1, 2], "threshold")]:
        model = {"kind": "tree", "nodes": [node, [0], [1]]}
        if words is None:
            ok("tree", model, 2, 2)
        else:
            refused("tree", model, 2, 2, words)
    ok("tree", {"kind": "tree", "nodes": [[15]]}, 1, 16)
    refused("tree", {"kind": "tree", "nodes": [[16]]}, 1, 16, "class")
    refused("tree", {"kind": "tree", "nodes": [[-1]]}, 1, 16, "class")


def test_knn_bounds():
    ok("knn", knn([[X, -X]], [1]), 2, 2)
    refused("knn", knn([[X + 1, 0]], [1]), 2, 2, "rows[0]")
    refused("knn", knn([[0, -X - 1]], [1]), 2, 2, "rows[0]")
    refused("knn", knn([[0, 0]], [2]), 2, 2, "labels")
    refused("knn", knn([[0, 0]], [0, 1]), 2, 2, "labels")
    refused("knn", knn([[0, 0]], [0], k=2), 2, 2, "k must be 1 to 1")
    refused("knn", knn([[0, 0]], [0], k=0), 2, 2, "k must be")
    # rows: at most 128, and rows x features at most 1024
    ok("knn", knn([[0] * 4] * 128, [0] * 128, k=32), 4, 2)
    refused("knn", knn([[0] * 4] * 129, [0] * 129), 4, 2, "1 to 128 rows")
    refused("knn", knn([[0] * 4] * 128, [0] * 128, k=33), 4, 2, "k must be 1 to 32")
    ok("knn", knn([[0] * 8] * 128, [0] * 128), 8, 2)
    refused("knn", knn([[0] * 9] * 114, [0] * 114), 9, 2, "1 to 113 rows")
    ok("knn", knn([[0] * 64] * 16, [0] * 16), 64, 2)
    refused("knn", knn([[0] * 64] * 17, [0] * 17), 64, 2, "1 to 16 rows")
    ok("knn", knn([[0] * 256] * 4, [0] * 4), 256, 2)
    refused("knn", knn([[0] * 256] * 5, [0] * 5), 256, 2, "1 to 4 rows")
    refused("knn", knn([], [], [1, 1]), 2, 2, "rows")
    # weights: each >= 0, squares summing to at most 2 * 10^7
    limit = kinds.MAX_KNN_WEIGHT_SQUARES
    ok("knn", knn([[0, 0]], [0], [4000, 2000]), 2, 2)             # 16e6 + 4e6 = 2e7
    refused("knn", knn([[0, 0]], [0], [4000, 2001]), 2, 2, "squares")
    assert 4000**2 + 2000**2 == limit
    refused("knn", knn([[0, 0]], [0], [-1, 0]), 2, 2, "weights")
    refused("knn", knn([[0, 0]], [0], [1]), 2, 2, "weights")


def test_test_set_bounds():
    good = {"rows": [[X, -X]] * 3, "labels": [0, 1, 2], "salt": SALT}
    assert kinds.check_test_set(good, 2, 3, 3) is None
    for change, words in [({"salt": SALT.upper()}, "salt"), ({"salt": SALT[:-1]}, "salt"),
                          ({"labels": [0, 1, 3]}, "labels"), ({"labels": [0, 1]}, "labels"),
                          ({"rows": [[X + 1, 0]] * 3}, "rows[0]"), ({"rows": [[0, 0]] * 2}, "rows")]:
        bad = {**copy.deepcopy(good), **change}
        problem = kinds.check_test_set(bad, 2, 3, 3)
        assert problem is not None and words in problem, (change, problem)
    assert "exactly the keys" in kinds.check_test_set({**good, "extra": 1}, 2, 3, 3)
    assert kinds.check_test_set({"rows": [[0] * 64] * 256, "labels": [0] * 256, "salt": SALT}, 64, 2, 256) is None
    assert "1 to 256 rows" in kinds.check_test_set({"rows": [[0] * 4] * 257, "labels": [0] * 257, "salt": SALT},
                                                   4, 2, 257)
    assert "16384 values" in kinds.check_test_set({"rows": [[0] * 65] * 256, "labels": [0] * 256, "salt": SALT},
                                                  65, 2, 256)


def test_the_largest_models_and_test_set_have_the_stated_sizes():
    tree = {"kind": "tree", "nodes": [[255, -X, 4094, 4095]] * 4094 + [[255, -X, 4095, 4095], [15]]}
    ok("tree", tree, 256, 16)
    assert len(canon(tree)) == kinds.LARGEST_MODEL_BYTES
    big_linear = linear(256, 16, -10**9, -10**15)
    ok("linear", big_linear, 256, 16)
    assert len(canon(big_linear)) < kinds.LARGEST_MODEL_BYTES
    for f in (1, 4, 16, 64, 256):
        r = min(128, 1024 // f)
        weights = [279] * f if f == 256 else [0] * (f - 1) + [4472]
        big_knn = knn([[-X] * f] * r, [15] * r, weights, k=min(32, r))
        ok("knn", big_knn, f, 16)
        assert len(canon(big_knn)) < kinds.LARGEST_MODEL_BYTES
    test = {"rows": [[-X] * 64] * 256, "labels": [15] * 256, "salt": SALT}
    assert kinds.check_test_set(test, 64, 16, 256) is None
    assert len(canon(test)) == kinds.LARGEST_TEST_BYTES


def test_extreme_values_stay_exact():
    """At the bounds every intermediate stays below 2^53: the vectorised scorer and the reference agree."""
    big = {"kind": "linear", "weights": [[10**9] * 256, [-10**9] * 256], "bias": [-10**15, 10**15]}
    rows = [[X] * 256, [-X] * 256]
    assert kinds.predict_all(big, rows) == [kinds.predict(big, r) for r in rows] == [0, 1]
    # the bounds prove the 2^53 claim of PROTOCOL.md (a raised constant fails here)
    assert kinds.MAX_FEATURES * kinds.MAX_ABS_WEIGHT * X + kinds.MAX_ABS_BIAS < 2**53
    assert (2 * X) ** 2 * kinds.MAX_KNN_WEIGHT_SQUARES < 2**53
    far = knn([[X] * 4, [-X] * 4], [0, 1], [2236, 2236, 2236, 2236])
    assert sum(w * w for w in far["weights"]) <= kinds.MAX_KNN_WEIGHT_SQUARES
    assert kinds.predict_all(far, [[-X] * 4, [X] * 4]) == [1, 0]


# -- the vectorised scorer against the reference, on random models within the bounds ---------------

@st.composite
def model_and_rows(draw):
    kind = draw(st.sampled_from(kinds.KINDS))
    f = draw(st.integers(1, 8))
    c = draw(st.integers(2, 5))
    small = st.integers(-5, 5) if draw(st.booleans()) else st.integers(-X, X)  # small values: many ties
    if kind == "linear":
        w = st.integers(-3, 3) if draw(st.booleans()) else st.integers(-10**9, 10**9)
        model = {"kind": "linear", "weights": draw(st.lists(st.lists(w, min_size=f, max_size=f), min_size=c,
                                                            max_size=c)),
                 "bias": draw(st.lists(st.integers(-10**15, 10**15) | st.integers(-3, 3), min_size=c, max_size=c))}
    elif kind == "tree":
        n = draw(st.integers(1, 30))
        nodes = []
        for i in range(n):
            if i >= n - 1 or draw(st.booleans()):
                nodes.append([draw(st.integers(0, c - 1))])
            else:
                nodes.append([draw(st.integers(0, f - 1)), draw(small), draw(st.integers(i + 1, n - 1)),
                              draw(st.integers(i + 1, n - 1))])
        model = {"kind": "tree", "nodes": nodes}
    else:
        r = draw(st.integers(1, 12))
        model = {"kind": "knn", "rows": draw(st.lists(st.lists(small, min_size=f, max_size=f), min_size=r,
                                                      max_size=r)),
                 "labels": draw(st.lists(st.integers(0, c - 1), min_size=r, max_size=r)),
                 "weights": draw(st.lists(st.integers(0, 1500), min_size=f, max_size=f)),
                 "k": draw(st.integers(1, r))}
    rows = draw(st.lists(st.lists(small, min_size=f, max_size=f), min_size=1, max_size=10))
    labels = draw(st.lists(st.integers(0, c - 1), min_size=len(rows), max_size=len(rows)))
    return kind, f, c, model, rows, labels


@settings(max_examples=300, deadline=None)
@given(model_and_rows())
def test_vectorised_scoring_equals_the_reference(case):
    kind, f, c, model, rows, labels = case
    assert kinds.check_model(kind, model, f, c) is None
    expected = [kinds.predict(model, r) for r in rows]
    assert all(0 <= p < c for p in expected)
    assert kinds.predict_all(model, rows) == expected
    assert kinds.score(model, rows, labels) == sum(p == y for p, y in zip(expected, labels, strict=True))


@pytest.mark.parametrize("kind", kinds.KINDS)
def test_score_of_no_rows_is_zero(kind):
    model = {"linear": linear(), "tree": {"kind": "tree", "nodes": [[0]]}, "knn": knn([[0, 0]], [0])}[kind]
    assert kinds.score(model, [], []) == 0
