"""The claim rule of PROTOCOL.md "Version 3 (draft): claims": a contribution is judged only by
settled data, and identical measurements vote once.

The **voters** of a claim judged in block b are the base training rows and the contributions whose
REFUND was judged good in a block before b. Voters with the same measurements count once (the
one with the smallest row). The **panel** is the ``k`` voters nearest the flower by
``(distance, row)``; ``agree`` is how many carry the flower's label. A REFUND needs
``agree >= REFUND_AGREE``; it is *good* (it raises ``good`` and makes the flower a voter) only when
the whole panel agrees; a REPORT needs ``agree == 0``.

Only integer arithmetic on measurement units and the genesis weights: nothing here is machine
learning, so the chain computes it itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Optional, Protocol, Sequence

if TYPE_CHECKING:
    from .model_port import LedgerModel
    from .rules.base import Flower

REFUND_AGREE = 1      # panel members that must share the label for a REFUND
LIST_NEARBY = 12      # non-voting rows shown beside the panel (display only)

Point = tuple[int, ...]
_BASE: dict[str, tuple[tuple[Point, str], ...]] = {}   # base_hash -> ((units, label), ...) of the base training rows


def units(features: Sequence[str]) -> tuple[int, ...]:
    """Measurement strings (``"5.10"``) as integer hundredths; the strings are valid by then."""
    return tuple(int(value.replace(".", "")) for value in features)


def distance(a: Sequence[int], b: Sequence[int], weights: Sequence[int]) -> int:
    return sum((w * (x - y)) ** 2 for w, x, y in zip(weights, a, b, strict=False))


def base_points(model: LedgerModel, base_hash: str) -> tuple[tuple[Point, str], ...]:
    """The base training rows as ((units, label), ...), row i at position i (cached per base)."""
    points = _BASE.get(base_hash)
    if points is None:
        points = _BASE[base_hash] = tuple((units(row), label) for row, label in model.base_rows())
    return points


@dataclass(frozen=True)
class Voter:
    row: int
    point: Point
    label: str
    flower_id: Optional[str] = None   # None for a base row


@dataclass
class Judgement:
    """The verdict on one flower in one block, and the data that gave it."""

    label: str
    k: int
    panel: list[tuple[Voter, int]] = field(default_factory=list)  # [(Voter, distance)] nearest first, k at most
    #: [(Voter, distance, duplicate of row)]: the same point as a panel voter
    skipped: list[tuple[Voter, int, int]] = field(default_factory=list)

    @property
    def agree(self) -> int:
        return sum(1 for voter, _ in self.panel if voter.label == self.label)

    @property
    def refund_allowed(self) -> bool:
        return self.agree >= REFUND_AGREE

    @property
    def good(self) -> bool:
        return bool(self.panel) and self.agree == len(self.panel)

    @property
    def report_allowed(self) -> bool:
        return self.agree == 0


def judge(point: Sequence[int], label: str, voters: Iterable[Voter], k: int, weights: Sequence[int]) -> Judgement:
    """The panel of ``point`` among ``voters`` (base rows and settled contributions)."""
    ranked = sorted(((distance(point, v.point, weights), v.row, v) for v in voters), key=lambda t: (t[0], t[1]))
    verdict = Judgement(label, k)
    first_at: dict[Point, int] = {}
    # a duplicate always has a larger row than the first of its point, which is at the same distance,
    # so walking in (distance, row) order meets the first of every point before its copies
    for dist, row, voter in ranked:
        if len(verdict.panel) >= k:
            break
        if voter.point in first_at:
            verdict.skipped.append((voter, dist, first_at[voter.point]))
            continue
        first_at[voter.point] = row
        verdict.panel.append((voter, dist))
    return verdict


class Judged(Protocol):
    """What ``explain`` reads of a ``ledger.Delta``."""

    @property
    def state(self) -> Any: ...
    @property
    def model(self) -> Any: ...
    @property
    def block_index(self) -> int: ...
    def flower(self, flower_id: str) -> Optional[Flower]: ...
    def judgement(self, flower: Flower) -> Judgement: ...


def _why_voter(voter: Voter, state: Any) -> str:
    if voter.flower_id is None:
        return "a base training row"
    return f"a contribution refunded as good in block {state.flowers[voter.flower_id].settled}"


def _why_not(flower_id: str, record: Flower, judged: str, block_index: int) -> str:
    if flower_id == judged:
        return "the flower being judged"
    if record.settled:
        return f"refunded as good in block {record.settled}: it votes from block {record.settled + 1}"
    if record.refunded:
        return "refunded without a unanimous panel: it never votes"
    return "not settled: unclaimed or reported, so it does not vote"


def _point(delta: Judged, record: Flower) -> Point:
    """A flower's measurements: kept in its record (older snapshots lack them: then the model's row)."""
    return record.point or units(delta.model.row(record.row)[0])


def explain(delta: Judged, flower_id: str) -> dict[str, Any]:
    """Which data judges ``flower_id`` in ``delta``'s block and why each row counted or not (for
    the API; consensus uses ``Delta.judgement``). v2 networks get the leave-one-out vote."""
    state, rules = delta.state, delta.state.rules
    flower = delta.flower(flower_id)
    if flower is None:  # the callers look it up first
        raise KeyError(f"no FLOWER_DATA {flower_id!r:.80} on the chain")
    point = _point(delta, flower)
    base = base_points(delta.model, rules.base_hash)
    out: dict[str, Any] = {"flower_id": flower_id, "protocol": rules.protocol, "judged_in_block": delta.block_index,
                           "label": flower.label, "k": rules.k, "left": flower.left,
                           "claimable_from_block": flower.block + rules.refund_wait}
    if rules.protocol < 3:
        rows = [(distance(point, p, rules.weights), i, label, None) for i, (p, label) in enumerate(base)]
        rows += [(distance(point, _point(delta, f), rules.weights), f.row, f.label, fid)
                 for fid, f in state.flowers.items() if fid != flower_id]
        rows.sort(key=lambda t: (t[0], t[1]))
        panel = rows[:rules.k]
        counts = [sum(1 for r in panel if r[2] == c) for c in rules.classes]
        predicted = rules.classes[counts.index(max(counts))] if panel else None
        agree = sum(1 for r in panel if r[2] == flower.label)
        out.update(rule="leave-one-out vote of every other row", agree=agree, prediction=predicted,
                   vote_allows_refund=predicted == flower.label, vote_allows_report=predicted != flower.label,
                   good=predicted == flower.label,
                   neighbours=[{"row": row, "distance": d, "label": label, "flower_id": fid, "counted": True,
                                "why": "every row but the flower's own votes in protocol 2"}
                               for d, row, label, fid in panel])
        return _with_verdict(out, delta.block_index)
    verdict = delta.judgement(flower)
    listed = [{"row": v.row, "distance": d, "label": v.label, "flower_id": v.flower_id, "counted": True,
               "why": _why_voter(v, state)} for v, d in verdict.panel]
    listed += [{"row": v.row, "distance": d, "label": v.label, "flower_id": v.flower_id, "counted": False,
                "why": f"same measurements as row {first}, which counts once"} for v, d, first in verdict.skipped]
    reach = max((d for _, d in verdict.panel), default=0)
    others = sorted(((distance(point, _point(delta, f), rules.weights), f.row, fid, f)
                     for fid, f in state.flowers.items()
                     if not (0 < f.settled < delta.block_index)), key=lambda t: (t[0], t[1]))
    for d, row, fid, record in others[:LIST_NEARBY]:
        if d > reach:
            break
        listed.append({"row": row, "distance": d, "label": record.label, "flower_id": fid, "counted": False,
                       "why": _why_not(fid, record, flower_id, delta.block_index)})
    listed.sort(key=lambda n: (n["distance"], n["row"]))
    out.update(rule="the k nearest settled points, identical measurements once", agree=verdict.agree,
               vote_allows_refund=verdict.refund_allowed, vote_allows_report=verdict.report_allowed,
               good=verdict.good, neighbours=listed)
    return _with_verdict(out, delta.block_index)


def _with_verdict(out: dict[str, Any], block_index: int) -> dict[str, Any]:
    """The claim's verdict in the next block: the vote, and also whether it is due and anything is
    left (what the node checks when the claim is submitted). A report also needs a reporter with a
    refunded contribution who is not the contributor and has not reported this flower yet."""
    blocked = []
    if block_index < out["claimable_from_block"]:
        blocked.append(f"it can be claimed from block {out['claimable_from_block']} (the next block is {block_index})")
    if out["left"] <= 0:
        blocked.append("nothing is left of its deposit")
    out["due"] = not blocked
    out["refund_allowed"] = out["due"] and out["vote_allows_refund"]
    out["report_allowed"] = out["due"] and out["vote_allows_report"]
    out["blocked_by"] = blocked
    return out
