"""A job's training data, from the node's public API only: the network's flowers up to a height
(``GET /model/base`` and the FLOWER_DATA of ``GET /chain``), or a dataset file by its SHA-256
(``GET /artifacts/<sha256>``, kept only if its bytes hash to that name, parsed by ``ml.datasets.load``)."""
from __future__ import annotations

import hashlib
from typing import Any

from client.node import Node
from ml import datasets
from ml.measurements import units

FLOWER_FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


class DataError(Exception):
    """The job's data cannot be had or does not fit the job; the message says why."""


def _index(label: Any, classes: list[str]) -> int:
    if isinstance(label, str) and label in classes:
        return classes.index(label)
    if type(label) is int and 0 <= label < len(classes):
        return label
    raise DataError(f"label {label!r:.40} is not one of the job's classes")


def flowers(node: Node, height: int, classes: list[str]) -> tuple[list[list[int]], list[int]]:
    """The base training rows, then every FLOWER_DATA of blocks 1..``height``, in units."""
    base = node.call("GET", "/model/base")
    rows = [[units(v) for v in row] for row in base["train"]]
    labels = [_index(label, classes) for label in base["train_labels"]]
    for block in node.iter_chain(1):
        if block.index > height:
            break
        for tx in block.transactions:
            if tx.type == "FLOWER_DATA" and tx.data is not None:
                rows.append([units(tx.data[name]) for name in FLOWER_FEATURES])
                labels.append(_index(tx.data["flower_type"], classes))
    return rows, labels


def artifact(node: Node, sha256: str, features: list[str], classes: list[str]) -> tuple[list[list[int]], list[int]]:
    """A dataset file (``ml/datasets.py``, ``iris-dataset/1``) by its SHA-256, parsed at a bounded cost."""
    content = node.get_bytes(f"/artifacts/{sha256}")
    if hashlib.sha256(content).hexdigest() != sha256:
        raise DataError(f"the node served bytes that do not hash to {sha256[:16]}...; refused")
    try:
        dataset = datasets.load(content)
    except datasets.DatasetError as exc:
        raise DataError(f"artifact {sha256[:16]}... is not a dataset file: {exc}") from None
    if list(dataset.features) != features:
        raise DataError("the dataset's features are not the job's")
    names = list(dataset.classes)
    return [list(r) for r in dataset.rows], [_index(names[i], classes) for i in dataset.labels]


def training_data(node: Node, job: Any) -> tuple[list[list[int]], list[int]]:
    d = job.data
    if "flowers_to" in d["train"]:
        return flowers(node, int(d["train"]["flowers_to"]), list(d["classes"]))
    return artifact(node, d["train"]["artifact"], list(d["features"]), list(d["classes"]))
