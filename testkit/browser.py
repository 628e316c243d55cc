"""Headless Debian Chromium through selenium, one way for the browser tests, the dashboard
benchmark and the screenshot script (the flags keep it off the network: this machine's is closed)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
MISSING: Optional[str] = None if CHROMIUM and DRIVER else \
    "no Chromium here (apt install chromium chromium-driver); .ci/run installs it"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900")


def chromium(profile: Path, console_log: bool = False, extra_flags: tuple = ()):
    """A new headless Chromium with its own empty profile directory; the caller quits it.
    ``extra_flags``: e.g. ``--host-resolver-rules=MAP evil.test 127.0.0.1`` for pages of other sites."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if CHROMIUM is None or DRIVER is None:
        raise RuntimeError(MISSING or "chromium or chromedriver not found")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, *extra_flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if console_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver
