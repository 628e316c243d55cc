"""GET /model/drift on contributions with and without a shift."""
import numpy as np
import pytest

from ml import iris_base
from ml.drift import drift_report, ks_pvalue, ks_statistic

NAMES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def contribute(client, rows, labels):
    for i, (row, label) in enumerate(zip(rows, labels, strict=True)):
        body = {"sender": f"c{i}", **dict(zip(NAMES, map(float, row), strict=True)), "flower_type": label}
        assert client.post("/flower/add", json=body).status_code == 201
    assert client.post("/mine").status_code == 200


def resample_base(n, seed, shift=0.0):
    base = iris_base()
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(base.train), size=n)
    rows = base.train_units[pick] / 100 + rng.normal(0, 0.05, size=(n, 4))
    rows[:, 2] += shift  # petal_length only
    return np.clip(rows, 0.1, 99).round(2), [base.train_labels[i] for i in pick]


def test_no_drift_on_data_like_the_base(client):
    rows, labels = resample_base(60, seed=1)
    contribute(client, rows, labels)
    report = client.get("/model/drift?window=60").get_json()
    assert report["enough_data"] and report["recent_points"] == 60 and report["alpha"] == 0.01
    assert report["drifted"] is False and report["drifted_features"] == []
    assert set(report["features"]) == set(NAMES)


def test_a_shift_in_one_feature_is_named(client):
    rows, labels = resample_base(60, seed=2, shift=2.5)
    contribute(client, rows, labels)
    report = client.get("/model/drift?window=60").get_json()
    assert report["drifted"] is True and "petal_length" in report["drifted_features"]
    assert report["features"]["petal_length"]["mean_shift_std"] > 1
    assert report["features"]["petal_length"]["p_value"] < 0.01


def test_window_counts_the_latest_contributions_only(client):
    contribute(client, *resample_base(40, seed=3, shift=2.5))
    contribute(client, *resample_base(40, seed=4))
    assert client.get("/model/drift?window=40").get_json()["drifted"] is False
    assert client.get("/model/drift?window=80").get_json()["drifted"] is True


def test_too_few_points_and_bad_windows(client):
    report = client.get("/model/drift").get_json()
    assert report["enough_data"] is False and "at least 5" in report["message"]
    for bad in ("0", "4", "abc", "-5", "1e3"):
        r = client.get(f"/model/drift?window={bad}")
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("shift", [0.0, 0.3, 1.0])
def test_ks_agrees_with_scipy(shift):
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 120), rng.normal(shift, 1, 50)
    ref = ks_2samp(a, b, method="asymp")
    assert ks_statistic(a, b) == pytest.approx(ref.statistic, abs=1e-12)
    assert ks_pvalue(ks_statistic(a, b), 120, 50) == pytest.approx(ref.pvalue, abs=0.02)
    assert drift_report(a.reshape(-1, 1).repeat(4, 1), b.reshape(-1, 1).repeat(4, 1))["recent_points"] == 50
