"""Multi-node helpers in the manner of Bitcoin Core's functional tests: narrate, then assert
the same tip everywhere, printing every tip when they do not agree."""
from __future__ import annotations

import time


def step(message: str) -> None:
    print(f"--- {message}", flush=True)


def tips(nodes) -> list[tuple]:
    """(name, height, tip, model_hash) of each node (``NodeProcess``es, through their ``client.Node``)."""
    out = []
    for node in nodes:
        h = node.api.health()
        out.append((node.name, h.height, h.tip, h.model_hash))
    return out


def connect(a, b) -> None:
    """``a`` registers ``b`` as a peer (an ``ApiError`` if it refuses)."""
    a.api.register([b.url])


def wait_for_agreement(nodes, timeout: float = 20.0, height: int | None = None) -> tuple:
    """Wait until every node has the same tip and model_hash (and ``height`` if given)."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        seen = tips(nodes)
        same = len({(h, t, m) for _, h, t, m in seen}) == 1
        if same and (height is None or seen[0][1] == height):
            return seen[0][1:]
        time.sleep(0.1)
    lines = "\n".join(f"  {name}: height {h} tip {t} model {m}" for name, h, t, m in seen)
    raise AssertionError(f"nodes did not agree within {timeout}s:\n{lines}")


def wait_until(predicate, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
