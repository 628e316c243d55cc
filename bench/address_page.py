"""The dashboard's address page on a chain of settled training jobs, in headless Chromium:
``.venv/bin/python -m bench.address_page [--jobs 1000] [--repeats 5] [--quick] [--out DIR]``.

Two chains of the same blocks, built in process by the real miner (``bench.jobs_chain``): one holding
``--jobs`` settled jobs, the other as many TRANSFERs as the job chain's blocks hold job
transactions, block by block, in their place. Each is served by a real node (``python app.py`` on a
free port, its data directory in a temporary folder). The page of an address that sent job
transactions (``ann``: it requests a quarter of the jobs, commits to and reveals models in the
others, and is paid when it wins) is opened in headless Chromium, in a fresh page load each
repeat, the two chains in turn. Measured in the page (``performance.now()`` from a
MutationObserver installed before the page's own scripts run, from the navigation's start):

- first part: the balance, contributions and transfers rendered;
- job rows: the training-job section filled in from the chain the page replays (GET /chain in
  pages, then web/verify.js), its rows counted and compared with the chain's; split where the last
  page of GET /chain was received (the browser's Resource Timing) into the download (with GET
  /health, /tip and /model/base before it) and the rest (parsing, the replay, the rows);
- second visit: in the same page session, after another page (Blocks), the address page again
  (from the change of the location's hash): whether the replay is reused;
- the Jobs link: another fresh load, whose link to the address's jobs is clicked (by the observer)
  as soon as the first part shows, while the replay is under way: until the Jobs page lists the
  jobs, and how many times the page downloaded the chain.

Medians of the repeats, and ratios (job chain / transfer chain, second visit / first) of the same
run. ``--against TREE`` serves the job chain also from another checkout's node (its own web/), measured
in turn with the others: a change's before and after in one run. Writes address_page.json and
address_page.md to ``--out`` (``--quick``: 40 jobs, 2 repeats, a scratch folder unless ``--out``).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from blockchain import Blockchain
from testkit.browser import MISSING, chromium
from testkit.network import wait_until

from . import jobs_chain
from .jobs_scale import QUIET, serve
from .protocol import write_dir
from .util import NodeProcess, Progress, free_port, output_dir, ratio_spread

ADDRESS = "ann"
JOB_TYPES = ("JOB", "JOB_COMMIT", "JOB_TEST", "JOB_MODEL")
FIRST = '[data-testid="csv-transfers"]'         # rendered with the balance, contributions and transfers
REPLAYED = '[data-testid="job-tx-replayed"]'    # the job section filled in from the replayed chain
# Installed before any script of the page runs (CDP Page.addScriptToEvaluateOnNewDocument): the time,
# from the navigation's start (or from window.__addr.start for a second visit), at which each part
# first appears. A part's time is taken once; a second visit clears them.
OBSERVER = """
window.__addr = {start: 0, marks: {}};
const parts = {first: %s, replayed: %s, jobs: '[data-testid="job-list"], [data-testid="job-list-empty"]'};
const follow = new URLSearchParams(location.search).has("follow");
new MutationObserver(() => {
  const a = window.__addr;
  for (const [name, selector] of Object.entries(parts)) {
    if (!(name in a.marks) && document.querySelector(selector)) a.marks[name] = performance.now() - a.start;
  }
  const link = document.querySelector('a[href^="#/jobs?address="]');
  if (follow && "first" in a.marks && !("clicked" in a.marks) && link) {
    a.marks.clicked = performance.now() - a.start;
    link.click();
  }
}).observe(document, {subtree: true, childList: true});
""" % (json.dumps(FIRST), json.dumps(REPLAYED))
SHOWN = """
const rows = document.querySelectorAll('[data-testid="job-tx-list"] tr');
const chain = performance.getEntriesByType("resource").filter((e) => new URL(e.name).pathname === "/chain");
const received = chain.length ? Math.max(...chain.map((e) => e.responseEnd)) : null;
return {marks: window.__addr.marks, jobs_listed: document.querySelectorAll('[data-testid="job-list"] tr').length - 1,
        chain_requests: chain.length, chain_received: received,
        job_rows: Math.max(0, rows.length - 1),
        types: [...rows].slice(1).map((r) => r.children[2].textContent),
        replayed: (document.querySelector(%s) || {}).textContent || ""};
""" % json.dumps(REPLAYED)
SECOND = """
window.__addr.marks = {};
window.__addr.start = performance.now();
location.hash = arguments[0];
"""


def expected_rows(chain: Blockchain, address: str) -> dict[str, int]:
    """The job transactions the address page of ``address`` should list, by type: those it sent, and
    the JOB_SETTLEs that paid it (web/address.js jobTransactions)."""
    out: dict[str, int] = {}
    for block in chain.blocks():
        for tx in block.transactions:
            sent = tx.type in JOB_TYPES and tx.sender == address
            paid = tx.type == "JOB_SETTLE" and any(a == address for a, _ in tx.data["payouts"])
            if sent or paid:
                out[tx.type] = out.get(tx.type, 0) + 1
    return out


def expected_jobs(chain: Blockchain, address: str) -> int:
    """How many jobs the Jobs page of ``address`` lists: those it requested, committed to or was paid by."""
    ids = set()
    for block in chain.blocks():
        for tx in block.to_dict()["transactions"]:
            if tx["type"] in JOB_TYPES and tx["sender"] == address:
                ids.add(tx["id"] if tx["type"] == "JOB" else tx["job_id"])
            elif tx["type"] == "JOB_SETTLE" and any(a == address for a, _ in tx["data"]["payouts"]):
                ids.add(tx["job_id"])
    return len(ids)


def _shown(driver: Any, timeout: float, what: str) -> dict[str, Any]:
    """Waits (at most ``timeout`` s) until both parts of the page have shown; what the page shows."""
    def done() -> dict[str, Any] | None:
        got = driver.execute_script(SHOWN)
        return got if {"first", "replayed"} <= set(got["marks"]) else None
    try:
        return wait_until(done, timeout, what)
    except AssertionError:
        problem = driver.execute_script("return document.getElementById('view').innerText.slice(0, 500)")
        raise RuntimeError(f"{what}: the page shows {problem!r}") from None


def visit(driver: Any, url: str, timeout: float) -> dict[str, Any]:
    """One fresh page load of the address page, then a second visit in the same page session."""
    driver.get("about:blank")
    driver.get(f"{url}/#/address/{ADDRESS}")
    first = _shown(driver, timeout, "the address page")
    driver.execute_script("location.hash = '#/blocks'")
    wait_until(lambda: driver.find_elements("css selector", '[data-testid="block-list"]'), timeout, "the blocks page")
    driver.execute_script(SECOND, f"#/address/{ADDRESS}")
    second = _shown(driver, timeout, "the address page's second visit")
    return {"first": first, "second": second}


def follow_jobs_link(driver: Any, url: str, timeout: float) -> dict[str, Any]:
    """A fresh page load of the address page whose Jobs link ("as requester, worker or payee") is
    clicked as soon as the first part shows, while the page is replaying the chain: until the Jobs
    page lists the address's jobs, and how many times the chain was downloaded."""
    driver.get("about:blank")
    driver.get(f"{url}/?follow#/address/{ADDRESS}")

    def done() -> dict[str, Any] | None:
        got = driver.execute_script(SHOWN)
        return got if "jobs" in got["marks"] else None
    try:
        return wait_until(done, timeout, "the jobs page from the address page's link")
    except AssertionError:
        problem = driver.execute_script("return document.getElementById('view').innerText.slice(0, 500)")
        raise RuntimeError(f"the jobs page from the address page's link shows {problem!r}") from None


class TreeNode:
    """A node run from another checkout of the project (``tree``: e.g. ``git archive <rev>`` unpacked),
    serving its own web/ over a copy of ``data_dir``: the page as it was at that revision."""

    def __init__(self, work: Path, tree: Path, data_dir: Path, timeout: float = 600) -> None:
        copy = work / "against-served"
        shutil.copytree(data_dir, copy)
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = open(work / "against.log", "wb")
        self.proc = subprocess.Popen([sys.executable, str(tree / "app.py"), "--port", self.url.rsplit(":", 1)[1],
                                      "--difficulty", str(jobs_chain.DIFFICULTY), "--data-dir", str(copy), *QUIET],
                                     cwd=tree, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if requests.get(self.url + "/health", timeout=1).status_code == 200:  # raw: any revision's node
                    return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the node of {tree} did not start: see {work / 'against.log'}")

    def tip_height(self) -> int:
        return int(requests.get(self.url + "/tip", timeout=30).json()["height"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)
        self.log.close()


def _median(xs: list[float]) -> float:
    return round(statistics.median(xs), 1)


def measure(work: Path, chains: dict[str, Blockchain], repeats: int, timeout: float,
            against: Path | None = None) -> dict[str, Any]:
    """Every measure of each chain; with ``against``, of the job chain served by that tree's node
    too (as ``with_jobs_against``), in turn with the others."""
    nodes: dict[str, NodeProcess | TreeNode] = {}
    if against is not None:
        chains = {**chains, "with_jobs_against": chains["with_jobs"]}
    kinds = ("first", "rows", "received", "second_first", "second_rows", "follow_clicked", "follow_jobs")
    samples: dict[str, dict[str, list[float]]] = {name: {k: [] for k in kinds} for name in chains}
    downloads: dict[str, list[int]] = {name: [] for name in chains}
    listed: dict[str, int] = {}
    shown: dict[str, Any] = {}
    driver = None
    try:
        for name, chain in chains.items():
            if name == "with_jobs_against" and against is not None:
                other = TreeNode(work, against, work / "with_jobs-data")
                nodes[name], height = other, other.tip_height()
            else:
                data_dir = work / f"{name}-data"
                write_dir(chain, data_dir)
                ours = serve(work, name, data_dir)
                nodes[name], height = ours, ours.api.tip().height
            assert height == chain.height, f"{name}: the node serves height {height}, not {chain.height}"
        driver = chromium(work / "profile")
        driver.set_script_timeout(timeout)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER})
        visit(driver, nodes[next(iter(chains))].url, timeout)  # warm up: the browser's first start, its JIT
        bar = Progress(f"address page, {len(chains)} chains", repeats * len(chains))
        for _ in range(repeats):
            for name in chains:   # in turn, so that a change in the machine's load falls on both alike
                got = visit(driver, nodes[name].url, timeout)
                s = samples[name]
                s["first"].append(got["first"]["marks"]["first"])
                s["rows"].append(got["first"]["marks"]["replayed"])
                s["received"].append(got["first"]["chain_received"])
                s["second_first"].append(got["second"]["marks"]["first"])
                s["second_rows"].append(got["second"]["marks"]["replayed"])
                followed = follow_jobs_link(driver, nodes[name].url, timeout)
                s["follow_clicked"].append(followed["marks"]["clicked"])
                s["follow_jobs"].append(followed["marks"]["jobs"])
                downloads[name].append(followed["chain_requests"])
                listed[name] = max(0, followed["jobs_listed"])
                shown[name] = got
                bar.step()
    finally:
        if driver is not None:
            driver.quit()
        for node in nodes.values():
            node.stop()
    out: dict[str, Any] = {}
    for name, chain in chains.items():
        s, last = samples[name], shown[name]
        want = expected_rows(chain, ADDRESS)
        types = {t: last["first"]["types"].count(t) for t in set(last["first"]["types"])}
        assert types == want, f"{name}: the page lists {types}, the chain holds {want}"
        assert last["second"]["job_rows"] == last["first"]["job_rows"]
        assert listed[name] == expected_jobs(chain, ADDRESS), f"{name}: the Jobs page lists {listed[name]} jobs"
        out[name] = {"blocks": chain.height, "transactions": sum(len(b.transactions) for b in chain.blocks()),
                     "job_rows_expected": sum(want.values()), "job_rows_shown": last["first"]["job_rows"],
                     "job_rows_by_type": types, "replayed_text": " ".join(last["first"]["replayed"].split()),
                     "samples_ms": {k: [round(x, 1) for x in v] for k, v in s.items()},
                     "first_ms": _median(s["first"]), "rows_ms": _median(s["rows"]),
                     "rows_after_first_ms": _median([b - a for a, b in zip(s["first"], s["rows"], strict=True)]),
                     "phases_ms": {"download": _median([b - a for a, b in zip(s["first"], s["received"], strict=True)]),
                                   "replay": _median([b - a for a, b in zip(s["received"], s["rows"], strict=True)])},
                     "second_first_ms": _median(s["second_first"]), "second_rows_ms": _median(s["second_rows"]),
                     "jobs_link": {"jobs_shown_ms": _median(s["follow_jobs"]),
                                   "after_click_ms": _median([b - a for a, b in
                                                              zip(s["follow_clicked"], s["follow_jobs"], strict=True)]),
                                   "jobs_listed": listed[name], "chain_requests": downloads[name]}}
    return out


def run(work: Path, jobs: int, repeats: int, timeout: float = 300, against: Path | None = None) -> dict[str, Any]:
    if MISSING is not None:
        raise SystemExit(f"this benchmark needs Chromium: {MISSING}")
    with_jobs, ids = jobs_chain.build(jobs)
    assert jobs_chain.settled(with_jobs, ids) == jobs
    transfers = jobs_chain.build_transfers(jobs_chain.job_transactions(with_jobs))
    assert transfers.height == with_jobs.height
    runs = measure(work, {"with_jobs": with_jobs, "with_transfers": transfers}, repeats, timeout, against)
    a, b = runs["with_jobs"], runs["with_transfers"]
    compared = {}
    if against is not None:
        old = runs.pop("with_jobs_against")
        compared = {"against": {"tree": str(against), "run": old, "ratios": {
            "job rows": ratio_spread(a["samples_ms"]["rows"], old["samples_ms"]["rows"]),
            "jobs link": ratio_spread(a["samples_ms"]["follow_jobs"], old["samples_ms"]["follow_jobs"])}}}
    ratios = {}
    for label, key in (("first part", "first"), ("job rows", "rows")):
        ratios[label] = {"with_jobs_ms": a[f"{key}_ms"], "with_transfers_ms": b[f"{key}_ms"],
                         **ratio_spread(a["samples_ms"][key], b["samples_ms"][key])}
    second = {}
    for name, r in runs.items():
        second[name] = {"first_visit_rows_ms": r["rows_ms"], "second_visit_rows_ms": r["second_rows_ms"],
                        **ratio_spread(r["samples_ms"]["second_rows"], r["samples_ms"]["rows"])}
    return {"jobs": jobs, "address": ADDRESS, "repeats": repeats, "browser": "headless Chromium", "runs": runs,
            "ratios_to_transfers": ratios, "second_visit": second, **compared}


def render(result: dict[str, Any]) -> str:
    a, b = result["runs"]["with_jobs"], result["runs"]["with_transfers"]
    lines = [f"The address page of `{result['address']}` on a chain of {a['blocks']:,} blocks holding "
             f"{result['jobs']:,} settled jobs ({a['transactions']:,} transactions), and on the same blocks with as "
             f"many TRANSFERs in place of the job transactions ({b['transactions']:,} transactions), in headless "
             f"Chromium; medians of {result['repeats']} fresh page loads, the two chains in turn "
             "(`python -m bench.address_page`).", "",
             "| address page | with jobs | with transfers instead | ratio (IQR) |", "|---|---|---|---|"]
    r = result["ratios_to_transfers"]
    for label, what in (("first part", "first part: balance, contributions, transfers"),
                        ("job rows", "job rows shown (the chain replayed in the page)")):
        x = r[label]
        lines.append(f"| {what} | {x['with_jobs_ms']:,.0f} ms | {x['with_transfers_ms']:,.0f} ms "
                     f"| {x['ratio']} ({x['q1']} to {x['q3']}) |")
    lines.append(f"| job rows after the first part | {a['rows_after_first_ms']:,.0f} ms "
                 f"| {b['rows_after_first_ms']:,.0f} ms | |")
    for phase, what in (("download", "of which to the last GET /chain page received"),
                        ("replay", "of which parsing it, the replay (every block checked) and the rows")):
        lines.append(f"| {what} | {a['phases_ms'][phase]:,.0f} ms | {b['phases_ms'][phase]:,.0f} ms | |")
    s = result["second_visit"]
    lines.append(f"| second visit in the same page session: job rows | {a['second_rows_ms']:,.0f} ms "
                 f"(x{s['with_jobs']['ratio']} the first) | {b['second_rows_ms']:,.0f} ms "
                 f"(x{s['with_transfers']['ratio']} the first) | |")
    a_l, b_l = a["jobs_link"], b["jobs_link"]
    lines.append(f"| the Jobs link clicked as the first part shows: the jobs listed (from the load) "
                 f"| {a_l['jobs_shown_ms']:,.0f} ms ({max(a_l['chain_requests'])} download(s) of the chain) "
                 f"| {b_l['jobs_shown_ms']:,.0f} ms ({max(b_l['chain_requests'])}) | |")
    if "against" in result:
        o, x = result["against"]["run"], result["against"]["ratios"]
        tree = result["against"]["tree"]
        lines += ["", f"The job chain also served by the node of another tree (`--against {tree}`), "
                  "in turn with the others:",
                  "", "| address page, job chain | this tree | the other | ratio (IQR) |",
                  "|---|---|---|---|",
                  f"| job rows shown | {a['rows_ms']:,.0f} ms | {o['rows_ms']:,.0f} ms | {x['job rows']['ratio']} "
                  f"({x['job rows']['q1']} to {x['job rows']['q3']}) |",
                  f"| the Jobs link clicked as the first part shows: the jobs listed | {a_l['jobs_shown_ms']:,.0f} ms "
                  f"(downloads {a_l['chain_requests']}) | {o['jobs_link']['jobs_shown_ms']:,.0f} ms (downloads "
                  f"{o['jobs_link']['chain_requests']}) | {x['jobs link']['ratio']} ({x['jobs link']['q1']} to "
                  f"{x['jobs link']['q3']}) |"]
    lines += ["", f"Job rows shown on the job chain: {a['job_rows_shown']} of {a['job_rows_expected']} "
              f"({', '.join(f'{n} {t}' for t, n in sorted(a['job_rows_by_type'].items()))}); "
              f"on the transfer chain: {b['job_rows_shown']}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.address_page", description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=None, help="settled jobs on the chain (default 1000; --quick 40)")
    parser.add_argument("--repeats", type=int, default=None, help="fresh page loads of each chain (default 5; "
                        "--quick 2)")
    parser.add_argument("--quick", action="store_true", help="a small run, to a scratch folder unless --out")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default bench/results)")
    parser.add_argument("--against", type=Path, default=None, metavar="TREE",
                        help="also serve the job chain from this checkout's node and web/ (before/after a change: "
                             "mkdir /tmp/old && git archive REV | tar -x -C /tmp/old)")
    args = parser.parse_args(argv)
    jobs = args.jobs or (40 if args.quick else 1000)
    repeats = args.repeats or (2 if args.quick else 5)
    out = output_dir(args.out, args.quick, "bench/results")
    out.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    with tempfile.TemporaryDirectory(prefix="iris-bench-addr-") as tmp:
        result = run(Path(tmp), jobs, repeats, against=args.against)
    result = {"started": started, "finished": time.strftime("%Y-%m-%d %H:%M:%S"), **result}
    (out / "address_page.json").write_text(json.dumps(result, indent=1) + "\n")
    table = render(result)
    (out / "address_page.md").write_text(table)
    print(table)
    print(f"wrote {out / 'address_page.json'} and {out / 'address_page.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
