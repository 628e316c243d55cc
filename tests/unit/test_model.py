"""IrisModel on its own: the exact integer KNN of PROTOCOL.md, checked against a plain-Python
reading of the protocol text, against scikit-learn on data without ties, and for its own
incremental bookkeeping (staging, commits, rebuilding an earlier state)."""
from math import isqrt

import numpy as np
import pytest

from ml import BaseData, BaseDataError, InvalidFeatures, IrisModel, ModelError, next_model_hash
from ml.measurements import text

CLASSES = ["setosa", "versicolor", "virginica"]


@pytest.fixture(scope="module")
def base_model():
    return IrisModel()


def _random_rows(rng, n, low=10, high=800, grid=1):
    """Rows as measurement strings; a coarse ``grid`` makes exact distance ties common."""
    values = rng.integers(max(1, low // grid), high // grid, size=(n, 4)) * grid
    return [[text(int(v)) for v in row] for row in values]


# -- a second, deliberately plain implementation of PROTOCOL.md "The model" -------------------
def _units(s):
    return int(s.replace(".", ""))


def reference_weights(train):
    n, out = len(train), []
    for j in range(4):
        col = [_units(r[j]) for r in train]
        q = n * sum(v * v for v in col) - sum(col) ** 2
        out.append(1 if q == 0 else min(4096, max(1, isqrt(2**34 * n * n // q))))
    return out


def reference_predict(rows, labels, classes, weights, query, skip=None):
    scored = sorted((sum((w * (_units(a) - _units(b))) ** 2 for w, a, b in zip(weights, r, query, strict=True)), i)
                    for i, r in enumerate(rows) if i != skip)
    votes = [0] * len(classes)
    for _, i in scored[:3]:
        votes[classes.index(labels[i])] += 1
    return classes[votes.index(max(votes))], [i for _, i in scored[:3]]


# -- the base state -----------------------------------------------------------------------
def test_base_state(base_model):
    info = base_model.info()
    assert info["data_count"] == 120 and info["n_neighbors"] == 3
    assert info["classes"] == CLASSES and info["weights"] == [1597, 2930, 751, 1749]
    assert (info["test_correct"], info["test_rows"], info["accuracy"]) == (30, 30, 1.0)
    ev = base_model.evaluate_model()
    assert ev["accuracy"] == 1.0 and ev["test_samples"] == 30 and ev["data_points_trained"] == 120
    for cls in CLASSES:
        assert set(ev["class_metrics"][cls]) == {"precision", "recall", "f1-score", "support"}
    assert sum(map(sum, ev["confusion_matrix"]["matrix"])) == 30


def test_predict_shows_its_neighbours(base_model):
    out = base_model.predict([5.1, 3.5, 1.4, 0.2])
    assert out["prediction"] == "setosa" and out["probabilities"]["setosa"] == 1.0
    assert [set(n) for n in out["neighbours"]] == [{"row", "distance", "label"}] * 3
    distances = [n["distance"] for n in out["neighbours"]]
    assert distances == sorted(distances) and all(isinstance(d, int) for d in distances)
    assert base_model.predict(["6.90", "3.10", "5.80", "2.20"])["prediction"] == "virginica"


@pytest.mark.parametrize("features", [[1, 2, 3], [1, 2, 3, float("nan")], [1, 2, 3, float("inf")], [5.123, 2, 3, 4],
                                      ["5.1", 2, 3, 4], [True, 2, 3, 4], [0, 2, 3, 4], [100.01, 2, 3, 4], "abcd",
                                      None, [None] * 4])
def test_bad_features_are_refused_without_change(features):
    model = IrisModel()
    before = model.summary()
    assert model.add_data_point(features, "setosa") is False
    assert model.commit_data_points() == before
    with pytest.raises(InvalidFeatures):
        model.predict(features)


def test_bad_label_refused():
    assert IrisModel().add_data_point([5.0, 3.0, 1.0, 0.2], "rose") is False


def test_staged_points_change_nothing_until_commit():
    model = IrisModel()
    before = model.summary()
    assert model.add_data_point([5.0, 3.0, 1.0, 0.2], "setosa")
    assert model.summary() == before and model.data_count == 120
    model.discard_data_points()
    assert model.commit_data_points() == before


def test_commit_is_one_block_update_matching_the_preview():
    model = IrisModel()
    rows, labels = [["5.00", "3.00", "1.00", "0.20"], [6.5, 3.0, 5.5, 2.0]], ["setosa", "virginica"]
    preview = model.preview_update(rows, labels)
    assert model.data_count == 120  # preview changed nothing
    for r, label in zip(rows, labels, strict=True):
        model.add_data_point(r, label)
    summary = model.commit_data_points()
    assert summary == preview
    assert summary["data_points_trained"] == 122
    strings = [["5.00", "3.00", "1.00", "0.20"], ["6.50", "3.00", "5.50", "2.00"]]
    assert summary["model_hash"] == next_model_hash(IrisModel().state_hash, strings, labels)


@pytest.mark.parametrize("seed,grid", [(1, 1), (2, 50), (3, 100), (4, 200)])
def test_incremental_state_equals_the_protocol_read_plainly(seed, grid):
    """Blocks of random rows, many with exact ties (coarse grids): after every block, test_correct,
    every test row's neighbours and a leave-one-out prediction equal a plain recomputation."""
    rng = np.random.default_rng(seed)
    model = IrisModel()
    base = model.base
    rows, labels = [list(r) for r in base.train], list(base.train_labels)
    weights = reference_weights(rows)
    for _ in range(6):
        block = _random_rows(rng, int(rng.integers(1, 8)), grid=grid)
        block_labels = [CLASSES[int(c)] for c in rng.integers(0, 3, size=len(block))]
        for r, label in zip(block, block_labels, strict=True):
            assert model.add_data_point(r, label)
        summary = model.commit_data_points()
        rows += block
        labels += block_labels
        correct = 0
        for t, (query, truth) in enumerate(zip(base.test, base.test_labels, strict=True)):
            predicted, neighbours = reference_predict(rows, labels, CLASSES, weights, query)
            correct += predicted == truth
            assert model.state_.nb_idx[t].tolist() == neighbours
        assert summary["test_correct"] == correct and summary["data_points_trained"] == len(rows)
        probe = int(rng.integers(0, len(rows)))
        assert model.loo_predict(probe) == reference_predict(rows, labels, CLASSES, weights, rows[probe], skip=probe)[0]
        query = _random_rows(rng, 1, grid=grid)[0]
        assert model.predict(query)["prediction"] == reference_predict(rows, labels, CLASSES, weights, query)[0]


def test_an_earlier_state_is_rebuilt_exactly():
    rng = np.random.default_rng(5)
    model, states = IrisModel(), []
    for _ in range(8):
        for r in _random_rows(rng, 3, grid=50):
            model.add_data_point(r, CLASSES[int(rng.integers(0, 3))])
        states.append((model.summary(), model.state_.nb_idx.copy()))
    for summary, neighbours in states:
        again = model.at_size(summary["data_points_trained"])
        assert again.summary() == summary and again.state_.nb_idx.tolist() == neighbours.tolist()
    assert model.at_size(120).summary() == IrisModel().summary()
    with pytest.raises(ModelError):
        model.at_size(121)  # never a size between two blocks


def test_non_tie_predictions_equal_standard_scaler_and_knn():
    """On data without near ties the integer KNN predicts what scikit-learn's StandardScaler
    (fitted on the base) plus KNeighborsClassifier(3) predicts."""
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(11)
    model = IrisModel()
    extra = _random_rows(rng, 300, low=30, high=750)
    extra_labels = [CLASSES[int(c)] for c in rng.integers(0, 3, size=len(extra))]
    for r, label in zip(extra, extra_labels, strict=True):
        model.add_data_point(r, label)
    model.commit_data_points()
    to_f = lambda rows: np.array([[float(v) for v in r] for r in rows])  # noqa: E731
    scaler = StandardScaler().fit(to_f(model.base.train))
    x = scaler.transform(to_f(list(model.base.train) + extra))
    knn = KNeighborsClassifier(3).fit(x, list(model.base.train_labels) + extra_labels)
    queries = _random_rows(rng, 400, low=30, high=750)
    compared = 0
    for q in queries:
        dist, _ = knn.kneighbors(scaler.transform(to_f([q])), n_neighbors=4)
        d = dist[0]
        if d[3] - d[2] < 1e-3 * d[3] or d[2] - d[1] < 1e-3 * d[2]:
            continue  # a near tie: the frozen integer weights may order it differently, by design
        compared += 1
        assert model.predict(q)["prediction"] == knn.predict(scaler.transform(to_f([q])))[0], q
    assert compared >= 300


def test_fresh_is_the_base_state():
    model = IrisModel()
    model.add_data_point([5.0, 3.0, 1.0, 0.2], "setosa")
    model.commit_data_points()
    assert model.fresh().summary() == IrisModel().summary()


def test_custom_base_data():
    base = BaseData.from_dict({"classes": ["a", "b"], "train": [["1.00"] * 4, ["2.00"] * 4, ["9.00"] * 4, ["8.00"] * 4],
                               "train_labels": ["a", "a", "b", "b"], "test": [["1.50"] * 4], "test_labels": ["a"]})
    model = IrisModel(base=base)
    assert model.predict(["8.50"] * 4)["prediction"] == "b"
    assert model.summary()["test_correct"] == 1
    for bad in ({"classes": ["a"], "train": [], "train_labels": [], "test": [], "test_labels": []},
                {"classes": ["a", "b"], "train": [["1.00"] * 4] * 2, "train_labels": ["a", "b"], "test": [["1.00"] * 4],
                 "test_labels": ["a"]},
                {"classes": ["a", "b"], "train": [[1.0] * 4] * 3, "train_labels": ["a", "b", "a"],
                 "test": [["1.00"] * 4], "test_labels": ["a"]},
                {"classes": ["A", "b"], "train": [["1.00"] * 4] * 3, "train_labels": ["A", "b", "b"],
                 "test": [["1.00"] * 4], "test_labels": ["b"]}):
        with pytest.raises(BaseDataError):
            BaseData.from_dict(bad)
