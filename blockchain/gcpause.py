"""Bulk work without the cyclic garbage collector.

Loading or auditing a long chain allocates millions of objects that all stay alive; each full
collection would walk every one of them again, so the cost of a load grows faster than the
chain. None of these objects form cycles that need collecting, so the collector is paused for
the bulk work and restored afterwards.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
