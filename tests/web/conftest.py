"""Browser tests: headless Debian Chromium (chromium, chromium-driver) driven by selenium, against
real node processes. Without Chromium they skip with a one-line reason; .ci/run installs it and
sets IRIS_REQUIRE_BROWSER=1, which makes a missing browser a failure instead."""
import os
import shutil

import pytest

from tests.network.conftest import start_node  # noqa: F401  (real nodes, always stopped)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
REASON = None if CHROMIUM and DRIVER else "no Chromium here (apt install chromium chromium-driver); .ci/run installs it"


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
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,900", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
