"""The dashboard's costs, in headless Debian Chromium against real node processes:
``.venv/bin/python -m bench.dashboard [--blocks 10000] [--tabs 20] [--out bench/results]``.

- verifying a chain of N one-flower blocks in the browser (download in pages, then verify.js),
  from the click to the verdict;
- the node's API latency (POST /flower/predict, keep-alive, one client) with no dashboard open,
  with ``--tabs`` dashboards open in one headless Chromium (each tab polls /tip and /health every
  second), and with the same polls made by threads (the node's share, apart from the browsers'
  CPU on the same 2 cores).

Writes dashboard.json and dashboard.md to --out.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

from blockchain import Blockchain, MemoryStore
from client import Node
from ml import IrisModel
from testkit.browser import chromium
from testkit.network import wait_until

from .protocol import DIFFICULTY, _clock, grow, open_dir, write_dir
from .util import NodeProcess, summarize

QUERY = {"sepal_length": 5.9, "sepal_width": 3.0, "petal_length": 5.1, "petal_width": 1.8}


def verify_in_browser(work: Path, blocks: int) -> dict:
    chain = Blockchain(IrisModel(), DIFFICULTY, MemoryStore(), clock=_clock)
    grow(chain, blocks, "v", f"build a chain of {blocks} blocks")
    data_dir = work / f"chain-{blocks}"
    write_dir(chain, data_dir)
    opened, _ = open_dir(data_dir)
    opened.close()
    node = NodeProcess(work, "verify-node", difficulty=DIFFICULTY, data_dir=data_dir).start(600)
    driver = chromium(work / "profile-verify")
    try:
        driver.get(node.url + "/#/verify")
        button = wait_until(
            lambda: driver.find_elements("css selector", '[data-testid="verify-button"]'), 60, "the verify button"
        )[0]
        started = time.perf_counter()
        button.click()
        result = driver.find_element("css selector", '[data-testid="verify-result"]')
        text = wait_until(lambda: result.text if result.text.startswith(("valid", "INVALID", "could not", "the chain"))
                          else None, 600, "the verdict")
        seconds = time.perf_counter() - started
    finally:
        driver.quit()
        node.stop()
    row = {"blocks": blocks, "seconds": round(seconds, 2), "verdict": text}
    print(f"    verify in the browser: {row}", flush=True)
    return row


def latency(url: str, n: int) -> list[float]:
    s = requests.Session()  # timed: raw, so that what is measured is the node's answer (as util.timed)
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = s.post(url + "/flower/predict", json=QUERY, timeout=30)
        out.append(time.perf_counter() - t)
        assert r.status_code == 200
    return out


def with_pollers(url: str, count: int, n: int) -> list[float]:
    """The same requests the dashboards make (GET /tip and GET /health every second, each), from
    ``count`` threads without a browser: the node's own share of the cost, apart from Chromium's CPU."""
    stop = threading.Event()

    def poll():  # not timed: the load, through the library
        api = Node(url, timeout=30)
        while not stop.is_set():
            api.tip()
            api.health()
            stop.wait(1.0)
        api.session.close()
    threads = [threading.Thread(target=poll, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    try:
        return latency(url, n)
    finally:
        stop.set()
        for t in threads:
            t.join(5)


def dashboards(work: Path, tabs: int, n: int) -> dict:
    node = NodeProcess(work, "dash-node", difficulty=DIFFICULTY, extra_args=("--miners", "0")).start()
    try:
        for i in range(5):
            node.api.add_flower(f"d{i}", "virginica", QUERY)
            node.api.mine()
        latency(node.url, 50)  # warm up
        without = latency(node.url, n)
        driver = chromium(work / "profile-tabs")
        try:
            for i in range(tabs):
                if i:
                    driver.switch_to.new_window("tab")
                driver.get(node.url + "/")
            time.sleep(3)  # every tab is polling now (an observation window, not a wait for a result)
            with_tabs = latency(node.url, n)
        finally:
            driver.quit()
        polled = with_pollers(node.url, tabs, n)
    finally:
        node.stop()
    a, b, c = summarize(without), summarize(with_tabs), summarize(polled)
    row = {"tabs": tabs, "requests": n, "without": a, "with": b, "with_pollers": c,
           "median_ratio": round(b["median_ms"] / a["median_ms"], 2), "p95_ratio": round(b["p95_ms"] / a["p95_ms"], 2),
           "pollers_median_ratio": round(c["median_ms"] / a["median_ms"], 2)}
    print(f"    {tabs} dashboards: {row}", flush=True)
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard",
                                     description="Measure the dashboard in headless Chromium: in-browser verification "
                                                 "time, and the node's API latency with many dashboards open.")
    parser.add_argument("--blocks", type=int, default=10_000, help="chain length to verify (default: 10000)")
    parser.add_argument("--tabs", type=int, default=20, help="dashboards open at once (default: 20)")
    parser.add_argument("--requests", type=int, default=500, help="API requests per measurement (default: 500)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"), help="where to write the results")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="iris-bench-dash-") as tmp:
        work = Path(tmp)
        results: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M:%S"),
                   "verify": verify_in_browser(work, args.blocks),
                   "dashboards": dashboards(work, args.tabs, args.requests)}
    v, d = results["verify"], results["dashboards"]
    summary = "\n".join([
        "| work | goal | measured |", "|---|---|---|",
        f"| verify {v['blocks']:,} blocks in the browser (click to verdict) | < 20 s | "
        f"{v['seconds']} s ({v['verdict'][:60]}) |",
        f"| POST /flower/predict with {d['tabs']} dashboards open vs none (median) | not slower | "
        f"{d['with']['median_ms']} ms vs {d['without']['median_ms']} ms (x{d['median_ratio']}; "
        f"p95 {d['with']['p95_ms']} vs {d['without']['p95_ms']} ms) |",
        f"| the same {d['tabs']} dashboards' polls from threads, without the browsers' CPU (median) | not slower | "
        f"{d['with_pollers']['median_ms']} ms (x{d['pollers_median_ratio']}) |",
    ]) + "\n"
    (args.out / "dashboard.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "dashboard.md").write_text(summary)
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
