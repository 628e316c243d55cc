"""``python scripts/build_v3_vectors.py``: writes tests/vectors/protocol-v3.json, the worked examples
of PROTOCOL.md "Version 3 (draft): claims" and, under ``difficulty``, of "Version 3: difficulty"
(retargets up, down, clamped and at the minimum; fork choice by most work; time-warp variants).

Chains are built by a real in-process node (``blockchain.Blockchain`` with ``protocol=3``,
difficulty 2 (one zero bit on average), min_deposit 1, refund_wait 2) from fixed timestamps, so the file is the same on
every run. The two attacks of issue 21 (planting, duplicating) are valid chains in which the
victims win, and invalid variants: the attacker's claims forged into a block, which every
implementation must refuse at that block. A third chain shows a split panel: a refund that is
allowed but not good.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from blockchain import Blockchain, MemoryStore, Transaction  # noqa: E402
from blockchain import claims, difficulty  # noqa: E402
from blockchain.block import Block  # noqa: E402
from blockchain.pow import search_below  # noqa: E402
from blockchain.transactions import claim_body, flower_body, reward, transfer_body  # noqa: E402
from ml import iris_base, ledger_model  # noqa: E402
from testkit.v3chains import Builder as Builder3  # noqa: E402
from testkit.v3chains import forge, next_difficulty, work_of  # noqa: E402
from testkit.vectorfile import write_or_check  # noqa: E402

OUT = ROOT / "tests" / "vectors" / "protocol-v3.json"
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
DIFFICULTY, MIN_DEPOSIT, WAIT = 2, 1, 2  # difficulty in hashes a block (v3), also the minimum
TARGET_MS, RETARGET = 1000, 10  # the builder's clock moves >= 1 s a block: the difficulty stays at its minimum
MINER = "vector-miner"
T0 = 1_700_000_000_000  # in the past: a verifier refuses times more than 2 hours ahead of its clock


class Builder:
    def __init__(self) -> None:
        self.t = T0
        self.chain = Blockchain(ledger_model(), DIFFICULTY, MemoryStore(), min_deposit=MIN_DEPOSIT, refund_wait=WAIT,
                                protocol=3, clock=self.clock, target_block_ms=TARGET_MS, retarget_every=RETARGET,
                                min_difficulty=DIFFICULTY)

    def clock(self) -> float:
        return self.t / 1000

    def tick(self) -> int:
        self.t += 1000
        return self.t

    def send(self, body: dict) -> str:
        tx = Transaction.create(body)
        self.chain.add_transaction(tx)
        return tx.id

    def mine(self, n: int = 1) -> None:
        for _ in range(n):
            self.tick()
            self.chain.mine(MINER)

    def fund(self, amounts: dict) -> None:
        while self.chain.state.balance(MINER) < sum(amounts.values()):
            self.mine()
        for who, amount in amounts.items():
            self.send(transfer_body(MINER, who, amount, self.tick()))
        self.mine()

    def flower(self, sender: str, row: list[str], label: str, deposit: int = 1) -> str:
        return self.send(flower_body(sender, dict(zip(FEATURES, row, strict=True)), label, self.tick(), deposit))

    def claim(self, kind: str, sender: str, flower_id: str) -> str:
        return self.send(claim_body(kind, sender, flower_id, self.tick()))

    def good_record(self, sender: str, row: int) -> str:
        """A correct copy of base row ``row`` from ``sender``, refunded as good: the record a reporter needs."""
        base = iris_base()
        record = self.flower(sender, list(base.train[row]), base.train_labels[row])
        self.mine(2)
        self.claim("REFUND", sender, record)
        self.mine()
        return record

    def forged(self, kind: str, sender: str, flower_id: str) -> Transaction:
        return Transaction.create(claim_body(kind, sender, flower_id, self.tick()))

    def blocks(self) -> list[dict]:
        return [b.to_dict() for b in self.chain.blocks()]

    def after(self, flower_ids: dict, addresses) -> dict:
        state = self.chain.state
        return {"balances_after": {a: state.balance(a) for a in addresses},
                "good_after": {a: state.good.get(a, 0) for a in addresses}, "total_good": state.total_good,
                "flowers_after": {name: {"left": state.flowers[fid].left, "refunded": state.flowers[fid].refunded,
                                         "settled": state.flowers[fid].settled}
                                  for name, fid in flower_ids.items()},
                "flower_ids": flower_ids}


def forge_block(chain: list[dict], txs: list[Transaction]) -> list[dict]:
    """``chain`` plus one block holding a REWARD and ``txs``, with a valid header and proof of work."""
    prev = chain[-1]
    index = prev["index"] + 1
    body = [reward(MINER, index), *txs]
    draft = Block.assemble(index, prev["timestamp_ms"] + 1000, prev["hash"], DIFFICULTY, body, 0)
    nonce = search_below(draft.prefix(), difficulty.hash_limit(DIFFICULTY))
    assert nonce is not None  # no stop event and no limit: a search always ends with a nonce
    return chain + [Block.assemble(index, prev["timestamp_ms"] + 1000, prev["hash"], DIFFICULTY, body, nonce).to_dict()]


def judged(b: Builder, flower_id: str) -> dict:
    from blockchain.ledger import Delta
    j = claims.explain(Delta(b.chain.state, b.chain.height + 1, b.chain.model), flower_id)
    return {"flower_id": flower_id, "judged_in_block": j["judged_in_block"], "agree": j["agree"],
            "panel_rows": [n["row"] for n in j["neighbours"] if n["counted"]],
            "refund_allowed": j["refund_allowed"], "report_allowed": j["report_allowed"], "good": j["good"]}


def planting() -> dict:
    b = Builder()
    b.fund({"alice": 5, "mallory": 4})
    record = b.good_record("mallory", 7)
    alice = b.flower("alice", ["5.10", "3.40", "1.50", "0.30"], "setosa", 5)
    b.mine()
    copies = [b.flower("mallory", ["5.10", "3.40", "1.50", "0.30"], "versicolor") for _ in range(3)]
    b.mine()
    before_claims = b.blocks()
    judgements = [{"name": "alice, with 3 planted copies at distance 0", **judged(b, alice)}]
    invalid = [{"reason": "mallory reports alice's true flower: 3 of its 3 nearest settled points agree with her",
                "chain": forge_block(before_claims, [b.forged("REPORT", "mallory", alice)]),
                "first_bad_block": len(before_claims)}]
    b.claim("REFUND", "alice", alice)
    b.mine()
    after_refund = b.blocks()
    judgements.append({"name": "a planted copy, after alice's good refund", **judged(b, copies[0])})
    invalid.append({"reason": "mallory claims a refund of a planted copy: none of its nearest settled points "
                              "(alice's among them) is versicolor",
                    "chain": forge_block(after_refund, [b.forged("REFUND", "mallory", copies[0])]),
                    "first_bad_block": len(after_refund)})
    for c in copies:
        b.claim("REPORT", "alice", c)
    b.mine()
    names = {"mallory_record": record, "alice": alice, **{f"copy_{i}": c for i, c in enumerate(copies)}}
    return {"name": "planting to steal (issue 21): alice keeps her deposit and takes the copies'",
            "chain": b.blocks(), **b.after(names, ["alice", "mallory"]), "judgements": judgements,
            "invalid": invalid}


def duplicating() -> dict:
    base = iris_base()
    b = Builder()
    b.fund({"eve": 3, "bob": 1})
    record = b.good_record("bob", 8)
    copies = [b.flower("eve", list(base.train[0]), "virginica") for _ in range(3)]
    b.mine(WAIT)
    before = b.blocks()
    judgements = [{"name": "a mislabelled copy of base row 0 (setosa)", **judged(b, copies[0])}]
    invalid = [{"reason": "eve claims a refund of a copy of base row 0 labelled virginica: the copies are not "
                          "settled, and the base row and its neighbours are setosa",
                "chain": forge_block(before, [b.forged("REFUND", "eve", copies[0])]), "first_bad_block": len(before)}]
    for c in copies:
        b.claim("REPORT", "bob", c)
    b.mine()
    names = {"bob_record": record, **{f"copy_{i}": c for i, c in enumerate(copies)}}
    return {"name": "poisoning for free (issue 21): eve's copies cannot be refunded, bob reports them",
            "chain": b.blocks(), **b.after(names, ["eve", "bob"]), "judgements": judgements, "invalid": invalid}


def split_panel() -> dict:
    """A flower whose panel is split: refund allowed (one agrees), not good, not reportable."""
    base = iris_base()
    voters = [
        claims.Voter(i, claims.units(r), label)
        for i, (r, label) in enumerate(zip(base.train, base.train_labels, strict=True))
    ]
    weights = base.weights
    for row, label in zip(base.train, base.train_labels, strict=True):
        for other in base.classes:
            if other != label:
                verdict = claims.judge(claims.units(row), other, voters, 3, weights)
                if verdict.refund_allowed and not verdict.good:
                    found = (list(row), other)
                    break
        else:
            continue
        break
    b = Builder()
    b.fund({"carol": 2, "dave": 1})
    record = b.good_record("dave", 8)
    flower = b.flower("carol", *found)
    b.mine(WAIT)
    before = b.blocks()
    judgements = [{"name": f"a copy of a base row labelled {found[1]}: a split panel", **judged(b, flower)}]
    invalid = [{"reason": "dave reports a flower one of whose nearest settled points shares its label",
                "chain": forge_block(before, [b.forged("REPORT", "dave", flower)]), "first_bad_block": len(before)}]
    b.claim("REFUND", "carol", flower)
    b.mine()
    return {"name": "a split panel: carol's refund is allowed but not good (her good count stays 0)",
            "chain": b.blocks(), **b.after({"dave_record": record, "carol": flower}, ["carol", "dave"]),
            "judgements": judgements, "invalid": invalid}


# -- difficulty (PROTOCOL.md "Version 3: difficulty") ---------------------------------------------
# A small network of its own: difficulty 64 (6 zero bits) at genesis, a retarget every 4 blocks
# toward a median block time of 1 s, never below 4.
D_START, D_MIN, D_EVERY, D_TARGET = 64, 4, 4, 1000
D_PARAMS = difficulty.DifficultyParams(D_START, D_TARGET, D_EVERY, D_MIN)
D_NOW = T0 + 10**8  # the verifier's clock for these cases (every chain is behind it)


def _builder(miner: str) -> Builder3:
    return Builder3(T0, miner, D_PARAMS)


def _work(chain: list[dict]) -> str:
    return difficulty.work_text(work_of(chain))


def _next_difficulty(chain: list[dict]) -> int:
    return next_difficulty(chain, D_PARAMS)


def _forge(chain: list[dict], timestamp_ms: int, claimed: int) -> list[dict]:
    """``chain`` plus a block with only its REWARD, stamped ``timestamp_ms``, carrying difficulty
    ``claimed`` and a hash that meets it."""
    return chain + [forge(chain[-1], timestamp_ms, claimed)]


def _chain_case(name: str, chain: list[dict]) -> dict:
    return {"name": name, "chain": chain, "difficulty": [b["difficulty"] for b in chain], "work": _work(chain)}


def difficulty_cases() -> dict:
    up = _builder("up").mine(8, 100).mine(4, 600).blocks()          # x4 (clamped from x10), then 256 -> 426
    down = _builder("down").mine(8, 2000).mine(4, 60_000).blocks()  # 64 -> 32, then / 4 (clamped from / 60)
    fine = _builder("fine").mine(8, 1250).mine(4, 800).blocks()      # 64 -> 51 -> 63: finer than 2x
    floor = _builder("floor").mine(20, 100_000).blocks()            # down to the minimum, and no lower
    steady = _builder("steady").mine(12, 1000).blocks()             # on target: no change
    mixed = _builder("mixed").mine(7, 1000).mine(1, 100).mine(1, 50_000).mine(3, 100).blocks()  # one slow gap
    chains = [_chain_case("retarget up: 64 -> 256 at height 8 (median gap 100 ms, 10x too fast, clamped to x4), "
                          "256 -> 426 at 12 (median 600 ms)", up),
              _chain_case("retarget down: 64 -> 32 at height 8 (median 2000 ms), 32 -> 8 at 12 (median 60 s, "
                          "clamped to / 4)", down),
              _chain_case("finer than a factor of 2: 64 -> 51 at height 8 (median 1250 ms), 51 -> 63 at 12 "
                          "(median 800 ms)", fine),
              _chain_case("retarget at the minimum: far too slow blocks stop at min_difficulty", floor),
              _chain_case("on target: the difficulty stays", steady),
              _chain_case("one forged-looking 50 s gap among 100 ms ones (window of height 12): the lower median is "
                          "100 ms, so 64 -> 256 (x4, clamped), where the window's mean (12.6 s) would have "
                          "divided it by 4", mixed)]
    heavy = _builder("heavy").mine(12, 1000).blocks()
    light = _builder("light").mine(30, 100_000).blocks()
    tie = _builder("tie").mine(12, 1000).blocks()
    base = _builder("base").mine(5, 1000)
    fork_ours = _builder("base").mine(5, 1000)  # the same 5 blocks as base (same miner, same times)
    fork_ours.miner = "ours"
    fork_ours.mine(3, 1000)  # our branch: 3 blocks on target, height 8 keeps 64
    base.miner = "theirs"
    base.mine(3, 100)        # their branch: 3 fast blocks, so height 8 retargets to 256
    forks: list[dict[str, Any]]
    forks = [{"name": "a most-work reorg: two branches of one length from height 5; theirs retargeted up",
              "ours": fork_ours.blocks(), "theirs": base.blocks(), "fork": 5, "winner": "theirs"},
             {"name": "a longer but lighter chain (retargeted down by slow timestamps) is refused",
              "ours": heavy, "theirs": light, "fork": 0, "winner": "ours"},
             {"name": "a shorter but heavier chain wins", "ours": light, "theirs": heavy, "fork": 0,
              "winner": "theirs"},
             {"name": "the same work: a tie keeps ours", "ours": heavy, "theirs": tie, "fork": 0, "winner": "ours"}]
    for f in forks:
        f["ours_work"], f["theirs_work"] = _work(f["ours"]), _work(f["theirs"])
    flat = _builder("flat").mine(3, 1000).mine(8, 0).blocks()  # the clock stood still: the median caught up
    at = len(heavy)
    last = heavy[-1]["timestamp_ms"]
    invalid = [
        {"reason": "time warp: stamped more than 2 hours ahead of the verifier's clock (to make the window slow)",
         "chain": _forge(heavy, D_NOW + difficulty.FUTURE_LIMIT_MS + 1, _next_difficulty(heavy)), "first_bad_block": at,
         "message": "2 hours ahead"},
        {"reason": "time warp: stamped at the median time past of the previous 11 blocks",
         "chain": _forge(flat, flat[-1]["timestamp_ms"], _next_difficulty(flat)), "first_bad_block": len(flat),
         "message": "median time past"},
        {"reason": "stamped before its parent", "chain": _forge(heavy, last - 1, _next_difficulty(heavy)),
         "first_bad_block": at, "message": "before the parent"},
        {"reason": "a retarget block that claims half its required difficulty (its window was on target)",
         "chain": _forge(heavy[:8], heavy[7]["timestamp_ms"] + 1000, _next_difficulty(heavy[:8]) // 2),
         "first_bad_block": 8, "message": "difficulty must be"},
        {"reason": "a block between retargets that claims one less than its parent's difficulty",
         "chain": _forge(heavy[:10], heavy[9]["timestamp_ms"] + 1000, _next_difficulty(heavy[:10]) - 1),
         "first_bad_block": 10, "message": "difficulty must be"},
        {"reason": "a block that keeps the old difficulty at a retarget height (its window was 10x too fast)",
         "chain": _forge(up[:8], up[7]["timestamp_ms"] + 100, D_START), "first_bad_block": 8,
         "message": "difficulty must be"},
    ]
    genesis = heavy[0]
    return {"about": "PROTOCOL.md 'Version 3: difficulty'. chains: valid, with each block's difficulty and the chain's "
                     "work; forks: two valid chains of this network, 'winner' is the one a node holding 'ours' ends "
                     "on when offered 'theirs' (most work; a tie keeps ours); invalid: refused at first_bad_block, "
                     "the message containing 'message'. Judge times against now_ms.",
            "params": genesis["transactions"][0]["params"], "genesis": genesis, "now_ms": D_NOW,
            "chains": chains, "forks": forks, "invalid": invalid}


def render() -> str:
    """The vectors file's text, built from scratch."""
    cases = [planting(), duplicating(), split_panel()]
    genesis = cases[0]["chain"][0]
    out = {"about": "PROTOCOL.md 'Version 3 (draft): claims'; built by scripts/build_v3_vectors.py. Each case: a "
                    "valid chain with the ledger after it and judgements (the panel of a flower in the block after "
                    "judgements were taken), and invalid variants refused at first_bad_block.",
           "params": genesis["transactions"][0]["params"], "genesis": genesis, "cases": cases,
           "difficulty": difficulty_cases()}
    return json.dumps(out, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    return write_or_check(OUT, render, __doc__.split("\n\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())
