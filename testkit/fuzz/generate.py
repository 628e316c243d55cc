"""Random valid chains for the differential fuzzer, built by the node's own Blockchain.

Every candidate transaction goes through ``Blockchain.add_transaction`` and every block through
``mine``, so what comes out is valid by construction (the point is not to trust that: both
verifiers must say VALID and agree on the state). The kinds of transaction are a registry
(``KINDS``): a later protocol feature adds its own generator with ``@kind("NAME", weight)``
(``v3=`` its weight on protocol 3 networks, 0 = not there) and joins every run, its mutants
included.

Protocol 3 chains (``protocol=3``) carry claim-heavy traffic that exercises the v3 claim rule
(PROTOCOL.md "Version 3 (draft): claims"): refunds and reports of claimable flowers, allowed
and refused, copies of another sender's measurements with a wrong label (planted later or in the
victim's own block), mislabelled copies of base rows, reports by holders of a good record. A
claim the node refuses is not mined; ``refused`` collects it with the block it was tried for,
and the "claim" mutant forges it into that block.

Protocol 3 chains also carry training jobs (PROTOCOL.md "Version 3: training jobs"): small JOBs on
the network's flowers with windows short enough to settle inside a chain, commitments by workers
(some never reveal), test reveals (some requesters withhold theirs) and model reveals; the miner
writes each JOB_SETTLE. The test sets and the models' salts stay in ``Context.jobs`` until revealed,
as a requester and its workers keep them. Every model commitment is made by ``model_commitment``
below, the one place that knows its formula.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Optional

from blockchain import Blockchain, crypto
from blockchain.errors import BlockchainError
from blockchain.pow import search_below
from blockchain.transactions import MAX_FUTURE_MS, claim_body, flower_body, signed, transfer_body, Transaction
from blockchain.job_bodies import job_body, job_commit_body, job_model_body, job_test_body
from ml import IrisModel, kinds

#: the verifiers' clock in every fuzz run (fixed, so that the 2-hour rule has exact boundaries)
NOW_MS = 1_800_000_000_000
CLASSES = ("setosa", "versicolor", "virginica")
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
# class prototypes in hundredths, so that most flowers can be refunded and a few reported
PROTOTYPES = {"setosa": (500, 340, 150, 20), "versicolor": (590, 280, 430, 130), "virginica": (660, 300, 560, 200)}
RULE_WORDS = ("nearest settled points", "the model predicts", "the model agrees")  # v3's panel, v2's vote
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
    protocol: int = 2
    refused_now: set = field(default_factory=set)  # (type, flower id, sender) refused for the block being filled
    jobs: dict = field(default_factory=dict)  # job id -> {"test": its test set, "reveals": {commitment: reveal}}

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


Generator = Callable[[Context], "Optional[Transaction | list[Transaction]]"]
KINDS: dict[str, tuple[int, Generator, int]] = {}  # name -> (v2 weight, generator, v3 weight)
PROTOCOLS = (2, 3)


def kind(name: str, weight: int, v3: Optional[int] = None):
    """Register a generator of one kind of traffic; ``weight`` on protocol 2, ``v3`` (default: the
    same) on protocol 3 networks."""
    def register(fn: Generator) -> Generator:
        KINDS[name] = (weight, fn, weight if v3 is None else v3)
        return fn
    return register


def weights_for(protocol: int) -> tuple[list[str], list[int]]:
    """The kinds a chain of ``protocol`` draws from, with their weights (registry order)."""
    weight = {n: (w2 if protocol < 3 else w3) for n, (w2, _fn, w3) in KINDS.items()}
    names = [n for n in KINDS if weight[n] > 0]
    return names, [weight[n] for n in names]


def measurements(rng: random.Random, label: str) -> dict:
    if rng.random() < 0.1:
        units = [rng.choice(BOUNDARY_UNITS) for _ in range(4)]
    else:
        jitter = rng.choice((0, 0, 0, 5, 10, 30))  # 0: exact duplicates, so distances tie
        units = [max(1, min(10000, u + rng.randint(-jitter, jitter))) for u in PROTOTYPES[label]]
    names = ("sepal_length", "sepal_width", "petal_length", "petal_width")
    return {n: units_text(u) for n, u in zip(names, units, strict=True)}


@kind("TRANSFER", 3, v3=2)
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
    lowest = (
        rules.min_deposit if ctx.protocol < 3 or balance < 1 else max(1, rules.min_deposit)
    )  # v3: something to claim
    deposit = ctx.rng.randint(lowest, max(lowest, min(balance, rules.min_deposit + 3)))
    return ctx.finish(flower_body(sender, measurements(ctx.rng, true_label), label, ctx.timestamp(), deposit))


def _claim(ctx: Context, kind_name: str) -> Optional[Transaction]:
    flowers = list(ctx.chain.state.flowers.items())
    if not flowers:
        return None
    flower_id, flower = ctx.rng.choice(flowers)
    sender = flower.sender if kind_name == "REFUND" else ctx.rng.choice(
        [a for a, g in ctx.chain.state.good.items() if g > 0 and a in ctx.addresses()] or [ctx.sender()])
    return ctx.finish(claim_body(kind_name, sender, flower_id, ctx.timestamp()))


def _claimable(ctx: Context) -> list:
    """(flower id, flower) of the flowers a claim in the next block may name (waited, not emptied)."""
    nxt, wait = ctx.chain.height + 1, ctx.chain.state.rules.refund_wait
    return [(fid, f) for fid, f in ctx.chain.state.flowers.items() if f.block + wait <= nxt and f.left > 0]


def _claim_v3(ctx: Context, kind_name: str) -> Optional[Transaction]:
    """A claim on a claimable flower (usually): by its contributor for a REFUND; for a REPORT by
    a holder of a good record (usually), sometimes by anyone, so both the rule and the v2
    conditions refuse some."""
    flowers = _claimable(ctx) if ctx.rng.random() < 0.9 else list(ctx.chain.state.flowers.items())
    if kind_name == "REFUND":  # not one pending, nor one refused already for this block (the verdict is the same)
        flowers = [(fid, f) for fid, f in flowers if ctx.chain.pool.pending_claim(f.sender, fid) is None
                   and ("REFUND", fid, f.sender) not in ctx.refused_now]
    if not flowers:
        return None
    flower_id, flower = ctx.rng.choice(flowers)
    if kind_name == "REFUND":
        sender = flower.sender
    else:
        good = [
            a
            for a, g in ctx.chain.state.good.items()
            if g > 0
            and a != flower.sender
            and a in ctx.addresses()
            and ctx.chain.pool.pending_claim(a, flower_id) is None
            and ("REPORT", flower_id, a) not in ctx.refused_now
        ]
        if not good and ctx.rng.random() < 0.7:
            return None
        sender = ctx.rng.choice(good) if good and ctx.rng.random() < 0.9 else ctx.sender()
    return ctx.finish(claim_body(kind_name, sender, flower_id, ctx.timestamp()))


@kind("REFUND", 3, v3=6)
def _refund(ctx: Context) -> Optional[Transaction]:
    return _claim(ctx, "REFUND") if ctx.protocol < 3 else _claim_v3(ctx, "REFUND")


@kind("REPORT", 2, v3=5)
def _report(ctx: Context) -> Optional[Transaction]:
    return _claim(ctx, "REPORT") if ctx.protocol < 3 else _claim_v3(ctx, "REPORT")


def _copies(ctx: Context, data: dict, label: str, not_sender: Optional[str]) -> list[Transaction]:
    """1 to 3 FLOWER_DATA of ``data`` labelled ``label`` from one sender other than ``not_sender``."""
    rules = ctx.chain.state.rules
    deposit = max(1, rules.min_deposit)  # a deposit to claim, so that the claim rule is reached
    spendable = {a: ctx.chain.state.balance(a) - ctx.chain.pool.outgoing(a) for a in ctx.addresses() if a != not_sender}
    senders = [a for a, coins in spendable.items() if coins >= deposit]
    if not senders:
        return []
    sender = ctx.rng.choice(senders)
    return [ctx.finish(flower_body(sender, dict(data), label, ctx.timestamp(), deposit))
            for _ in range(ctx.rng.randint(1, min(3, spendable[sender] // deposit)))]


def _planted(ctx: Context, data: dict, label: str, victim: str) -> list[Transaction]:
    data = {k: v for k, v in data.items() if k != "flower_type"}
    return _copies(ctx, data, ctx.rng.choice([c for c in CLASSES if c != label]), victim)


@kind("PLANT", 0, v3=2)
def _plant(ctx: Context) -> list[Transaction]:
    """Copies of another sender's mined flower with another label (planted after it)."""
    if not ctx.chain.state.flowers:
        return []
    flower = ctx.rng.choice(list(ctx.chain.state.flowers.values()))
    data = dict(
        zip(("sepal_length", "sepal_width", "petal_length", "petal_width"), map(units_text, flower.point), strict=True)
    )
    return _planted(ctx, data, flower.label, flower.sender)


@kind("FRONT_RUN", 0, v3=2)
def _front_run(ctx: Context) -> list[Transaction]:
    """Copies of another sender's pending flower with another label: mined in the victim's block."""
    pending = [t for t in ctx.chain.pool if t.type == "FLOWER_DATA"]
    if not pending:
        return []
    victim = ctx.rng.choice(pending)
    return _planted(ctx, victim.body["data"], victim.label(), victim.sender)


@kind("DUPLICATE", 0, v3=2)
def _duplicate(ctx: Context) -> list[Transaction]:
    """Copies of a base training row, mislabelled (usually) or not."""
    row, label = ctx.rng.choice(ctx.chain.model.base_rows())
    data = dict(zip(("sepal_length", "sepal_width", "petal_length", "petal_width"), row, strict=True))
    wrong = ctx.rng.random() < 0.8
    return _copies(ctx, data, ctx.rng.choice([c for c in CLASSES if c != label]) if wrong else label, None)


# -- training jobs (protocol 3) --------------------------------------------------------------
def model_commitment(model: dict, salt: str, worker: str) -> str:
    """A JOB_COMMIT's ``model_commitment`` of ``worker``'s ``model`` under ``salt``: the one place the
    fuzzer builds one (the worker is bound in, PROTOCOL.md "Values, canonical forms and commitments")."""
    return kinds.model_commitment(model, salt, worker)


def _salt(ctx: Context) -> str:
    return ctx.rng.randbytes(32).hex()


def _a_model(ctx: Context, kind_name: str) -> dict:
    label = ctx.rng.randrange(len(CLASSES))
    if kind_name == "tree":
        if ctx.rng.random() < 0.5:
            return {"kind": "tree", "nodes": [[label]]}
        return {"kind": "tree", "nodes": [[2, ctx.rng.choice((245, 300, 480)), 1, 2], [0], [ctx.rng.randrange(3)]]}
    rows = [list(PROTOTYPES[c]) for c in CLASSES[: ctx.rng.randint(1, 3)]]
    return {"kind": "knn", "rows": rows, "labels": [CLASSES.index(c) for c in CLASSES[: len(rows)]],
            "weights": [1, 1, 1, 1], "k": 1}


def _pending(ctx: Context, tx_type: str, job_id: str) -> set[str]:
    """The senders of the pending ``tx_type`` transactions of job ``job_id``."""
    return {t.sender for t in ctx.chain.pool if t.type == tx_type and t.body["job_id"] == job_id}


def _jobs_in(ctx: Context, state: str) -> list[dict]:
    """The jobs of this chain (made here) in ``state`` for the next block."""
    out = []
    for job_id in ctx.jobs:
        view = ctx.chain.job(job_id)
        if view is not None and view["state"] == state:
            out.append(view)
    return out


@kind("JOB", 0, v3=1)
def _job(ctx: Context) -> Optional[Transaction]:
    """A small job on the network's flowers (commit windows of 1 to 3 blocks, a test window of 1, a
    model window of 2 or 3), posted when another address could stake."""
    rich = [a for a in ctx.addresses() if ctx.chain.state.balance(a) - ctx.chain.pool.outgoing(a) >= 1]
    if len(rich) < 2 or len(ctx.jobs) >= 4:
        return None
    sender = ctx.rng.choice(rich)
    bounty = ctx.rng.randint(1, min(7, ctx.chain.state.balance(sender) - ctx.chain.pool.outgoing(sender)))
    n = ctx.rng.randint(1, 4)
    labels = [ctx.rng.randrange(len(CLASSES)) for _ in range(n)]
    rows = [[u + ctx.rng.randint(-20, 20) for u in PROTOTYPES[CLASSES[c]]] for c in labels]
    salt = _salt(ctx)
    test = {"rows": rows, "labels": labels, "salt": salt}
    data = {"kind": ctx.rng.choice(("tree", "knn")), "train": {"flowers_to": 0}, "features": list(FEATURES),
            "classes": list(CLASSES), "test_commitment": kinds.test_commitment(rows, labels, salt),
            "test_rows": n, "stake": 1 if ctx.rng.random() < 0.8 else 2, "max_commits": ctx.rng.randint(1, 3),
            "commit_blocks": ctx.rng.randint(1, 3), "test_blocks": 1, "model_blocks": ctx.rng.randint(2, 3)}
    tx = ctx.finish(job_body(sender, bounty, data, ctx.timestamp()))
    ctx.jobs[tx.id] = {"test": test, "reveals": {}}
    return tx


@kind("JOB_COMMIT", 0, v3=5)
def _job_commit(ctx: Context) -> Optional[Transaction]:
    jobs = _jobs_in(ctx, "commit")
    if not jobs:
        return None
    job = ctx.rng.choice(jobs)
    stake = job["data"]["stake"]
    done = {c["worker"] for c in job["commitments"]} | _pending(ctx, "JOB_COMMIT", job["id"])
    workers = [a for a in ctx.addresses() if a != job["requester"] and a not in done
               and ctx.chain.state.balance(a) - ctx.chain.pool.outgoing(a) >= stake]
    if not workers:
        return None
    worker = ctx.rng.choice(workers)
    model, salt = _a_model(ctx, job["data"]["kind"]), _salt(ctx)
    commitment = model_commitment(model, salt, worker)
    tx = ctx.finish(job_commit_body(worker, job["id"], stake, commitment, ctx.timestamp()))
    ctx.jobs[job["id"]]["reveals"][commitment] = {"model": model, "salt": salt}
    return tx


@kind("JOB_TEST", 0, v3=4)
def _job_test(ctx: Context) -> Optional[Transaction]:
    jobs = [j for j in _jobs_in(ctx, "test") if j["test"] is None and not _pending(ctx, "JOB_TEST", j["id"])]
    if not jobs:
        return None
    job = ctx.rng.choice(jobs)
    if ctx.rng.random() < 0.15:  # this requester withholds its test set
        return None
    test = ctx.jobs[job["id"]]["test"]
    return ctx.finish(job_test_body(job["requester"], job["id"], test["rows"], test["labels"], test["salt"],
                                    ctx.timestamp()))


@kind("JOB_MODEL", 0, v3=5)
def _job_model(ctx: Context) -> Optional[Transaction]:
    jobs = [j for j in _jobs_in(ctx, "model") if j["test"] is not None]
    waiting = [(j, c) for j in jobs for c in j["commitments"] if not c["revealed"]
               and c["worker"] not in _pending(ctx, "JOB_MODEL", j["id"])]
    if not waiting or ctx.rng.random() < 0.15:  # some workers never reveal
        return None
    job, commit = ctx.rng.choice(waiting)
    worker, reveal = commit["worker"], ctx.jobs[job["id"]]["reveals"][commit["model_commitment"]]
    return ctx.finish(job_model_body(worker, job["id"], reveal["model"], reveal["salt"], ctx.timestamp()))


JOB_CHAINS = 0.3  # the share of v3 chains whose traffic is mostly training jobs


def _finder(prefix: bytes, bound: int, stop) -> Optional[int]:
    return search_below(prefix, bound)


def new_chain(rng: random.Random, clock_ms: list, min_deposit: Optional[int] = None, protocol: int = 2) -> Blockchain:
    """A network of ``protocol``: v2 at difficulty 1 (hex zero); v3 at difficulty 1, 2 or 4 with a
    retarget every 2 to 4 blocks toward 1 ms, 1 s or 60 s, so that its chains cross several retargets
    (up and down, clamped) while a block stays a few thousand hashes at most."""
    min_deposit = rng.choice((0, 0, 1, 2)) if min_deposit is None else min_deposit
    refund_wait = rng.choice((1, 1, 2, 3))
    target: Optional[int] = None
    every: Optional[int] = None
    lowest: Optional[int] = None
    if protocol == 3:
        target, every, lowest = rng.choice((1, 1000, 60_000)), rng.choice((2, 3, 4)), 1
    difficulty = rng.choice((1, 2, 4)) if protocol == 3 else 1
    return Blockchain(IrisModel(), difficulty, min_deposit=min_deposit, refund_wait=refund_wait,
                      clock=lambda: clock_ms[0] / 1000, nonce_finder=_finder, protocol=protocol,
                      target_block_ms=target, retarget_every=every, min_difficulty=lowest)


def _count_claim(stats: dict, tx: Transaction, problem: Optional[str]) -> None:
    """Claims tried, by outcome: accepted, refused by the claim rule (v2's vote, v3's panel), or by
    another condition (sender, wait, nothing left, good record)."""
    if tx.type not in ("REFUND", "REPORT"):
        return
    if problem is None:
        what = "accepted"
    elif any(words in problem for words in RULE_WORDS):
        what = "refused by the rule"
    else:
        what = "refused otherwise"
    claims = stats.setdefault("claims", {})
    claims[f"{tx.type} {what}"] = claims.get(f"{tx.type} {what}", 0) + 1


def generate_chain(rng: random.Random, stats: dict, big_block: bool = False, now_ms: int = NOW_MS,
                   protocol: int = 2, refused: Optional[list] = None) -> list[dict]:
    """A valid chain of 2 to 12 blocks (v3: 4 to 14) (one of 1,000 user transactions with ``big_block``), made
    with a clock a little before ``now_ms``, on a network of ``protocol``. Claims the node refused
    are appended to ``refused`` as (block index they were tried for, transaction dict, why)."""
    clock_ms = [now_ms - 10**7]
    chain = new_chain(rng, clock_ms, 0 if big_block else None, protocol)
    seeds = [rng.randbytes(32).hex() for _ in range(rng.randint(1, 3))]
    keys = {crypto.address_of(crypto.public_key_hex(k)): k for k in map(crypto.private_key_from_seed, seeds)}
    ctx = Context(rng, chain, keys, [f"user-{c}" for c in "abcd"[:rng.randint(1, 4)]], clock_ms, protocol=protocol)
    names, weights = weights_for(protocol)
    blocks = rng.randint(2, 12) if protocol < 3 else rng.randint(4, 14)  # v3: time for records to form
    if protocol == 3 and rng.random() < JOB_CHAINS:  # a job chain: long enough to settle, coins kept for stakes
        weights = [w * 6 if n.startswith("JOB") else w for n, w in zip(names, weights, strict=True)]
        blocks = rng.randint(9, 14)
        stats["job_chains"] = stats.get("job_chains", 0) + 1
    big_at = rng.randrange(1, blocks + 1) if big_block else -1
    for height in range(1, blocks + 1):
        clock_ms[0] += rng.choice((0, 1, 1000, 60_000))
        wanted = 1000 if height == big_at else rng.choice((0, 1, 2, 3, 5, 8, 13))
        tries = 0
        while len(chain.pool) < wanted and tries < wanted * 3 + 5:
            tries += 1
            name = "FLOWER_DATA" if height == big_at else rng.choices(names, weights)[0]
            made = KINDS[name][1](ctx)
            for tx in made if isinstance(made, list) else [made] if made is not None else []:
                try:
                    chain.add_transaction(tx)
                except BlockchainError as exc:
                    _count_claim(stats, tx, str(exc))
                    if tx.type in ("REFUND", "REPORT"):
                        ctx.refused_now.add((tx.type, tx.body["flower_id"], tx.sender))
                    if refused is not None and tx.type in ("REFUND", "REPORT"):
                        refused.append((height, tx.to_dict(), str(exc)))
                    continue  # a candidate the chain refuses (a claim too early, say): try another
                _count_claim(stats, tx, None)
                stats[name] = stats.get(name, 0) + 1
        chain.mine(rng.choice(ctx.addresses()))
        ctx.refused_now.clear()
    out = [b.to_dict() for b in chain.blocks()]
    stats["blocks"] = stats.get("blocks", 0) + len(out)
    stats["txs"] = stats.get("txs", 0) + sum(len(b["transactions"]) for b in out)
    stats["signed"] = stats.get("signed", 0) + sum("signature" in t for b in out for t in b["transactions"])
    stats["largest_block"] = max(stats.get("largest_block", 0), max(len(b["transactions"]) for b in out))
    flowers = chain.state.flowers.values()
    stats["settled"] = stats.get("settled", 0) + sum(f.settled > 0 for f in flowers)  # v3: refunded as good
    stats["refunded"] = stats.get("refunded", 0) + sum(f.refunded for f in flowers)
    stats["reported"] = stats.get("reported", 0) + sum(bool(f.reporters) for f in flowers)
    for job_id in ctx.jobs:  # the outcomes of the jobs settled in the chain
        view = chain.job(job_id)
        if view is not None and view["settlement"] is not None:
            outcomes = stats.setdefault("job_outcomes", {})
            outcomes[view["settlement"]["outcome"]] = outcomes.get(view["settlement"]["outcome"], 0) + 1
    if protocol == 3:  # the retargets the chain crossed (PROTOCOL.md "Version 3: difficulty")
        every = out[0]["transactions"][0]["params"]["retarget_every"]
        moves = stats.setdefault("retargets", {})
        for h in range(2 * every, len(out), every):
            before, after = out[h - 1]["difficulty"], out[h]["difficulty"]
            what = "up" if after > before else "down" if after < before else "same"
            moves[what] = moves.get(what, 0) + 1
            if after in (4 * before, max(1, before // 4)) and after != before:
                moves["clamped"] = moves.get("clamped", 0) + 1
    chain.close()
    return out
