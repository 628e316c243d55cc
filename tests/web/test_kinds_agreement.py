"""Python (ml/kinds.py, blockchain/jobs.py) and JavaScript (web/kinds.js) agree on random jobs.

Hypothesis draws models of every kind within the bounds (large values and small ones, so that
scores and distances tie), some with one value replaced by one past a bound or of the wrong type;
rows, labels, salts, worker addresses, test sets (some broken), JOB bodies (some broken) and settlements. Both
implementations judge each (valid or not) and give the same predictions, score, commitments and
JOB_SETTLE data. The fixed vectors are tests/unit/test_job_vectors.py and tests/web/kinds.test.js.
"""
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from blockchain import jobs
from ml import kinds

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
X = kinds.MAX_ABS_FEATURE
pytestmark = pytest.mark.skipif(NODE is None, reason="no Node.js here; web/kinds.js needs it")


def values(draw):
    return st.integers(-3, 3) if draw(st.booleans()) else st.integers(-X, X)


@st.composite
def valid_model(draw, kind, f, c):
    small = values(draw)
    if kind == "linear":
        w = st.integers(-3, 3) if draw(st.booleans()) else st.integers(-kinds.MAX_ABS_WEIGHT, kinds.MAX_ABS_WEIGHT)
        b = st.integers(-5, 5) if draw(st.booleans()) else st.integers(-kinds.MAX_ABS_BIAS, kinds.MAX_ABS_BIAS)
        return {"kind": "linear", "weights": draw(st.lists(st.lists(w, min_size=f, max_size=f), min_size=c,
                                                           max_size=c)),
                "bias": draw(st.lists(b, min_size=c, max_size=c))}
    if kind == "tree":
        n = draw(st.integers(1, 40))
        nodes = []
        for i in range(n):
            if i == n - 1 or draw(st.integers(0, 2)) == 0:
                nodes.append([draw(st.integers(0, c - 1))])
            else:
                nodes.append([draw(st.integers(0, f - 1)), draw(small), draw(st.integers(i + 1, n - 1)),
                              draw(st.integers(i + 1, n - 1))])
        return {"kind": "tree", "nodes": nodes}
    r = draw(st.integers(1, 20))
    squares = kinds.MAX_KNN_WEIGHT_SQUARES // f
    top = int(squares ** 0.5)
    return {"kind": "knn", "rows": draw(st.lists(st.lists(small, min_size=f, max_size=f), min_size=r, max_size=r)),
            "labels": draw(st.lists(st.integers(0, c - 1), min_size=r, max_size=r)),
            "weights": draw(st.lists(st.integers(0, 3) | st.integers(0, top), min_size=f, max_size=f)),
            "k": draw(st.integers(1, min(r, kinds.MAX_K)))}


JOB = {"kind": "knn", "train": {"flowers_to": 4}, "features": list(jobs.FLOWER_FEATURES),
       "classes": ["setosa", "versicolor", "virginica"], "test_commitment": "0" * 64, "test_rows": 30, "stake": 5,
       "max_commits": 16, "commit_blocks": 1, "test_blocks": 10_000, "model_blocks": 2}
BREAKERS = [True, False, None, 0.5, "1", [], {}, X + 1, -X - 1, 10**9 + 1, 10**15 + 1, 2**53, -1, 4096, 17, 0, 1,
            2, 3, 4, 5, 10**12 + 1, 10_001, 257, "a" * 64, "sepal_length", "setosa", "artifact"]


@st.composite
def broken(draw, model):
    """The model with one value (anywhere in it) replaced by a value that may be out of bounds or the wrong type."""
    model = json.loads(json.dumps(model))
    spots = []

    def walk(v):
        if isinstance(v, list):
            for i, x in enumerate(v):
                spots.append((v, i))
                walk(x)
        elif isinstance(v, dict):
            for key in sorted(v):
                spots.append((v, key))
                walk(v[key])
    walk(model)
    holder, key = draw(st.sampled_from(spots))
    holder[key] = draw(st.sampled_from(BREAKERS))
    return model


@st.composite
def case(draw):
    kind = draw(st.sampled_from(kinds.KINDS))
    f = draw(st.integers(1, 6))
    c = draw(st.integers(2, 5))
    model = draw(valid_model(kind, f, c))
    if draw(st.integers(0, 3)) == 0:
        model = draw(broken(model))
    small = values(draw)
    rows = draw(st.lists(st.lists(small, min_size=f, max_size=f), min_size=1, max_size=12))
    labels = draw(st.lists(st.integers(0, c - 1), min_size=len(rows), max_size=len(rows)))
    salt = draw(st.text("0123456789abcdef", min_size=64, max_size=64))
    worker = draw(st.text("0123456789abcdef", min_size=40, max_size=40) | st.text("abcxyz-_", min_size=1, max_size=8))
    revealed = draw(st.booleans())
    n = draw(st.integers(0, 16))
    scores = draw(st.lists(st.none() | st.integers(0, 256), min_size=n, max_size=n)) if revealed else [None] * n
    positions = draw(st.permutations(range(n)))
    commitments = [[f"w{i}", 10 + positions[i] // 4, positions[i] % 4 + 1, s] for i, s in enumerate(scores)]
    settle = ["req", draw(st.integers(1, 10**12)), draw(st.integers(1, 10**12)), revealed, commitments]
    test = {"rows": rows, "labels": labels, "salt": salt}
    if draw(st.integers(0, 2)) == 0:
        test = draw(broken(test))
    test_rows = len(rows) if draw(st.integers(0, 4)) else draw(st.integers(0, 300))
    job = draw(broken(JOB)) if draw(st.booleans()) else dict(JOB)
    return {"kind": kind, "features": f, "classes": c, "model": model, "rows": rows, "labels": labels,
            "salt": salt, "worker": worker, "settle": settle, "test": test, "test_rows": test_rows, "job": job,
            "network_classes": ["setosa", "versicolor", "virginica"], "height": draw(st.integers(0, 8))}


def python_answer(c):
    problem = kinds.check_model(c["kind"], c["model"], c["features"], c["classes"])
    answer = {"valid": problem is None}
    if problem is None:
        answer["predictions"] = [kinds.predict(c["model"], r) for r in c["rows"]]
        assert kinds.predict_all(c["model"], c["rows"]) == answer["predictions"]
        answer["score"] = kinds.score(c["model"], c["rows"], c["labels"])
        answer["commitment"] = kinds.model_commitment(c["model"], c["salt"], c["worker"])
    requester, bounty, stake, revealed, cs = c["settle"]
    answer["settle"] = jobs.settle(requester, bounty, stake, revealed, [jobs.Commitment(*x) for x in cs]).data()
    t = c["test"]
    answer["test_valid"] = kinds.check_test_set(t, c["features"], c["classes"], c["test_rows"]) is None
    if answer["test_valid"]:
        answer["test_commitment"] = kinds.test_commitment(t["rows"], t["labels"], t["salt"])
    answer["job_valid"] = jobs.job_problem(c["job"], c["network_classes"], c["height"]) is None
    return answer


# No shrinking: a failing batch of 40 cases is reported as drawn (the assertion names the case), in seconds.
@settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(case(), min_size=40, max_size=40))
def test_python_and_javascript_agree_on_random_jobs(cases):
    run = subprocess.run([NODE, "tests/web/kinds_oracle.mjs"], cwd=ROOT, input=json.dumps(cases),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    js = json.loads(run.stdout)
    assert len(js) == len(cases)
    for c, theirs in zip(cases, js, strict=True):
        assert theirs == python_answer(c), json.dumps(c)[:2000]
