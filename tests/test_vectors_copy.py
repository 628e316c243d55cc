"""tests/vectors is a copy of shared/vectors; when shared/ sits beside the clone, they must agree.

The Iris base is also shipped inside the ``ml`` package (ml/data/iris-base.json): it must be the
same bytes as the vector.
"""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "vectors"
NAMES = ("protocol-v2.json", "iris-base.json")


@pytest.mark.skipif(not SHARED.exists(), reason="no ../shared beside this clone (a user's clone has none)")
@pytest.mark.parametrize("name", NAMES)
def test_copied_vectors_match_shared(name):
    assert (ROOT / "tests" / "vectors" / name).read_bytes() == (SHARED / name).read_bytes()


def test_shipped_iris_base_is_the_vector():
    assert (ROOT / "ml" / "data" / "iris-base.json").read_bytes() == (
        ROOT / "tests" / "vectors" / "iris-base.json"
    ).read_bytes()
