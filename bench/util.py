"""Shared helpers: statistics, progress lines, and starting real processes on free ports."""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

from testkit.nodes import NodeProcess, free_port  # one way to start nodes, shared with the tests

ROOT = Path(__file__).resolve().parent.parent
PAPER_MS = {"mine": 239, "transaction": 9, "chain": 6, "flower_add": 13, "predict": 17, "model_info": 5,
            "evaluate": 16}
PAPER_CODE_HERE_MS = {"mine_empty": 72, "mine_one_flower": 243, "transaction": 1.1, "chain": 1.9, "flower_add": 1.1,
                      "predict": 2.7, "model_info": 1.05, "evaluate": 8.3}


def summarize(samples_s: list[float]) -> dict:
    ms = sorted(s * 1000 for s in samples_s)

    def pct(p):
        return ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))]
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 3), "p95_ms": round(pct(95), 3),
            "p99_ms": round(pct(99), 3), "min_ms": round(ms[0], 3)}


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """(first quartile, median, third quartile); all three the value itself for one sample."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def spread_ms(samples_s: list[float]) -> dict:
    """Median and interquartile range of durations in seconds, in ms, with the samples kept, so
    that a figure can show the spread beside the median."""
    ms = [s * 1000 for s in samples_s]
    q1, median, q3 = quartiles(ms)
    return {"n": len(ms), "median_ms": round(median, 2), "q1_ms": round(q1, 2), "q3_ms": round(q3, 2),
            "samples_ms": [round(x, 2) for x in ms]}


def ratio_spread(numerator_ms: list[float], denominator_ms: list[float]) -> dict:
    """The ratio of two sets of durations with its interquartile range, over every pair of
    samples, and whether that range covers 1 (no difference shown at this many samples)."""
    ratios = [a / b for a in numerator_ms for b in denominator_ms if b > 0]
    q1, median, q3 = quartiles(ratios)
    return {"ratio": round(median, 2), "q1": round(q1, 2), "q3": round(q3, 2), "pairs": len(ratios),
            "covers_1": q1 <= 1 <= q3}


class Progress:
    """A one-line progress bar on stderr (no extra dependency)."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.started = label, max(total, 1), 0, time.monotonic()
        self._last = 0.0

    def step(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last > 0.2 or self.done >= self.total:
            self._last = now
            width = 30
            filled = int(width * self.done / self.total)
            sys.stderr.write(f"\r  {self.label:<38} [{'#' * filled}{'.' * (width - filled)}] "
                             f"{self.done}/{self.total} {now - self.started:6.1f}s")
            if self.done >= self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def timed(session: requests.Session, method: str, url: str, n: int, label: str, expect: int = 200,
          body_fn=None) -> list[float]:
    """``n`` keep-alive requests; returns their durations in seconds. Raw ``requests`` on purpose:
    what is timed is the node's answer, not ``client.Node``'s streaming and model checks."""
    out = []
    bar = Progress(label, n)
    for i in range(n):
        kwargs = {"json": body_fn(i)} if body_fn else {}
        t = time.perf_counter()
        r = session.request(method, url, timeout=120, **kwargs)
        out.append(time.perf_counter() - t)
        if r.status_code != expect:
            raise RuntimeError(f"{method} {url} answered {r.status_code}: {r.text[:200]}")
        bar.step()
    return out


class FloorProcess:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.log = open(workdir / "floor.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.floor_app", "--port", str(self.port)], cwd=ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            try:  # raw: the floor app is a bare Flask app, not a node (client.Node speaks the node's API)
                requests.get(self.url + "/ping", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("the floor app did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


__all__ = ["NodeProcess", "free_port", "summarize", "Progress", "timed", "FloorProcess", "PAPER_MS",
           "PAPER_CODE_HERE_MS", "ROOT"]


def output_dir(out: Path | None, quick: bool, committed: str) -> Path:
    """Where a run writes: ``--out`` when given; else the committed folder (``committed``, under the
    project root) for a full run, and a fresh scratch folder for a ``--quick`` one, printed, so
    that a quick try never rewrites the committed figures and results."""
    if out is not None:
        return out
    if not quick:
        return ROOT / committed
    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix="iris-quick-"))
    print(f"--quick without --out: writing to the scratch folder {scratch} (the committed {committed} is "
          "written only by a full run or an explicit --out)", flush=True)
    return scratch
