"""Build tests/vectors/jobs-v3.json: the worked examples of PROTOCOL.md "Version 3: training jobs".

    .venv/bin/python scripts/build_job_vectors.py [--check]

Everything is fixed data or integer arithmetic (``ml/kinds.py``, ``blockchain/jobs.py``), so every
run writes the same bytes (``--check`` exits 1 if the file differs from a rebuild). The file holds:
models of each kind with their commitments (for a stated worker address), predictions and scores
on a test set; model commitments with their canonical text (one model and salt, two workers); a model and a
test set one past every bound (every implementation must refuse them); settlements of every case;
job windows; JOB bodies valid and invalid.
"""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from blockchain import jobs  # noqa: E402
from blockchain.jobs import Commitment, Windows  # noqa: E402
from ml import iris_base, kinds, units  # noqa: E402
from ml.hashing import canon  # noqa: E402
from testkit.vectorfile import write_or_check  # noqa: E402

OUT = ROOT / "tests" / "vectors" / "jobs-v3.json"
SALT_TEST = "5a17" * 16
SALT_MODEL = "0123456789abcdef" * 4
WORKER = "a1" * 20    # the address that sends the JOB_COMMIT (and the JOB_MODEL) of every model case
RIVAL = "b2" * 20     # another address: the same model and salt commit to another hash
X = kinds.MAX_ABS_FEATURE


def iris() -> tuple[list[str], list[list[int]], list[int], list[list[int]], list[int]]:
    base = iris_base()
    classes = list(base.classes)
    return (classes, [[units(v) for v in r] for r in base.train], [classes.index(c) for c in base.train_labels],
            [[units(v) for v in r] for r in base.test], [classes.index(c) for c in base.test_labels])


def example(name: str, model: dict[str, Any], features: int, classes: int, rows: list[list[int]],
            labels: list[int], salt_test: str = SALT_TEST) -> dict[str, Any]:
    problem = kinds.check_model(model["kind"], model, features, classes)
    assert problem is None, (name, problem)
    test = {"rows": rows, "labels": labels, "salt": salt_test}
    assert kinds.check_test_set(test, features, classes, len(rows)) is None, name
    predictions = [kinds.predict(model, r) for r in rows]
    assert kinds.predict_all(model, rows) == predictions, name
    return {"name": name, "features": features, "classes": classes, "model": model, "model_salt": SALT_MODEL,
            "model_worker": WORKER, "model_commitment": kinds.model_commitment(model, SALT_MODEL, WORKER),
            "model_canon_bytes": len(canon(model)), "test": test,
            "test_commitment": kinds.test_commitment(rows, labels, salt_test),
            "predictions": predictions, "score": kinds.score(model, rows, labels)}


def models() -> list[dict[str, Any]]:
    classes, train, train_labels, test, test_labels = iris()
    c = len(classes)
    out = [
        example("iris knn: the base training rows, the network's weights, k = 3 (the network's own model)",
                {"kind": "knn", "rows": train, "labels": train_labels, "weights": list(iris_base().weights), "k": 3},
                4, c, test, test_labels),
        example("iris tree: petal_length <= 245 setosa; else petal_width <= 165 versicolor; else virginica",
                {"kind": "tree", "nodes": [[2, 245, 1, 2], [0], [3, 165, 3, 4], [1], [2]]}, 4, c, test, test_labels),
        example("iris linear: setosa 2500 - 10 pl, versicolor 0, virginica 10 pl + 10 pw - 6500",
                {"kind": "linear", "weights": [[0, 0, -10, 0], [0, 0, 0, 0], [0, 0, 10, 10]], "bias": [2500, 0, -6500]},
                4, c, test, test_labels),
        example("linear ties go to the lowest class index",
                {"kind": "linear", "weights": [[1, 0], [0, 1], [-1, -1]], "bias": [0, 0, 5]}, 2, 3,
                [[3, 1], [1, 3], [2, 2], [-3, -3], [0, 0]], [0, 1, 1, 2, 0]),
        example("tree: x[f] <= threshold goes left, a leaf-only tree, shared children",
                {"kind": "tree", "nodes": [[0, 5, 1, 2], [1, -2, 3, 4], [1, 0, 3, 4], [2], [0]]}, 2, 3,
                [[5, -2], [5, -1], [6, 0], [6, 1], [-10000, 10000]], [2, 0, 2, 1, 0]),
        example("a tree that is one leaf", {"kind": "tree", "nodes": [[1]]}, 1, 2, [[0], [7]], [1, 0]),
        example("knn: equal distances go to the lower row index, then the vote to the lowest class",
                {"kind": "knn", "rows": [[0, 0], [10, 0], [0, 10], [10, 10]], "labels": [1, 0, 2, 2],
                 "weights": [3, 1], "k": 2}, 2, 3, [[5, 5], [1, 9], [10, 10], [9, 1]], [0, 2, 2, 0]),
        example("knn at the extremes: distance 4 * (2236 * 20000)^2 = 7999817984000000 < 2^53",
                {"kind": "knn", "rows": [[X] * 4, [-X] * 4], "labels": [0, 1], "weights": [2236] * 4, "k": 1},
                4, 2, [[-X] * 4, [X] * 4, [0, 0, 0, 1]], [1, 0, 0]),
        example("linear at the extremes: 256 * 10^9 * 10^4 + 10^15 = 3560000000000000 < 2^53",
                {"kind": "linear", "weights": [[10**9] * 256, [-10**9] * 256], "bias": [-10**15, 10**15]},
                256, 2, [[X] * 256, [-X] * 256], [0, 1]),
    ]
    return out


def refused_models() -> list[dict[str, Any]]:
    """Models one past a bound (or malformed): every implementation refuses each."""
    lin = {"kind": "linear", "weights": [[1, 1], [1, 1], [1, 1]], "bias": [0, 0, 0]}
    knn = {"kind": "knn", "rows": [[0, 0], [1, 1]], "labels": [0, 1], "weights": [1, 1], "k": 1}
    tree = {"kind": "tree", "nodes": [[0, 0, 1, 2], [0], [1]]}
    cases: list[tuple[str, str, dict[str, Any] | Any, int, int]] = []

    def vary(name: str, base: dict[str, Any], path: list[Any], value: Any, f: int = 2, c: int = 3) -> None:
        m = copy.deepcopy(base)
        at = m
        for p in path[:-1]:
            at = at[p]
        at[path[-1]] = value
        cases.append((name, base["kind"], m, f, c))

    vary("linear weight 10^9 + 1", lin, ["weights", 0, 0], 10**9 + 1)
    vary("linear weight -10^9 - 1", lin, ["weights", 2, 1], -10**9 - 1)
    vary("linear bias 10^15 + 1", lin, ["bias", 1], 10**15 + 1)
    vary("linear bias -10^15 - 1", lin, ["bias", 0], -10**15 - 1)
    vary("linear weight true", lin, ["weights", 0, 0], True)
    vary("linear weight 0.5", lin, ["weights", 0, 0], 0.5)
    vary("linear weight a string", lin, ["weights", 0, 0], "1")
    vary("linear: a weight row short", lin, ["weights", 1], [1])
    vary("linear: one weight row too few", lin, ["weights"], [[1, 1], [1, 1]])
    vary("linear: bias too long", lin, ["bias"], [0, 0, 0, 0])
    vary("linear: an extra key", lin, ["extra"], 1)
    vary("linear: kind says tree", lin, ["kind"], "tree")
    cases.append(("features 257", "linear", {"kind": "linear", "weights": [[0] * 257] * 2, "bias": [0, 0]}, 257, 2))
    cases.append(("features 0", "linear", {"kind": "linear", "weights": [[], []], "bias": [0, 0]}, 0, 2))
    cases.append(("classes 17", "linear", {"kind": "linear", "weights": [[0]] * 17, "bias": [0] * 17}, 1, 17))
    cases.append(("classes 1", "linear", {"kind": "linear", "weights": [[0]], "bias": [0]}, 1, 1))
    cases.append(("kind forest", "forest", lin, 2, 3))
    vary("tree threshold 10001", tree, ["nodes", 0, 1], X + 1)
    vary("tree threshold -10001", tree, ["nodes", 0, 1], -X - 1)
    vary("tree feature = features", tree, ["nodes", 0, 0], 2)
    vary("tree feature -1", tree, ["nodes", 0, 0], -1)
    vary("tree child = its own index", tree, ["nodes", 0, 2], 0)
    vary("tree child past the last node", tree, ["nodes", 0, 3], 3)
    vary("tree leaf class = classes", tree, ["nodes", 1, 0], 3)
    vary("tree node of 3 integers", tree, ["nodes", 0], [0, 0, 1])
    vary("tree node of 2 integers", tree, ["nodes", 1], [0, 1])
    vary("tree with no nodes", tree, ["nodes"], [])
    cases.append(("tree of 4097 nodes", "tree", {"kind": "tree", "nodes": [[0, 0, 4095, 4096]] * 4095 + [
        [0, 0, 4096, 4096], [1]]}, 1, 2))
    deep: list[list[int]] = []
    for d in range(33):
        deep += [[0, d, 2 * d + 1, 2 * d + 2], [0]]
    cases.append(("tree of depth 33", "tree", {"kind": "tree", "nodes": deep + [[1]]}, 1, 2))
    cases.append(("tree child pointing back (a cycle)", "tree", {"kind": "tree", "nodes": [[0, 0, 1, 2], [0, 0, 0, 2],
                                                                                            [1]]}, 1, 2))
    vary("knn feature 10001", knn, ["rows", 1, 0], X + 1)
    vary("knn feature -10001", knn, ["rows", 0, 1], -X - 1)
    vary("knn label = classes", knn, ["labels", 1], 3)
    vary("knn labels too few", knn, ["labels"], [0])
    vary("knn k 0", knn, ["k"], 0)
    vary("knn k past the rows", knn, ["k"], 3)
    vary("knn weight -1", knn, ["weights", 0], -1)
    vary("knn weights' squares 4000^2 + 2001^2 > 2 * 10^7", knn, ["weights"], [4000, 2001])
    vary("knn weights too few", knn, ["weights"], [1])
    vary("knn with no rows", knn, ["rows"], [])
    cases.append(("knn of 129 rows", "knn", {"kind": "knn", "rows": [[0]] * 129, "labels": [0] * 129,
                                              "weights": [1], "k": 1}, 1, 2))
    cases.append(("knn of 17 rows of 64 features (1088 values > 1024)", "knn",
                  {"kind": "knn", "rows": [[0] * 64] * 17, "labels": [0] * 17, "weights": [1] * 64, "k": 1}, 64, 2))
    cases.append(("knn k 33", "knn", {"kind": "knn", "rows": [[0]] * 40, "labels": [0] * 40, "weights": [1],
                                       "k": 33}, 1, 2))
    cases.append(("a model that is a list", "knn", [knn], 2, 3))
    out = []
    for name, kind, model, f, c in cases:
        assert kinds.check_model(kind, model, f, c) is not None, name
        out.append({"name": name, "kind": kind, "features": f, "classes": c, "model": model})
    return out


def accepted_at_the_bounds() -> list[dict[str, Any]]:
    """Models exactly at each bound: every implementation accepts each."""
    cases: list[tuple[str, str, dict[str, Any], int, int]] = [
        ("linear weights +-10^9, bias +-10^15, 256 features, 16 classes", "linear",
         {"kind": "linear", "weights": [[10**9] * 256] * 8 + [[-10**9] * 256] * 8, "bias": [10**15, -10**15] * 8},
         256, 16),
        ("the largest tree: 4096 nodes, thresholds -10000 (94215 bytes)", "tree",
         {"kind": "tree", "nodes": [[255, -X, 4094, 4095]] * 4094 + [[255, -X, 4095, 4095], [15]]}, 256, 16),
        ("a tree of depth 32", "tree", {"kind": "tree", "nodes": sum(([[0, d, 2 * d + 1, 2 * d + 2], [1]]
                                                                     for d in range(32)), []) + [[0]]}, 1, 2),
        ("knn of 128 rows, k 32, squares of the weights 4000^2 + 2000^2 = 2 * 10^7", "knn",
         {"kind": "knn", "rows": [[X, -X]] * 128, "labels": [1] * 128, "weights": [4000, 2000], "k": 32}, 2, 2),
        ("knn of 16 rows of 64 features (1024 values)", "knn",
         {"kind": "knn", "rows": [[0] * 64] * 16, "labels": [0] * 16, "weights": [0] * 64, "k": 16}, 64, 2),
    ]
    out = []
    for name, kind, model, f, c in cases:
        assert kinds.check_model(kind, model, f, c) is None, name
        out.append({"name": name, "kind": kind, "features": f, "classes": c, "model": model,
                    "canon_bytes": len(canon(model))})
    return out


def test_sets() -> list[dict[str, Any]]:
    good: dict[str, Any] = {"rows": [[X, -X], [0, 1]], "labels": [0, 2], "salt": SALT_TEST}
    cases: list[tuple[str, Any, int, int, int]] = [
        ("feature 10001", {**good, "rows": [[X + 1, 0], [0, 1]]}, 2, 3, 2),
        ("label = classes", {**good, "labels": [0, 3]}, 2, 3, 2),
        ("one row fewer than test_rows", good, 2, 3, 3),
        ("a row short", {**good, "rows": [[0], [0, 1]]}, 2, 3, 2),
        ("salt in capitals", {**good, "salt": SALT_TEST.upper()}, 2, 3, 2),
        ("salt of 63 characters", {**good, "salt": SALT_TEST[:-1]}, 2, 3, 2),
        ("an extra key", {**good, "extra": 1}, 2, 3, 2),
        ("257 rows", {"rows": [[0]] * 257, "labels": [0] * 257, "salt": SALT_TEST}, 1, 2, 257),
        ("256 rows of 65 features (16640 values > 16384)", {"rows": [[0] * 65] * 256, "labels": [0] * 256,
                                                            "salt": SALT_TEST}, 65, 2, 256),
    ]
    out = [{"name": "valid at the bounds", "test": good, "features": 2, "classes": 3, "test_rows": 2, "valid": True,
            "commitment": kinds.test_commitment(good["rows"], good["labels"], good["salt"])}]
    big: dict[str, Any] = {"rows": [[-X] * 64] * 256, "labels": [15] * 256, "salt": SALT_TEST}
    out.append({"name": "the largest test set: 256 rows of 64 features (116063 bytes)", "test": big, "features": 64,
                "classes": 16, "test_rows": 256, "valid": True, "canon_bytes": len(canon(big)),
                "commitment": kinds.test_commitment(big["rows"], big["labels"], big["salt"])})
    for name, test, f, c, t in cases:
        assert kinds.check_test_set(test, f, c, t) is not None, name
        out.append({"name": name, "test": test, "features": f, "classes": c, "test_rows": t, "valid": False})
    return out


def reveals() -> list[dict[str, Any]]:
    """JOB_MODEL data: one valid, and invalid ones (a model that is fine inside a reveal that is not)."""
    model = {"kind": "tree", "nodes": [[0, 5, 1, 2], [0], [1]]}
    cases: list[tuple[str, Any, bool]] = [
        ("a valid reveal", {"model": model, "salt": SALT_MODEL}, True),
        ("salt in capitals", {"model": model, "salt": SALT_MODEL.upper()}, False),
        ("salt of 63 characters", {"model": model, "salt": SALT_MODEL[:-1]}, False),
        ("salt missing", {"model": model}, False),
        ("an extra key", {"model": model, "salt": SALT_MODEL, "score": 3}, False),
        ("a model of another kind than the job's", {"model": {"kind": "linear", "weights": [[1], [1]],
                                                              "bias": [0, 0]}, "salt": SALT_MODEL}, False),
        ("a model not well formed", {"model": {"kind": "tree", "nodes": [[0, 5, 0, 2], [0], [1]]},
                                     "salt": SALT_MODEL}, False),
    ]
    out = []
    for name, data, valid in cases:
        assert (kinds.check_reveal("tree", data, 1, 2) is None) == valid, name
        out.append({"name": name, "kind": "tree", "features": 1, "classes": 2, "data": data, "valid": valid,
                    **({"worker": WORKER, "model_commitment": kinds.model_commitment(model, SALT_MODEL, WORKER)}
                       if valid else {})})
    return out


def model_commitments() -> list[dict[str, Any]]:
    """``H(canon({"model", "salt", "worker"}))`` shown in full: the canonical text that is hashed, for
    one model and salt sent by two workers (two commitments: a copied commitment opens only for the
    worker that made it)."""
    model = {"kind": "tree", "nodes": [[1]]}
    out = []
    for name, worker in (("the worked example of PROTOCOL.md: a one-leaf tree, worker a1a1...", WORKER),
                         ("the same model and salt, another worker: another commitment", RIVAL)):
        text = canon({"model": model, "salt": SALT_MODEL, "worker": worker}).decode("ascii")
        out.append({"name": name, "model": model, "salt": SALT_MODEL, "worker": worker, "canon": text,
                    "model_commitment": kinds.model_commitment(model, SALT_MODEL, worker)})
    assert out[0]["model_commitment"] != out[1]["model_commitment"]
    return out


def settlements() -> list[dict[str, Any]]:
    cases: list[tuple[str, str, int, int, bool, list[tuple[str, int, int, int | None]]]] = [
        ("the best score wins; every revealed stake comes back", "req", 100, 7, True,
         [("a", 5, 1, 20), ("b", 5, 2, 28), ("c", 6, 1, 3)]),
        ("a tie goes to the earliest commitment: height, then position", "req", 50, 1, True,
         [("late", 9, 1, 10), ("second", 8, 3, 10), ("first", 8, 2, 10), ("low", 8, 1, 9)]),
        ("an unrevealed commitment's stake is burnt", "req", 100, 30, True, [("a", 5, 1, None), ("b", 5, 2, 12)]),
        ("a score of 0 wins when it is the best", "req", 9, 2, True, [("a", 3, 1, 0), ("b", 3, 2, None)]),
        ("no model revealed: the bounty goes back, unrevealed stakes are burnt", "req", 100, 30, True,
         [("a", 5, 1, None), ("b", 6, 1, None)]),
        ("no commitment at all", "req", 100, 30, True, []),
        ("the test set withheld: 100 split 34, 33, 33 (the remainder to the earliest)", "req", 100, 10, False,
         [("c", 7, 1, None), ("a", 5, 1, None), ("b", 5, 2, None)]),
        ("the test set withheld: 2 among 4 (0 each, 1 more to the two earliest)", "req", 2, 1, False,
         [("w", 1, 1, None), ("x", 1, 2, None), ("y", 1, 3, None), ("z", 1, 4, None)]),
        ("the test set withheld, nobody committed: the bounty goes back", "req", 100, 10, False, []),
        ("the largest amounts: 10^12 bounty, 16 stakes of 10^12", "req", 10**12, 10**12, True,
         [(f"w{i:02d}", 100 + i, 1, i % 5) for i in range(16)]),
    ]
    out = []
    for name, requester, bounty, stake, revealed, cs in cases:
        s = jobs.settle(requester, bounty, stake, revealed, [Commitment(*c) for c in cs])
        out.append({"name": name, "requester": requester, "bounty": bounty, "stake": stake, "test_revealed": revealed,
                    "commitments": [list(c) for c in cs], "settle_data": s.data()})
    return out


def windows() -> list[dict[str, Any]]:
    out = []
    for job, c, t, m in [(10, 3, 2, 4), (1, 1, 1, 2), (500, 10_000, 10_000, 10_000)]:
        w = Windows.of(job, c, t, m)
        out.append({"job_height": job, "commit_blocks": c, "test_blocks": t, "model_blocks": m,
                    "windows": {k: getattr(w, k) for k in ("commit_first", "commit_last", "test_first", "test_last",
                                                           "model_first", "model_last", "settle")}})
    return out


def job_bodies() -> list[dict[str, Any]]:
    classes = list(iris_base().classes)
    good = {"kind": "knn", "train": {"flowers_to": 4}, "features": list(jobs.FLOWER_FEATURES), "classes": classes,
            "test_commitment": "0" * 64, "test_rows": 30, "stake": 5, "max_commits": 4, "commit_blocks": 3,
            "test_blocks": 2, "model_blocks": 2}
    art = {**good, "train": {"artifact": "ab" * 32}, "features": [f"p{i}" for i in range(64)],
           "classes": [str(i) for i in range(10)]}
    variants: list[tuple[str, dict[str, Any], bool]] = [
        ("on the network's flowers", good, True),
        ("on an artifact, 64 features, 256 test rows, every bound at its top", {
            **art, "test_rows": 256, "stake": 10**12, "max_commits": 16, "commit_blocks": 10_000,
            "test_blocks": 10_000, "model_blocks": 10_000}, True),
        ("flowers_to = the job's own height", {**good, "train": {"flowers_to": 5}}, False),
        ("flowers with other features", {**good, "features": ["a", "b", "c", "d"]}, False),
        ("flowers with other classes", {**good, "classes": ["setosa", "other"]}, False),
        ("an artifact hash in capitals", {**art, "train": {"artifact": "AB" * 32}}, False),
        ("both flowers_to and an artifact", {**good, "train": {"flowers_to": 1, "artifact": "ab" * 32}}, False),
        ("test_rows 257", {**art, "test_rows": 257}, False),
        ("test_rows x features 257 x 64 > 16384", {**art, "features": [f"p{i}" for i in range(65)],
                                                  "test_rows": 253}, False),
        ("stake 0", {**good, "stake": 0}, False),
        ("max_commits 17", {**good, "max_commits": 17}, False),
        ("model_blocks 1", {**good, "model_blocks": 1}, False),
        ("commit_blocks 10001", {**good, "commit_blocks": 10_001}, False),
        ("kind forest", {**good, "kind": "forest"}, False),
        ("two features of one name", {**art, "features": ["a", "a"]}, False),
        ("a key missing", {k: v for k, v in good.items() if k != "stake"}, False),
    ]
    out = []
    for name, data, valid in variants:
        assert (jobs.job_problem(data, classes, 5) is None) == valid, name
        out.append({"name": name, "data": data, "height": 5, "valid": valid})
    return out


def build() -> dict[str, Any]:
    return {"about": "PROTOCOL.md 'Version 3: training jobs'; built by scripts/build_job_vectors.py. models: "
                     "predictions, score and commitments of each (the model commitment for the worker "
                     "'model_worker'); model_commitments: H(canon({model, salt, worker})) with the canonical text "
                     "'canon' that is hashed; refused_models: one past a bound, refused; "
                     "accepted_models: at the bounds, accepted; test_sets; reveals: JOB_MODEL data; "
                     "settlements: JOB_SETTLE data from "
                     "commitments [worker, height, position, score or null]; windows; job_bodies (network classes "
                     "= the Iris classes, the JOB in block 'height').",
            "network_classes": list(iris_base().classes),
            "models": models(), "model_commitments": model_commitments(), "refused_models": refused_models(),
            "accepted_models": accepted_at_the_bounds(),
            "test_sets": test_sets(), "reveals": reveals(), "settlements": settlements(), "windows": windows(),
            "job_bodies": job_bodies()}


def render() -> str:
    """One case per line, keys sorted: stable bytes and a readable diff."""
    data = build()
    parts = []
    for key in sorted(data):
        value = data[key]
        if isinstance(value, list) and value and isinstance(value[0], dict):
            body = ",\n".join("  " + json.dumps(v, sort_keys=True, separators=(",", ":")) for v in value)
            parts.append(f"{json.dumps(key)}: [\n{body}\n ]")
        else:
            parts.append(f"{json.dumps(key)}: {json.dumps(value, sort_keys=True)}")
    return "{\n " + ",\n ".join(parts) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    return write_or_check(OUT, render, __doc__.split("\n\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())
