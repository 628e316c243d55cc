"""IrisModel on its own: base state, staging and commits, predictions, evaluation."""
import math

import numpy as np
import pytest

from ml import BaseData, BaseDataError, InvalidFeatures, IrisModel, next_model_hash


@pytest.fixture(scope="module")
def base_model():
    return IrisModel()


def test_base_state(base_model):
    info = base_model.info()
    assert info["data_count"] == 120 and info["n_neighbors"] == 3
    assert info["classes"] == ["setosa", "versicolor", "virginica"]
    ev = base_model.evaluate_model()
    assert ev["accuracy"] == 1.0 and ev["test_samples"] == 30 and ev["data_points_trained"] == 120
    for cls in info["classes"]:
        assert set(ev["class_metrics"][cls]) == {"precision", "recall", "f1-score", "support"}
    assert sum(map(sum, ev["confusion_matrix"]["matrix"])) == 30


def test_predict(base_model):
    label, proba = base_model.predict([5.1, 3.5, 1.4, 0.2])
    assert label == "setosa" and proba["setosa"] == 1.0
    assert math.isclose(sum(proba.values()), 1.0)
    assert base_model.predict([6.9, 3.1, 5.8, 2.2])[0] == "virginica"


@pytest.mark.parametrize("features", [[1, 2, 3], [1, 2, 3, float("nan")], [1, 2, 3, float("inf")],
                                      ["1", 2, 3, 4], [True, 2, 3, 4], "abcd", None, [None] * 4])
def test_bad_features_are_refused_without_change(features):
    model = IrisModel()
    before = model.summary()
    assert model.add_data_point(features, "setosa") is False
    assert model.commit_data_points() == before
    with pytest.raises(InvalidFeatures):
        model.predict(features)


def test_bad_label_refused():
    model = IrisModel()
    assert model.add_data_point([5.0, 3.0, 1.0, 0.2], "rose") is False


def test_staged_points_change_nothing_until_commit():
    model = IrisModel()
    before = model.summary()
    assert model.add_data_point([5.0, 3.0, 1.0, 0.2], "setosa")
    assert model.summary() == before and model.data_count == 120
    model.discard_data_points()
    assert model.commit_data_points() == before


def test_commit_is_one_block_update_matching_the_preview():
    model = IrisModel()
    rows, labels = [[5.0, 3.0, 1.0, 0.2], [6.5, 3.0, 5.5, 2.0]], ["setosa", "virginica"]
    preview = model.preview_update(rows, labels)
    assert model.data_count == 120  # preview changed nothing
    for r, label in zip(rows, labels):
        model.add_data_point(r, label)
    summary = model.commit_data_points()
    assert summary == preview
    assert summary["data_points_trained"] == 122
    assert summary["model_hash"] == next_model_hash(IrisModel().state_hash, rows, labels)


def test_refit_once_per_block_equals_refit_per_row():
    rows = [[5.0 + i / 10, 3.0, 1.0 + i / 10, 0.2] for i in range(20)]
    labels = ["setosa"] * 10 + ["versicolor"] * 10
    batch, single = IrisModel(), IrisModel()
    batch.preview_update(rows, labels)
    for r, label in zip(rows, labels):
        batch.add_data_point(r, label)
    batch.commit_data_points()
    # The same rows as one block each give the same training set (the hash chain differs, by design).
    for r, label in zip(rows, labels):
        single.add_data_point(r, label)
        single.commit_data_points()
    grid = np.random.default_rng(0).uniform(0.5, 8, size=(50, 4))
    assert [batch.predict(list(g))[0] for g in grid] == [single.predict(list(g))[0] for g in grid]
    assert batch.data_count == single.data_count == 140


def test_fresh_is_the_base_state():
    model = IrisModel()
    model.add_data_point([5.0, 3.0, 1.0, 0.2], "setosa")
    model.commit_data_points()
    assert model.fresh().summary() == IrisModel().summary()


def test_custom_base_data():
    base = BaseData.from_dict({"train_rows": [[1, 1, 1, 1], [2, 2, 2, 2], [9, 9, 9, 9], [8, 8, 8, 8]],
                               "train_labels": ["setosa", "setosa", "virginica", "virginica"],
                               "test_rows": [[1.5, 1.5, 1.5, 1.5]], "test_labels": ["setosa"]})
    model = IrisModel(base=base)
    assert model.data_count == 4 and model.summary()["accuracy"] == 1.0
    assert model.state_hash != IrisModel().state_hash
    with pytest.raises(BaseDataError):
        BaseData.from_dict({"train_rows": [[1, 2]], "train_labels": ["a"], "test_rows": [], "test_labels": []})


@pytest.mark.parametrize("seed", range(12))
def test_fast_accuracy_path_equals_the_estimator_even_with_ties(seed):
    """knn_predict_codes must answer exactly what KNeighborsClassifier(3) predicts, or nodes
    would disagree about MODEL_UPDATE accuracies. Data on a coarse grid, with duplicated points
    carrying different labels, makes distance ties and vote ties common."""
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import StandardScaler

    from ml.model import knn_predict_codes

    rng = np.random.default_rng(seed)
    n = int(rng.integers(7, 400))
    x = rng.integers(1, 5, size=(n, 4)).astype(float)  # few distinct values: many equal distances
    x = np.vstack([x, x[: n // 3]])                      # exact duplicates...
    y = rng.integers(0, 3, size=len(x))                  # ...with labels that may differ
    y[:3] = [0, 1, 2]
    queries = rng.integers(1, 5, size=(60, 4)).astype(float)
    scaler = StandardScaler().fit(x)
    xs, qs = scaler.transform(x), scaler.transform(queries)
    expected = KNeighborsClassifier(n_neighbors=3).fit(xs, y).predict(qs)
    assert np.array_equal(knn_predict_codes(xs, y, qs, 3, 3), expected)


def test_tiny_training_sets_use_the_estimator_itself():
    from sklearn.neighbors import KNeighborsClassifier

    from ml.model import knn_predict_codes

    x = np.array([[0.0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]])
    y = np.array([0, 1, 2, 2, 1])
    q = np.array([[1.0, 1, 1, 1], [2.5, 2.5, 2.5, 2.5]])
    assert np.array_equal(knn_predict_codes(x, y, q, 3, 3), KNeighborsClassifier(3).fit(x, y).predict(q))


def test_model_predictions_match_a_plain_scikit_learn_pipeline():
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import StandardScaler

    model = _grown_model()
    x = np.asarray(model.fitted_.x)
    labels = np.asarray(model.classes_)[model.fitted_.y]
    scaler = StandardScaler().fit(x)
    knn = KNeighborsClassifier(n_neighbors=3).fit(scaler.transform(x), labels)
    grid = np.random.default_rng(3).uniform(0.5, 8, size=(300, 4))
    assert [model.predict(list(g))[0] for g in grid] == list(knn.predict(scaler.transform(grid)))
    test_pred = knn.predict(scaler.transform(np.asarray(model.base.test_rows)))
    assert model.summary()["accuracy"] == round(float(np.mean(test_pred == np.asarray(model.base.test_labels))), 6)


def _grown_model():
    model = IrisModel()
    rng = np.random.default_rng(11)
    for _ in range(20):
        for _ in range(5):
            model.add_data_point(list(rng.uniform(0.5, 8, size=4)), str(rng.choice(model.classes_)))
        model.commit_data_points()
    return model


def test_predict_probabilities_equal_the_estimators():
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import StandardScaler

    model = _grown_model()
    x = np.asarray(model.fitted_.x)
    scaler = StandardScaler().fit(x)
    knn = KNeighborsClassifier(n_neighbors=3).fit(scaler.transform(x), model.fitted_.y)
    grid = np.random.default_rng(5).integers(1, 8, size=(300, 4)).astype(float)  # grid points: ties
    expected = knn.predict_proba(scaler.transform(grid))
    for point, proba in zip(grid, expected):
        label, got = model.predict(list(point))
        assert [got[c] for c in model.classes_] == [round(float(p), 6) for p in proba]
        assert label == model.classes_[int(np.argmax(proba))]
