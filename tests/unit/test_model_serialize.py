"""The paper's model methods: IrisModel.serialize() (JSON-safe, never pickle) and the classmethod
IrisModel.deserialize(data), which refuses anything but exactly what serialize() writes."""
import json

import numpy as np
import pytest

from ml import IrisModel
from ml.base import iris_base
from ml.errors import SnapshotError
from ml.measurements import text


def trained():
    model = IrisModel()
    rng = np.random.default_rng(11)
    for block in range(4):
        for _ in range(block + 2):
            model.add_data_point([text(int(v)) for v in rng.integers(50, 750, size=4)],
                                 ["setosa", "versicolor", "virginica"][block % 3])
        model.commit_data_points()
    return model


def test_round_trip_through_json_gives_the_same_model():
    model = trained()
    text_form = json.dumps(model.serialize(), allow_nan=False)  # JSON, nothing else
    again = IrisModel.deserialize(json.loads(text_form))
    assert isinstance(again, IrisModel) and again is not model
    assert again.state_hash == model.state_hash and again.update_history() == model.update_history()
    assert again.serialize() == model.serialize() and again.evaluate_model() == model.evaluate_model()
    grid = [[text(int(v)) for v in row] for row in np.random.default_rng(2).integers(10, 800, size=(150, 4))]
    assert [again.predict(p) for p in grid] == [model.predict(p) for p in grid]
    # it keeps learning like the original
    for m in (model, again):
        m.add_data_point(["5.10", "3.50", "1.40", "0.20"], "setosa")
        m.commit_data_points()
    assert again.state_hash == model.state_hash


def test_an_untrained_model_round_trips():
    model = IrisModel()
    assert IrisModel.deserialize(model.serialize()).state_hash == model.state_hash


def test_the_snapshot_and_restore_of_the_chain_port_are_the_same_data():
    model = trained()
    assert model.snapshot() == model.serialize()
    assert model.restore(model.serialize()).state_hash == model.state_hash


EDITS = {
    "extra-key": lambda d: d.__setitem__("pickle", "x"),
    "missing-key": lambda d: d.pop("sizes"),
    "not-an-object": lambda d: ["format"],
    "k-bool": lambda d: d.__setitem__("k", True),
    "k-string": lambda d: d.__setitem__("k", "3"),
    "k-zero": lambda d: d.__setitem__("k", 0),
    "k-other": lambda d: d.__setitem__("k", 5),  # a real k, but the hashes were of k=3
    "row-bool": lambda d: d["rows"][0].__setitem__(0, True),
    "row-float": lambda d: d["rows"][0].__setitem__(0, float(d["rows"][0][0])),
    "row-string": lambda d: d["rows"][0].__setitem__(0, str(d["rows"][0][0])),
    "row-short": lambda d: d["rows"][0].pop(),
    "row-long": lambda d: d["rows"][0].append(100),
    "row-zero": lambda d: d["rows"][0].__setitem__(0, 0),
    "row-too-big": lambda d: d["rows"][0].__setitem__(0, 10_001),
    "row-edited": lambda d: d["rows"][0].__setitem__(0, d["rows"][0][0] + 1),
    "rows-object": lambda d: d.__setitem__("rows", {"0": [1, 2, 3, 4]}),
    "label-bool": lambda d: d["labels"].__setitem__(0, False),
    "label-name": lambda d: d["labels"].__setitem__(0, "setosa"),
    "label-unknown": lambda d: d["labels"].__setitem__(0, 3),
    "label-negative": lambda d: d["labels"].__setitem__(0, -1),
    "label-edited": lambda d: d["labels"].__setitem__(0, (d["labels"][0] + 1) % 3),
    "labels-short": lambda d: d["labels"].pop(),
    "size-bool": lambda d: d["sizes"].__setitem__(0, True),
    "size-float": lambda d: d["sizes"].__setitem__(0, float(d["sizes"][0])),
    "sizes-unsorted": lambda d: d["sizes"].reverse(),
    "sizes-repeated": lambda d: d["sizes"].insert(0, d["sizes"][0]),
    "sizes-short": lambda d: d["sizes"].pop(),
    "sizes-merged": lambda d: d["sizes"].pop(0),
    "hash": lambda d: d.__setitem__("model_hash", "0" * 64),
    "hash-number": lambda d: d.__setitem__("model_hash", 0),
    "base": lambda d: d.__setitem__("base_hash", "0" * 64),
    "format": lambda d: d.__setitem__("format", "pickle"),
}


@pytest.mark.parametrize("name", EDITS)
def test_anything_but_what_serialize_writes_is_refused(name):
    data = json.loads(json.dumps(trained().serialize()))
    edited = EDITS[name](data)
    with pytest.raises(SnapshotError):
        IrisModel.deserialize(edited if isinstance(edited, list) else data)


def test_deserialize_takes_the_base_it_is_given():
    base = iris_base()
    model = IrisModel(base)
    assert IrisModel.deserialize(model.serialize(), base=base).base is base
