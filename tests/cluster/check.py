"""A Jepsen-style check on the test bed: seeded rounds of client traffic, concurrent mining and
partitions that form and heal, then the invariants a user relies on.

    sudo .venv/bin/python -m tests.cluster.check --rounds 10 --seed 2026

Each round has two phases, each under a random partition (two or three groups, or one host cut
off); in each phase clients send transfers and flowers to random nodes (every 201 is recorded)
while several nodes mine at once. Then the partition heals (when the nodes then stand still on
equal branches, a tie that keeps each node's own chain, one node mines one more block), and the
round checks:

- every node reaches the same tip (and model hash) within 30 s of the heal;
- every acknowledged transaction is on the final chain or pending on some node, never lost;
- none is on the chain twice;
- no balance is ever negative, at any block of the final chain, and none a node reports;
- every node's model hash equals a replay of the final chain (``blockchain.audit_chain``).

Transfers are sent from the nodes' mining addresses, funded in a first phase on a chain every node
shares, and never spend more than that: each is valid on any branch, so a lost one is a bug.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from blockchain import audit_chain
from client import ApiError
from ml import IrisModel

from .bed import TestBed, unavailable

CONVERGE_S = 30.0
TIE_WAIT = 5.0            # seconds the nodes stand still in a tie before one more block is mined
FUNDING_BLOCKS = 10       # blocks each node mines before the rounds: its address's spending money
TRANSFERS_PER_PHASE = 2   # per phase, from two of the funded addresses (each sends at most 8 in 10 rounds)
FLOWERS_PER_PHASE = 6
CLASSES = ("setosa", "versicolor", "virginica")


class CheckFailed(AssertionError):
    pass


@dataclass
class Round:
    number: int
    partitions: list = field(default_factory=list)
    acked: list = field(default_factory=list)   # (tx id, node index)
    blocks: int = 0
    ties: int = 0                                # blocks mined after the heal to end a tie
    converged_s: float = 0.0

    def line(self, seed: int) -> str:
        shapes = " then ".join("|".join(",".join(map(str, g)) for g in p) for p in self.partitions)
        return (f"round {self.number:2d}  seed {seed}  partitions {shapes:<24}  blocks {self.blocks:3d}  "
                f"transactions {len(self.acked):3d}  converged in {self.converged_s:.2f} s"
                + (f" (a tie, ended by {self.ties} more block)" if self.ties else ""))


def random_partition(rng: random.Random, n: int) -> list[list[int]]:
    order = list(range(n))
    rng.shuffle(order)
    shape = rng.choice(["halves", "halves", "three", "one"])
    if shape == "one":
        return [order[1:], order[:1]]
    if shape == "three" and n >= 3:
        a, b = sorted(rng.sample(range(1, n), 2))
        return [order[:a], order[a:b], order[b:]]
    cut = rng.randint(1, n - 1)
    return [order[:cut], order[cut:]]


def tips(bed: TestBed) -> list[tuple]:
    out = []
    for host in bed.hosts:
        health = host.api.health()
        out.append((health.tip, health.model_hash, health.height))
    return out


def wait_converged(bed: TestBed, timeout: float = CONVERGE_S, break_ties=None) -> float:
    """Seconds until every node has the same tip and model. Equal branches are a tie, which keeps
    each node's own chain (PROTOCOL.md); when the nodes have stood still in a tie for
    ``TIE_WAIT`` seconds, ``break_ties()`` is called (it mines a block, as the network's miners
    would) and the wait goes on."""
    started = time.monotonic()
    seen, since, last = [], time.monotonic(), None
    while time.monotonic() - started < timeout:
        seen = tips(bed)
        if len(set(seen)) == 1:
            return time.monotonic() - started
        if seen != last:
            last, since = seen, time.monotonic()
        elif break_ties is not None and time.monotonic() - since > TIE_WAIT \
                and len({height for _, _, height in seen}) == 1:
            break_ties()
            since = time.monotonic()
        time.sleep(0.1)
    raise CheckFailed(f"the nodes did not reach the same tip within {timeout:.0f} s: {seen}")


def chain_of(host) -> list[dict]:
    return [block.to_dict() for block in host.api.iter_chain()]


def check_invariants(bed: TestBed, acked: list, difficulty: int) -> dict:
    chain = chain_of(bed.hosts[0])
    on_chain = Counter(tx["id"] for block in chain for tx in block["transactions"])
    twice = [tx_id for tx_id, count in on_chain.items() if count > 1]
    if twice:
        raise CheckFailed(f"transactions on the chain more than once: {twice[:5]}")
    pending = set()
    for host in bed.hosts:
        pending |= {tx.id for tx in host.api.iter_pending()}
    lost = [(tx_id, node) for tx_id, node in acked if tx_id not in on_chain and tx_id not in pending]
    if lost:
        raise CheckFailed(f"{len(lost)} acknowledged transactions are neither on the chain nor pending: {lost[:5]}")
    balances: Counter = Counter()
    for block in chain:  # an independent running balance: REWARD and TRANSFER (no deposits are sent here)
        for tx in block["transactions"]:
            if tx["type"] in ("REWARD", "TRANSFER"):
                balances[tx["recipient"]] += tx["amount"]
                if tx["type"] == "TRANSFER":
                    balances[tx["sender"]] -= tx["amount"]
                    if balances[tx["sender"]] < 0:
                        raise CheckFailed(f"{tx['sender']} goes below zero at block {block['index']}")
    for host in bed.hosts:
        for address in balances:
            reported = host.api.balance(address)
            if reported.balance < 0 or reported.available < 0:
                raise CheckFailed(f"node {host.index} reports a negative balance for {address}: {reported}")
    replay = audit_chain(chain, IrisModel(), now_ms=None)
    if not replay.valid:
        raise CheckFailed(f"the final chain does not verify: {replay.issues[:3]}")
    for host in bed.hosts:
        model_hash = host.api.health().model_hash
        if model_hash != replay.model.state_hash:
            raise CheckFailed(
                f"node {host.index} has model {model_hash}, the chain replays to {replay.model.state_hash}"
            )
    return {"height": len(chain) - 1, "on_chain": sum(1 for t, _ in acked if t in on_chain),
            "pending": sum(1 for t, _ in acked if t not in on_chain)}


def connect_all(bed: TestBed) -> None:
    for host in bed.hosts:
        others = [h.url for h in bed.hosts if h is not host]
        try:
            host.api.register(others)
        except ApiError as refused:
            raise CheckFailed(f"node {host.index} refused its peers: {refused}") from None


def fund(bed: TestBed) -> dict[int, str]:
    """Each node mines FUNDING_BLOCKS blocks in turn, all connected: every address is funded on a
    chain that every later branch shares."""
    addresses = {}
    for host in bed.hosts:
        addresses[host.index] = host.api.health().address
        for _ in range(FUNDING_BLOCKS):
            mined(host)
        wait_converged(bed)
    return addresses


def mined(host) -> bool:
    """One ``/mine`` on ``host``: True for a block, False when the node turns it away (busy, aborted)."""
    try:
        host.api.mine()
        return True
    except ApiError:
        return False


def phase(bed: TestBed, rng: random.Random, rnd: Round, addresses: dict, senders: list[int], tag: str) -> None:
    hosts = bed.hosts
    jobs = []
    for sender in senders:
        target = rng.choice(hosts)
        body = {"sender": addresses[sender], "recipient": f"user-{rng.randint(0, 9)}", "amount": 1}
        jobs.append(("/transactions/new", target, body))
    for i in range(FLOWERS_PER_PHASE):
        target = rng.choice(hosts)
        label = rng.choice(CLASSES)
        body = {"sender": f"grower-{tag}-{i}", "sepal_length": round(rng.uniform(4.3, 7.9), 2),
                "sepal_width": round(rng.uniform(2.0, 4.4), 2), "petal_length": round(rng.uniform(1.0, 6.9), 2),
                "petal_width": round(rng.uniform(0.1, 2.5), 2), "flower_type": label}
        jobs.append(("/flower/add", target, body))
    miners = rng.sample(hosts, k=min(3, len(hosts)))
    mining = [(host, rng.randint(1, 3)) for host in miners]

    def send(job):
        path, host, body = job
        try:
            rnd.acked.append((host.api.call("POST", path, body)["transaction_id"], host.index))
        except ApiError:  # refused (a transfer the branch cannot pay, say): not acknowledged, not checked
            pass

    def mine(item):
        host, count = item
        for _ in range(count):
            if mined(host):
                rnd.blocks += 1

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(send, job) for job in jobs] + [pool.submit(mine, item) for item in mining]
        for future in futures:
            future.result()


def run_check(bed: TestBed, rounds: int, seed: int, out=print) -> list[Round]:
    rng = random.Random(seed)
    connect_all(bed)
    addresses = fund(bed)
    done = []
    n = len(bed.hosts)
    for number in range(1, rounds + 1):
        rnd = Round(number)
        for step in range(2):
            groups = random_partition(rng, n)
            rnd.partitions.append(groups)
            bed.partition(groups)
            senders = [(number + step + k) % n for k in range(TRANSFERS_PER_PHASE)]
            phase(bed, rng, rnd, addresses, senders, f"{number}.{step}")
        bed.heal()
        tie_miner = rng.choice(bed.hosts)

        def break_tie(rnd=rnd, tie_miner=tie_miner):
            rnd.ties += 1
            if mined(tie_miner):
                rnd.blocks += 1
        rnd.converged_s = wait_converged(bed, break_ties=break_tie)
        check_invariants(bed, [a for r in done for a in r.acked] + rnd.acked, bed.difficulty)
        done.append(rnd)
        out(rnd.line(seed))
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.cluster.check",
        description="Run the Jepsen-style check on a fresh test bed: seeded rounds of traffic, concurrent mining "
        "and partitions, then the invariants. Needs root and ip netns.",
    )
    parser.add_argument("--rounds", type=int, default=10, help="rounds to run (default: 10)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of every random choice (default: 2026)")
    parser.add_argument("--nodes", type=int, default=5, help="nodes, each on a host of its own (default: 5)")
    args = parser.parse_args(argv)
    reason = unavailable()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    with TestBed(args.nodes, Path(tempfile.mkdtemp(prefix="iris-check-"))) as bed:
        try:
            run_check(bed, args.rounds, args.seed, out=lambda line: print(line, flush=True))
        except CheckFailed as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
