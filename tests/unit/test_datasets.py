"""The dataset file format iris-dataset/1 (ml/datasets.py, docs/artifacts.md): dump and load are
inverse, load refuses every malformed file with a DatasetError naming the problem, and digits() is
scikit-learn's bundled digits in this format."""
import hashlib
import json

import pytest

from ml.datasets import FORMAT, MAX_VALUE, Dataset, DatasetError, digits, dump, load

SMALL = {"format": FORMAT, "name": "two-flowers", "features": ["petal_mm", "sepal_mm"], "classes": ["a", "b"],
         "units": "millimetres", "rows": [[12, -3], [10000, -10000], [0, 7]], "labels": [0, 1, 1]}


def raw(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def test_dump_and_load_are_inverse_and_canonical():
    dataset = load(raw(SMALL))
    assert dataset.rows == ((12, -3), (10000, -10000), (0, 7)) and dataset.labels == (0, 1, 1)
    assert dataset.features == ("petal_mm", "sepal_mm") and dataset.units == "millimetres"
    assert dump(dataset) == raw(SMALL)
    assert load(dump(dataset)) == dataset
    assert dataset.sha256 == hashlib.sha256(dump(dataset)).hexdigest()
    X, y = dataset.arrays()
    assert X.shape == (3, 2) and list(y) == [0, 1, 1]


def test_a_file_that_is_not_canonical_is_refused_unless_asked():
    pretty = json.dumps(SMALL, indent=2).encode()
    with pytest.raises(DatasetError, match="canonical"):
        load(pretty)
    assert dump(load(pretty, canonical=False)) == raw(SMALL)


def change(**fields):
    return raw({**SMALL, **fields})


@pytest.mark.parametrize("body,problem", [
    (change(rows=[[1.5, 2], [1, 2], [0, 7]]), "integers"),
    (change(rows=[[1e3, 2], [1, 2], [0, 7]]), "integers"),
    (raw(SMALL).replace(b"[12,-3]", b"[NaN,-3]"), "NaN"),
    (raw(SMALL).replace(b"[12,-3]", b"[Infinity,-3]"), "Infinity"),
    (raw(SMALL).replace(b"[12,-3]", b"[" + b"9" * 5000 + b",-3]"), "digits"),
    (change(rows=[[MAX_VALUE + 1, 0], [1, 2], [0, 7]]), "rows\\[0\\]\\[0\\]"),
    (change(rows=[[True, 0], [1, 2], [0, 7]]), "rows\\[0\\]\\[0\\]"),
    (change(rows=[[1], [1, 2], [0, 7]]), "rows\\[0\\] must be a list of 2"),
    (change(rows=[]), "at least one row"),
    (change(labels=[0, 1]), "one class index per row"),
    (change(labels=[0, 1, 2]), "labels\\[2\\]"),
    (change(labels=[0, 1, -1]), "labels\\[2\\]"),
    (change(classes=["a"]), "classes must be a list of 2 to 16"),
    (change(classes=[str(i) for i in range(17)]), "classes must be a list of 2 to 16"),
    (change(features=["petal_mm", "petal_mm"]), "repeat"),
    (change(features=["Petal", "sepal_mm"]), "features\\[0\\]"),
    (change(features=[]), "features must be a list of 1 to 256"),
    (change(format="iris-dataset/2"), "format"),
    (change(name=""), "name"),
    (change(units="\u00b5m"), "units"),
    (change(units=7), "units"),
    (raw({**SMALL, "extra": 1}), "unknown \\['extra'\\]"),
    (raw({k: v for k, v in SMALL.items() if k != "labels"}), "missing \\['labels'\\]"),
    (raw(SMALL).replace(b'"name":"two-flowers"', b'"name":"two-flowers","name":"x"'), "repeated"),
    (b"[" * 100_000 + b"]" * 100_000, "nested|JSON"),
    (b"[1,2,3]", "one JSON object"),
    (b'{"name": "\xc3\x28"}', "UTF-8"),
    (b"{", "JSON"),
])
def test_malformed_files_are_refused_with_the_reason(body, problem):
    with pytest.raises(DatasetError, match=problem):
        load(body, canonical=False)


def test_the_cost_of_a_file_is_bounded_before_it_is_parsed():
    with pytest.raises(DatasetError, match="at most 100 bytes"):
        load(raw(SMALL) + b" " * 100, max_bytes=100)
    many = b"[" + b"0," * 4_000_001 + b"0]"
    with pytest.raises(DatasetError, match="JSON values"):
        load(many)


def test_a_dataset_checks_itself_when_made():
    with pytest.raises(DatasetError, match="rows\\[1\\]\\[0\\]"):
        Dataset(name="x", features=("f",), classes=("a", "b"), units="", rows=((1,), (MAX_VALUE + 1,)), labels=(0, 1))


def test_digits_is_sklearns_bundled_set_in_this_format():
    from sklearn.datasets import load_digits

    dataset = digits()
    bunch = load_digits()
    assert len(dataset.rows) == 1797 and len(dataset.features) == 64 and len(dataset.classes) == 10
    assert dataset.classes == tuple(str(c) for c in bunch.target_names)
    assert [list(r) for r in dataset.rows] == bunch.data.astype(int).tolist()
    assert list(dataset.labels) == bunch.target.tolist()
    assert {v for r in dataset.rows for v in r} <= set(range(17))
    assert load(dump(dataset)) == dataset


def test_the_command_line_writes_the_digits_and_checks_a_file(tmp_path, capsys):
    from ml.datasets import main

    out = tmp_path / "digits.json"
    assert main(["digits", str(out)]) == 0
    assert load(out.read_bytes()) == digits()
    assert main(["check", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1797 rows, 64 features, 10 classes" in printed
    assert f"sha256 {hashlib.sha256(out.read_bytes()).hexdigest()}" in printed
    bad = tmp_path / "bad.json"
    bad.write_bytes(json.dumps(SMALL, indent=1).encode())
    assert main(["check", str(bad)]) == 1
    assert "canonical" in capsys.readouterr().err


def test_the_digits_name_and_size_the_docs_give_are_what_digits_dumps():
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "artifacts.md").read_text(encoding="utf-8")
    data = dump(digits())
    shown = set(re.findall(r"SHA-256 `([0-9a-f]{64})`", page))
    assert shown == {hashlib.sha256(data).hexdigest()}
    assert f"{len(data):,} bytes" in page
