"""Browser tests: headless Debian Chromium (chromium, chromium-driver) driven by selenium, against
real node processes. Without Chromium they skip with a one-line reason; .ci/run installs it and
sets IRIS_REQUIRE_BROWSER=1, which makes a missing browser a failure instead."""
import os

import pytest

from tests.helpers.browser import MISSING as REASON, chromium
from tests.network.conftest import start_node  # noqa: F401  (real nodes, always stopped)


def pytest_collection_modifyitems(config, items):
    ours = [item for item in items if "tests/web/" in str(item.fspath)]
    if REASON is None or not ours:
        return
    if os.environ.get("IRIS_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"IRIS_REQUIRE_BROWSER=1, but {REASON}")
    for item in ours:
        item.add_marker(pytest.mark.skip(reason=REASON))


@pytest.fixture
def browser(tmp_path):
    driver = chromium(tmp_path / "profile", console_log=True)
    try:
        yield driver
    finally:
        driver.quit()
