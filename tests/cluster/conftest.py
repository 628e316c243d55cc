"""The test bed needs root and ip netns. Elsewhere its tests skip with the reason, unless
IRIS_REQUIRE_NETNS=1 (CI sets it) makes a missing test bed a failure instead."""
import os

import pytest

from tests.cluster.bed import unavailable

REASON = unavailable()


def pytest_collection_modifyitems(config, items):
    if REASON is None:
        return
    ours = [item for item in items if "tests/cluster/" in str(item.fspath)]
    if ours and os.environ.get("IRIS_REQUIRE_NETNS") == "1":
        raise pytest.UsageError(f"IRIS_REQUIRE_NETNS=1, but {REASON}")
    for item in ours:
        item.add_marker(pytest.mark.skip(reason=REASON))
