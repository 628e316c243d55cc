"""Random valid chains for the differential fuzzer, built by the node's own Blockchain.

Every candidate transaction goes through ``Blockchain.add_transaction`` and every block through
``mine``, so what comes out is valid by construction (the point is not to trust that: both
verifiers must say VALID and agree on the state). The kinds of transaction are a registry
(``KINDS``): a later protocol feature adds its own generator with ``@kind("NAME", weight)``
and joins every run, its mutants included.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Optional

from blockchain import Blockchain, crypto
from blockchain.errors import BlockchainError
from blockchain.pow import search_nonce
from blockchain.transactions import MAX_FUTURE_MS, claim_body, flower_body, signed, transfer_body, Transaction
from ml import IrisModel

#: the verifiers' clock in every fuzz run (fixed, so that the 2-hour rule has exact boundaries)
NOW_MS = 1_800_000_000_000
CLASSES = ("setosa", "versicolor", "virginica")
# class prototypes in hundredths, so that most flowers can be refunded and a few reported
PROTOTYPES = {"setosa": (500, 340, 150, 20), "versicolor": (590, 280, 430, 130), "virginica": (660, 300, 560, 200)}
BOUNDARY_UNITS = (1, 2, 99, 100, 101, 999, 1000, 9999, 10000)


def units_text(u: int) -> str:
    return f"{u // 100}.{u % 100:02d}"


@dataclass
class Context:
    """What a transaction generator may look at: the chain, the random source, the keys."""

    rng: random.Random
    chain: Blockchain
    keys: dict  # address -> private key
    names: list  # unsigned addresses
    clock_ms: list  # [the chain's clock in ms]
    counts: dict = field(default_factory=dict)

    def addresses(self) -> list[str]:
        return list(self.keys) + self.names

    def sender(self) -> str:
        return self.rng.choice(self.addresses())

    def timestamp(self) -> int:
        r = self.rng.random()
        if r < 0.05:
            return self.clock_ms[0] + MAX_FUTURE_MS  # the boundary: exactly 2 hours ahead
        if r < 0.08:
            return self.rng.randrange(0, 1000)
        return self.clock_ms[0] - self.rng.randrange(0, 10**9)

    def finish(self, body: dict) -> Transaction:
        """Sign ``body`` when its sender is a key's address (sometimes leaving it unsigned is not
        possible: the address is the key's), otherwise build it unsigned."""
        key = self.keys.get(body["sender"])
        if key is None:
            return Transaction.create(body)
        body["public_key"] = crypto.public_key_hex(key)
        return signed(body, key)


Generator = Callable[[Context], Optional[Transaction]]
KINDS: dict[str, tuple[int, Generator]] = {}


def kind(name: str, weight: int):
    def register(fn: Generator) -> Generator:
        KINDS[name] = (weight, fn)
        return fn
    return register


def measurements(rng: random.Random, label: str) -> dict:
    if rng.random() < 0.1:
        units = [rng.choice(BOUNDARY_UNITS) for _ in range(4)]
    else:
        jitter = rng.choice((0, 0, 0, 5, 10, 30))  # 0: exact duplicates, so distances tie
        units = [max(1, min(10000, u + rng.randint(-jitter, jitter))) for u in PROTOTYPES[label]]
    names = ("sepal_length", "sepal_width", "petal_length", "petal_width")
    return {n: units_text(u) for n, u in zip(names, units)}


@kind("TRANSFER", 3)
def _transfer(ctx: Context) -> Optional[Transaction]:
    rich = [a for a in ctx.addresses() if ctx.chain.state.balance(a) > 0]
    if not rich:
        return None
    sender = ctx.rng.choice(rich)
    recipient = ctx.rng.choice([a for a in ctx.addresses() if a != sender] + [f"new-{ctx.rng.randrange(10**6)}"])
    amount = ctx.rng.randint(1, ctx.chain.state.balance(sender))
    return ctx.finish(transfer_body(sender, recipient, amount, ctx.timestamp()))


@kind("FLOWER_DATA", 6)
def _flower(ctx: Context) -> Optional[Transaction]:
    sender = ctx.sender()
    true_label = ctx.rng.choice(CLASSES)
    label = true_label if ctx.rng.random() < 0.8 else ctx.rng.choice(CLASSES)  # some are mislabelled
    rules = ctx.chain.state.rules
    balance = ctx.chain.state.balance(sender)
    if balance < rules.min_deposit:
        return None
    deposit = ctx.rng.randint(rules.min_deposit, max(rules.min_deposit, min(balance, rules.min_deposit + 3)))
    return ctx.finish(flower_body(sender, measurements(ctx.rng, true_label), label, ctx.timestamp(), deposit))


def _claim(ctx: Context, kind_name: str) -> Optional[Transaction]:
    flowers = list(ctx.chain.state.flowers.items())
    if not flowers:
        return None
    flower_id, flower = ctx.rng.choice(flowers)
    sender = flower.sender if kind_name == "REFUND" else ctx.rng.choice(
        [a for a, g in ctx.chain.state.good.items() if g > 0 and a in ctx.addresses()] or [ctx.sender()])
    return ctx.finish(claim_body(kind_name, sender, flower_id, ctx.timestamp()))


@kind("REFUND", 3)
def _refund(ctx: Context) -> Optional[Transaction]:
    return _claim(ctx, "REFUND")


@kind("REPORT", 2)
def _report(ctx: Context) -> Optional[Transaction]:
    return _claim(ctx, "REPORT")


def _finder(prefix: bytes, difficulty: int, stop) -> int:
    return search_nonce(prefix, difficulty)


def new_chain(rng: random.Random, clock_ms: list, min_deposit: Optional[int] = None) -> Blockchain:
    min_deposit = rng.choice((0, 0, 1, 2)) if min_deposit is None else min_deposit
    return Blockchain(IrisModel(), 1, min_deposit=min_deposit, refund_wait=rng.choice((1, 1, 2, 3)),
                      clock=lambda: clock_ms[0] / 1000, nonce_finder=_finder)


def generate_chain(rng: random.Random, stats: dict, big_block: bool = False, now_ms: int = NOW_MS) -> list[dict]:
    """A valid chain of 2 to 12 blocks (one of 1,000 user transactions with ``big_block``), made
    with a clock a little before ``now_ms``."""
    clock_ms = [now_ms - 10**7]
    chain = new_chain(rng, clock_ms, 0 if big_block else None)
    seeds = [rng.randbytes(32).hex() for _ in range(rng.randint(1, 3))]
    keys = {crypto.address_of(crypto.public_key_hex(k)): k for k in map(crypto.private_key_from_seed, seeds)}
    ctx = Context(rng, chain, keys, [f"user-{c}" for c in "abcd"[:rng.randint(1, 4)]], clock_ms)
    names = list(KINDS)
    weights = [KINDS[n][0] for n in names]
    blocks = rng.randint(2, 12)
    big_at = rng.randrange(1, blocks + 1) if big_block else -1
    for height in range(1, blocks + 1):
        clock_ms[0] += rng.choice((0, 1, 1000, 60_000))
        wanted = 1000 if height == big_at else rng.choice((0, 1, 2, 3, 5, 8, 13))
        tries = 0
        while len(chain.pool) < wanted and tries < wanted * 3 + 5:
            tries += 1
            name = "FLOWER_DATA" if height == big_at else rng.choices(names, weights)[0]
            try:
                tx = KINDS[name][1](ctx)
                if tx is not None:
                    chain.add_transaction(tx)
                    stats[name] = stats.get(name, 0) + 1
            except BlockchainError:
                pass  # a candidate the chain refuses (a claim too early, say): try another
        chain.mine(rng.choice(ctx.addresses()))
    out = [b.to_dict() for b in chain.blocks()]
    stats["blocks"] = stats.get("blocks", 0) + len(out)
    stats["txs"] = stats.get("txs", 0) + sum(len(b["transactions"]) for b in out)
    stats["signed"] = stats.get("signed", 0) + sum("signature" in t for b in out for t in b["transactions"])
    stats["largest_block"] = max(stats.get("largest_block", 0), max(len(b["transactions"]) for b in out))
    chain.close()
    return out
