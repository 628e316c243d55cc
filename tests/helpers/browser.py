"""Moved to testkit/browser.py; re-exported for the tests."""
from testkit.browser import CHROMIUM, DRIVER, FLAGS, MISSING, chromium

__all__ = ["CHROMIUM", "DRIVER", "FLAGS", "MISSING", "chromium"]
