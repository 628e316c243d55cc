"""tests/vectors is a copy of shared/vectors; when shared/ sits beside the clone, they must agree."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "vectors" / "protocol-v1.json"


@pytest.mark.skipif(not SHARED.exists(), reason="no ../shared beside this clone (a user's clone has none)")
def test_copied_vectors_match_shared():
    assert (ROOT / "tests" / "vectors" / "protocol-v1.json").read_bytes() == SHARED.read_bytes()
