"""Sync at scale, between real ``python app.py`` processes on loopback:
``.venv/bin/python -m bench.sync [--sizes 1000 10000 100000] [--out bench/results]``.

- a fresh node syncs a chain of N one-flower blocks from one peer (validated), for each N: the
  time from registration to its tip, the bytes both ways (the syncing node's own count of every
  request and answer, headers included) and its peak RSS (VmHWM);
- the largest chain from 3 peers, one of which claims one block more than the others (so it is
  asked for headers) and serves garbage after its first 1000 headers;
- a node 1 block behind at the largest height catches up: bytes besides the block;
- a poll of an unchanged peer: bytes both ways;
- a reorg of depth 10 at the largest height: from the 409 that the longer branch's block gets
  to the switch.

Chains are built in process at difficulty 2 (``bench.protocol``), and written to data
directories with a snapshot, so that the serving nodes start in seconds. Writes sync.json,
sync.md and sync_scaling.png to --out.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from blockchain import Blockchain, MemoryStore
from client import Node
from ml import IrisModel
from testkit.fake_peer import FakePeer

from .protocol import DIFFICULTY, _clock, grow, open_dir, write_dir
from .util import NodeProcess

QUIET = ("--sync-interval", "300", "--durability", "os")  # rounds only when the bench asks for them


def peak_rss_mb(node: NodeProcess) -> float:
    assert node.proc is not None, "the node is not running"
    for line in Path(f"/proc/{node.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def api(node: NodeProcess, timeout: float = 600) -> Node:
    """A client to ``node`` with a deadline fit for resolving a long chain."""
    return Node(node.url, timeout=timeout)


def traffic(node: NodeProcess, peer_url: str) -> int:
    record = next(n for n in node.api.nodes().nodes if n.url == peer_url)
    return record.bytes_sent + record.bytes_received


def wait_tip(node: NodeProcess, tip_hash: str, timeout: float, every: float = 0.05) -> float:
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node.api.tip().hash == tip_hash:
            return time.perf_counter() - started
        time.sleep(every)
    raise RuntimeError(f"{node.name} did not reach {tip_hash[:16]} within {timeout}s:\n{node.log()[-2000:]}")


def prepare(work: Path, sizes: list[int]) -> tuple[dict[int, Path], list[dict]]:
    """Data directories with chains of each size (prefixes of one chain), each with a snapshot."""
    chain = Blockchain(IrisModel(), DIFFICULTY, MemoryStore(), clock=_clock)
    dirs, built = {}, 0
    for size in sorted(sizes):
        grow(chain, size - built, "s", f"build a chain of {size} blocks")
        built = size
        data_dir = work / f"chain-{size}"
        write_dir(chain, data_dir)
        opened, _ = open_dir(data_dir)  # a full check once, then the snapshot that lets nodes start fast
        opened.close()
        dirs[size] = data_dir
    return dirs, [b.to_dict() for b in chain.blocks()]


def serve(work: Path, name: str, data_dir: Path, extra=()) -> NodeProcess:
    copy = work / f"{name}-data"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(data_dir, copy)
    return NodeProcess(work, name, difficulty=DIFFICULTY, data_dir=copy, extra_args=QUIET + tuple(extra)).start(600)


def from_scratch(work: Path, size: int, data_dir: Path) -> tuple[dict, NodeProcess, NodeProcess]:
    source = serve(work, f"source-{size}", data_dir)
    fresh = NodeProcess(work, f"fresh-{size}", difficulty=DIFFICULTY, extra_args=QUIET).start()
    tip = source.api.tip()
    started = time.perf_counter()
    fresh.api.register([source.url])
    seconds = wait_tip(fresh, tip.hash, timeout=1800, every=0.2)
    row = {"blocks": size, "seconds": round(seconds, 2), "blocks_per_s": round(size / (time.perf_counter() - started)),
           "bytes": traffic(fresh, source.url), "peak_rss_mb": peak_rss_mb(fresh)}
    print(f"    from scratch, {size} blocks: {row}", flush=True)
    return row, source, fresh


def three_peers(work: Path, size: int, data_dir: Path, chain: list[dict]) -> dict:
    honest = [serve(work, f"honest-{i}", data_dir) for i in range(2)]
    fresh = NodeProcess(work, "fresh-3", difficulty=DIFFICULTY, extra_args=QUIET).start()
    try:
        with FakePeer() as liar:
            liar.mode, liar.chain, liar.honest_headers = "garbage-after", chain[:size + 1], 1000
            liar.overclaim, liar.claimed_height = True, size + 1  # it claims the most work: it is asked
            fresh.api.register([liar.url] + [n.url for n in honest])
            seconds = wait_tip(fresh, chain[size]["hash"], timeout=1800, every=0.2)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # the liar may be judged after the honest peers were synced
                states = {n.url: n.state for n in fresh.api.nodes().nodes}
                if states[liar.url] not in ("new", "ok"):
                    break
                time.sleep(0.2)
            row = {"blocks": size, "seconds": round(seconds, 2), "liar_state": states[liar.url],
                   "liar_headers_asked": liar.count("GET /headers"), "liar_bodies_asked": liar.count("GET /blocks"),
                   "peak_rss_mb": peak_rss_mb(fresh)}
    finally:
        for node in (*honest, fresh):
            node.stop()
    print(f"    from 3 peers, one lying: {row}", flush=True)
    return row


def one_behind_and_poll(source: NodeProcess, fresh: NodeProcess) -> dict:
    """``fresh`` is in step with ``source``. A poll of the unchanged source; then the source mines a
    block that is not gossiped to ``fresh``, and one round brings it over."""
    for peer in source.api.nodes().nodes:  # no gossip from the source: the block must come through a poll
        source.api.forget(peer.url)
    polls = []
    for _ in range(5):
        before = traffic(fresh, source.url)
        api(fresh).resolve()
        polls.append(traffic(fresh, source.url) - before)
    block = api(source).mine().to_dict()
    block.pop("message", None)
    block_bytes = len(json.dumps(block, separators=(",", ":")))
    before = traffic(fresh, source.url)
    api(fresh).resolve()
    moved = traffic(fresh, source.url) - before
    assert fresh.api.tip().hash == block["hash"]
    row = {"poll_bytes": sorted(polls)[len(polls) // 2], "catch_up_bytes": moved, "block_bytes": block_bytes,
           "besides_block_bytes": moved - block_bytes}
    print(f"    poll and one block behind: {row}", flush=True)
    return row


def reorg(work: Path, size: int, data_dir: Path, depth: int = 10) -> dict:
    """Our node and the peer each hold ``depth`` blocks of their own on top of ``size``; the peer
    then receives one more block, gossips it, gets a 409, and our node switches to its branch."""
    ours_dir, theirs_dir = work / "reorg-ours", work / "reorg-theirs"
    for target, tag, blocks in ((ours_dir, "ours", depth), (theirs_dir, "theirs", depth + 1)):
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(data_dir, target)
        chain, _ = open_dir(target)
        grow(chain, blocks, tag, f"branch {tag}")
        if tag == "theirs":
            extra = chain.last_block.to_dict()
            chain.store.replace_blocks(extra["index"], [])  # held back, to be pushed later
            chain.store.close()
        else:
            chain.close()
    ours = NodeProcess(work, "reorg-ours", difficulty=DIFFICULTY, data_dir=ours_dir, extra_args=QUIET).start(600)
    theirs = NodeProcess(work, "reorg-theirs", difficulty=DIFFICULTY, data_dir=theirs_dir, extra_args=QUIET).start(600)
    try:
        ours.api.register([theirs.url])
        deadline = time.monotonic() + 60
        while not theirs.api.nodes().nodes and time.monotonic() < deadline:
            time.sleep(0.05)  # the announcement makes the peer gossip to our node
        started = time.perf_counter()
        r = theirs.post("/blocks", json=extra)  # it extends the peer's tip; its gossip gets our 409
        assert r.status_code == 201, r.text
        seconds = wait_tip(ours, extra["hash"], timeout=600, every=0.01)
        assert ours.api.health().model_hash == theirs.api.health().model_hash
        row = {"depth": depth, "height": extra["index"], "seconds": round(time.perf_counter() - started, 3),
               "polled_switch_s": round(seconds, 3)}
    finally:
        ours.stop()
        theirs.stop()
    print(f"    reorg: {row}", flush=True)
    return row


def render(results: dict, out: Path) -> str:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["from_scratch"]
    xs = [r["blocks"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(xs, [r["seconds"] for r in rows], "o-")
    left.set(xscale="log", yscale="log", xlabel="chain length (blocks of 1 flower)", ylabel="seconds",
             title="Sync from scratch, one peer")
    right.plot(xs, [r["bytes"] / 2**20 for r in rows], "o-", color="tab:orange")
    right.set(xscale="log", yscale="log", xlabel="chain length (blocks of 1 flower)", ylabel="MiB moved (both ways)",
              title="Bytes moved")
    for ax in (left, right):
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "sync_scaling.png", dpi=120)
    plt.close(fig)
    big, three, small, re = rows[-1], results["three_peers"], results["one_behind"], results["reorg"]
    lines = ["| work | goal | measured |", "|---|---|---|"]
    lines.append(
        f"| a fresh node syncs {big['blocks']:,} blocks of 1 flower from one peer (validated) | < 60 s, RSS < 1 GB "
        f"| {big['seconds']} s, peak RSS {big['peak_rss_mb']:.0f} MiB |"
    )
    lines.append(
        f"| the same from 3 peers, one serving garbage after 1000 headers | < 70 s, the liar backed off "
        f"| {three['seconds']} s, the liar {three['liar_state']} ({three['liar_bodies_asked']} body pages asked) |"
    )
    lines.append(f"| 1 block behind at height {big['blocks']:,}: bytes besides the block | < 10 KB "
                 f"| {small['besides_block_bytes']:,} B |")
    lines.append(f"| a poll of an unchanged peer (both ways) | < 1 KB | {small['poll_bytes']} B |")
    lines.append(f"| reorg of depth {re['depth']} at height {re['height']:,}, from the 409 to the switch | < 2 s "
                 f"| {re['seconds']} s |")
    lines += ["", "| chain length | sync time | blocks/s | bytes moved | peak RSS |", "|---|---|---|---|---|"]
    lines += [f"| {r['blocks']:,} | {r['seconds']} s | {r['blocks_per_s']:,} | {r['bytes'] / 2**20:.1f} MiB "
              f"| {r['peak_rss_mb']:.0f} MiB |" for r in rows]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sync",
        description="Measure sync at scale between real node processes on loopback, and write sync.json, sync.md "
        "and sync_scaling.png.",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000],
                        help="chain lengths to sync from scratch (default: 1000 10000 100000)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"), help="where to write the results")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "sizes": args.sizes, "from_scratch": []}
    with tempfile.TemporaryDirectory(prefix="iris-bench-sync-") as tmp:
        work = Path(tmp)
        print("== building chains", flush=True)
        dirs, chain = prepare(work, args.sizes)
        largest = max(args.sizes)
        print("== sync from scratch, one peer", flush=True)
        for size in sorted(args.sizes):
            row, source, fresh = from_scratch(work, size, dirs[size])
            results["from_scratch"].append(row)
            try:
                if size == largest:
                    valid = api(fresh, timeout=1800).validate().valid
                    same = fresh.api.health().model_hash == source.api.health().model_hash
                    row["validated"] = bool(valid and same)
                    print("== one block behind, and a poll of an unchanged peer", flush=True)
                    results["one_behind"] = one_behind_and_poll(source, fresh)
            finally:
                source.stop()
                fresh.stop()
        print("== sync from 3 peers, one of them lying", flush=True)
        results["three_peers"] = three_peers(work, largest, dirs[largest], chain)
        print("== reorg of depth 10", flush=True)
        results["reorg"] = reorg(work, largest, dirs[largest])
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    (args.out / "sync.json").write_text(json.dumps(results, indent=2) + "\n")
    summary = render(results, args.out)
    (args.out / "sync.md").write_text(summary)
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
