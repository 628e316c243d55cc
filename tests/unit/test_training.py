"""ml/training.py: scikit-learn models turned into the integer kinds of ml/kinds.py.

Each conversion is checked by ``kinds.check_model``; the tree predicts exactly what sklearn's tree
predicts on integer rows it never saw; the linear model agrees with the float model; the knn is a
subset of the training rows within the bounds; the validation score claimed is what the reference
``kinds.predict`` gives on the held-out rows.
"""
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from ml import kinds, training
from ml.base import iris_base
from ml.measurements import units


@pytest.fixture(scope="module")
def iris():
    base = iris_base()
    classes = list(base.classes)
    rows = [[units(v) for v in r] for r in base.train]
    labels = [classes.index(c) for c in base.train_labels]
    test = [[units(v) for v in r] for r in base.test]
    test_labels = [classes.index(c) for c in base.test_labels]
    return rows, labels, test, test_labels


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return d.data.astype(int).tolist(), d.target.astype(int).tolist()


@pytest.mark.parametrize("kind", kinds.KINDS)
def test_the_claimed_validation_score_is_the_reference_score_on_the_held_out_rows(kind, iris):
    rows, labels, _, _ = iris
    trained = training.train(kind, rows, labels, 3, seed=3)
    assert kinds.check_model(kind, trained.model, 4, 3) is None
    held = trained.held_out
    assert len(held) == trained.validation_rows > 0 and trained.fit_rows + len(held) == len(rows)
    right = sum(kinds.predict(trained.model, rows[i]) == labels[i] for i in held)
    assert trained.validation_correct == right
    assert trained.validation_accuracy >= 0.85


@pytest.mark.parametrize("kind", kinds.KINDS)
def test_every_kind_predicts_the_iris_test_rows_it_never_saw(kind, iris):
    rows, labels, test, test_labels = iris
    trained = training.train(kind, rows, labels, 3, seed=0)
    assert kinds.score(trained.model, test, test_labels) >= 27   # of 30; the network's own KNN scores 30


def test_a_tree_predicts_exactly_what_sklearn_predicts_on_integer_rows(iris):
    rows, labels, test, _ = iris
    clf = DecisionTreeClassifier(random_state=0).fit(rows, labels)
    model = training.tree_from_sklearn(clf)
    assert kinds.check_model("tree", model, 4, 3) is None
    # at each split, x = threshold goes left and threshold + 1 right, as in sklearn
    probe = np.random.default_rng(1).integers(0, 800, size=(2000, 4)).tolist() + test
    for node in model["nodes"]:
        if len(node) == 4:
            f, t = node[0], node[1]
            for x in (t, t + 1):
                row = list(test[0])
                row[f] = x
                probe.append(row)
    assert kinds.predict_all(model, probe) == [int(c) for c in clf.predict(probe)]


def test_a_split_between_two_integers_keeps_them_apart():
    x = [[0], [1], [2], [3]]
    clf = DecisionTreeClassifier().fit(x, [0, 0, 1, 1])   # sklearn splits at 1.5
    model = training.tree_from_sklearn(clf)
    assert model["nodes"][0][:2] == [0, 1]                # x <= 1.5 is x <= 1 on integers
    assert kinds.predict_all(model, [[-5], [1], [2], [9]]) == [0, 0, 1, 1]


def test_a_linear_model_agrees_with_its_float_model(digits):
    rows, labels = digits
    trained = training.train("linear", rows, labels, 10, seed=0)
    assert kinds.check_model("linear", trained.model, 64, 10) is None
    assert trained.agreement is not None and trained.agreement >= 0.99
    assert trained.validation_accuracy >= 0.9


def test_a_linear_conversion_reproduces_sklearn_on_held_out_rows(iris):
    rows, labels, test, _ = iris
    clf = LogisticRegression(max_iter=5000).fit(rows, labels)   # on the raw integer features
    model = training.linear_from_sklearn(clf, 3)
    assert kinds.check_model("linear", model, 4, 3) is None
    assert max(abs(w) for row in model["weights"] for w in row) == kinds.MAX_ABS_WEIGHT  # the largest scale
    assert kinds.predict_all(model, test) == [int(c) for c in clf.predict(test)]


def test_binary_and_unseen_classes(iris):
    rows, labels, test, _ = iris
    pairs = [(r, y) for r, y in zip(rows, labels, strict=True) if y != 1]   # only classes 0 and 2 seen
    x, y = [r for r, _ in pairs], [y for _, y in pairs]
    clf = LogisticRegression(max_iter=5000).fit(x, y)
    model = training.linear_from_sklearn(clf, 3)
    assert kinds.check_model("linear", model, 4, 3) is None
    predicted = kinds.predict_all(model, test + x)
    assert 1 not in predicted
    assert predicted == [int(c) for c in clf.predict(test + x)]


def test_a_knn_is_a_subset_of_the_training_rows_within_the_bounds(digits):
    rows, labels = digits
    trained = training.train("knn", rows, labels, 10, seed=0)
    model = trained.model
    assert kinds.check_model("knn", model, 64, 10) is None
    assert len(model["rows"]) <= kinds.MAX_KNN_CELLS // 64 and len(model["rows"]) * 64 <= kinds.MAX_KNN_CELLS
    seen = {tuple(r): y for r, y in zip(rows, labels, strict=True)}
    assert all(tuple(r) in seen for r in model["rows"])
    assert sum(w * w for w in model["weights"]) <= kinds.MAX_KNN_WEIGHT_SQUARES
    assert trained.agreement is None
    assert trained.validation_accuracy > 0.5   # 16 rows for 10 classes: far from perfect, far from chance


def test_a_tree_stays_within_the_depth_bound(digits):
    rows, labels = digits
    trained = training.train("tree", rows, labels, 10, seed=0, max_depth=40)
    assert kinds.tree_depth(trained.model["nodes"]) <= kinds.MAX_DEPTH
    assert trained.agreement == 1.0


def test_training_is_deterministic_for_a_seed(iris):
    rows, labels, _, _ = iris
    assert training.train("knn", rows, labels, 3, seed=5) == training.train("knn", rows, labels, 3, seed=5)


@pytest.mark.parametrize("rows, labels, classes, problem", [
    ([[10_001, 0], [0, 0]], [0, 1], 2, "feature values"),
    ([[1, 2], [3, 4]], [0, 2], 2, "labels must be"),
    ([[1, 2]], [0], 2, "at least 2 rows"),
    ([[1, 2], [3, 4]], [0, 1], 17, "classes"),
])
def test_data_out_of_bounds_is_refused(rows, labels, classes, problem):
    with pytest.raises(training.TrainingError, match=problem):
        training.train("linear", rows, labels, classes)


def test_an_unknown_kind_is_refused(iris):
    rows, labels, _, _ = iris
    with pytest.raises(training.TrainingError, match="kind must be"):
        training.train("forest", rows, labels, 3)
