"""ml.metrics gives what scikit-learn's classification_report (output_dict=True, zero_division=0)
and confusion_matrix give, key for key and in the same order, on random and edge-case label sets;
and the node's evaluate no longer imports sklearn.metrics."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import classification_report as sk_report
from sklearn.metrics import confusion_matrix as sk_matrix

from ml.metrics import classification_report, confusion_matrix

LABELS = ["setosa", "versicolor", "virginica"]


def cases():
    rng = np.random.default_rng(20261203)
    for n in (1, 2, 7, 30, 200):
        for _ in range(8):
            truth = list(rng.choice(LABELS, size=n))
            predicted = list(rng.choice(LABELS, size=n))
            yield truth, predicted
    yield ["setosa"] * 5, ["setosa"] * 5                                  # one class only: the others divide by 0
    yield ["setosa", "versicolor"], ["virginica", "virginica"]            # nothing right
    yield ["setosa", "setosa", "virginica"], ["setosa", "versicolor", "virginica"]  # a class never true


@pytest.mark.parametrize("truth,predicted", list(cases()))
def test_the_report_and_matrix_are_scikit_learns(truth, predicted):
    want = sk_report(truth, predicted, labels=LABELS, output_dict=True, zero_division=0)
    got = classification_report(truth, predicted, LABELS)
    assert list(got) == list(want)
    for key, value in want.items():
        if isinstance(value, dict):
            assert list(got[key]) == list(value), key
            assert got[key] == pytest.approx(value, abs=1e-12), key
        else:
            assert got[key] == pytest.approx(value, abs=1e-12), key
    assert confusion_matrix(truth, predicted, LABELS) == sk_matrix(truth, predicted, labels=LABELS).tolist()


def test_evaluating_the_model_does_not_import_sklearn_metrics():
    code = ("import sys; from ml import IrisModel; m = IrisModel(); m.evaluate_model(); "
            "print('sklearn.metrics' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == "False"
