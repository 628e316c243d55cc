"""Fork choice: the one rule by which a node decides whether another chain is better than its own,
and the per-height record of a chain (``WorkLog``) that the rule and protocol 3's difficulty read.

A chain is better when it has strictly more cumulative work (``difficulty.better_chain``); a tie
keeps our own chain. Protocol 2 counts its fixed difficulty in hex digits (``2^(4 * difficulty)``
a block, so "more work" is "longer"); protocol 3's difficulty is the block's work itself, the
hashes it takes on average, and retargets (PROTOCOL.md "Version 3: difficulty"). The ledger
(``reorg.py``), headers-first sync and the peer rounds ask ``Blockchain.prefers``, which asks
``is_better``; none of them compares chains itself.

``WorkLog`` keeps, for every height of a chain, the block's ``(timestamp_ms, difficulty)`` and the
chain's cumulative work up to it: appending a block is O(1), so is the chain's work, and taking
blocks back off is a truncation. It reads as a sequence of ``(timestamp_ms, difficulty)``, the
``ancestors`` argument of ``difficulty.required_difficulty`` and ``header_problem``. ``Ancestry`` is a
chain up to some height of a log followed by headers not (yet) in it, for a branch.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Optional, Union, overload

from .difficulty import (MAX_DIFFICULTY, MTP_SPAN, Ancestor, DifficultyParams, better_chain, hash_limit,
                         header_problem, median_time_past, required_difficulty)

BITS_PER_HEX_DIGIT = 4
V2_MAX_DIFFICULTY = 64  # a v2 header's difficulty field, in hex digits
_DIFFICULTY = re.compile(r'"difficulty":(\d+)')
FOREVER_MS = 2**62  # "no clock": a replay does not apply the limit on the future


def chain_work(height: int, difficulty: int) -> int:
    """The work of a chain of blocks 0 to ``height`` at the fixed (protocol 2) ``difficulty``."""
    if height < 0:
        raise ValueError(f"height must be at least 0; got {height}")
    return (height + 1) * v2_block_work(difficulty)


def v2_block_work(difficulty: int) -> int:
    """The work of a protocol 2 block of ``difficulty`` hex zeros: 16^difficulty."""
    if not 0 <= difficulty <= V2_MAX_DIFFICULTY:
        raise ValueError(f"a v2 difficulty is 0 to {V2_MAX_DIFFICULTY} hex digits")
    return 1 << (BITS_PER_HEX_DIGIT * difficulty)


def block_work(params: Optional[DifficultyParams], difficulty: int) -> int:
    """The work of one block carrying ``difficulty``: v3 (``params`` set) the difficulty itself,
    v2 16^difficulty."""
    if params is None:
        return v2_block_work(difficulty)
    if not 1 <= difficulty <= MAX_DIFFICULTY:
        raise ValueError("a v3 difficulty is 1 to 2^53 - 1")
    return difficulty


def is_better(ours_work: int, theirs_work: int) -> bool:
    """True when a chain with ``theirs_work`` has strictly more work than ours; a tie or less keeps ours."""
    return better_chain(ours_work, theirs_work)


class WorkLog(Sequence[Ancestor]):
    """Per height of a chain: ``(timestamp_ms, difficulty)`` and the cumulative work.

    ``params`` are a v3 network's retarget rules (None under protocol 2, whose blocks all carry
    the genesis difficulty, in hex digits).
    """

    __slots__ = ("params", "times", "difficulties", "totals")

    def __init__(self, params: Optional[DifficultyParams], times: Optional[list[int]] = None,
                 difficulties: Optional[list[int]] = None, totals: Optional[list[int]] = None) -> None:
        self.params = params
        self.times: list[int] = times if times is not None else []
        self.difficulties: list[int] = difficulties if difficulties is not None else []
        self.totals: list[int] = totals if totals is not None else []

    def block_work(self, difficulty: int) -> int:
        """The work of one block of this network that carries ``difficulty``."""
        return block_work(self.params, difficulty)

    def append(self, timestamp_ms: int, difficulty: int) -> None:
        before = self.totals[-1] if self.totals else 0
        self.times.append(timestamp_ms)
        self.difficulties.append(difficulty)
        self.totals.append(before + self.block_work(difficulty))

    def append_text(self, text: str, timestamp_ms: int) -> None:
        """Append a block given as its canonical text (a restart from a snapshot): canonical JSON
        sorts keys, so the header's ``difficulty`` is the text's first key."""
        found = _DIFFICULTY.match(text, 1)
        if found is None:
            raise ValueError("a block's canonical text starts with its difficulty")
        self.append(timestamp_ms, int(found.group(1)))

    def truncate(self, height: int) -> None:
        """Keep heights 0 to ``height``."""
        del self.times[height + 1:], self.difficulties[height + 1:], self.totals[height + 1:]

    def copy(self) -> "WorkLog":
        return WorkLog(self.params, list(self.times), list(self.difficulties), list(self.totals))

    @property
    def work(self) -> int:
        """The work of the whole chain (0 when empty)."""
        return self.totals[-1] if self.totals else 0

    def work_at(self, height: int) -> int:
        """The work of heights 0 to ``height``."""
        return self.totals[height]

    def next_difficulty(self) -> int:
        """The ``difficulty`` the next block must carry: v3's ``required_difficulty``, v2's fixed one."""
        if self.params is None:
            return self.difficulties[0]
        return required_difficulty(len(self), self, self.params)

    def next_block(self, now_ms: int) -> tuple[int, int]:
        """``(timestamp_ms, difficulty)`` for a block mined on this chain's tip at ``now_ms``: the
        clock, but never before the parent nor (v3) at or before the median time past; and the
        difficulty it must carry. The search for its nonce asks a hash below ``pow_limit(difficulty)``."""
        earliest = self.times[-1]
        if self.params is not None:
            earliest = max(earliest, median_time_past(self.times[-MTP_SPAN:]) + 1)
        return max(now_ms, earliest), self.next_difficulty()

    def pow_limit(self, difficulty: int) -> int:
        """The bound a block's hash (a 256-bit integer) must be below: v3 ``(2^256 - 1) // W + 1``,
        v2 ``2^(256 - 4 * difficulty)``."""
        if self.params is None:
            return 1 << (256 - BITS_PER_HEX_DIGIT * difficulty)
        return hash_limit(difficulty)

    def __len__(self) -> int:
        return len(self.times)

    @overload
    def __getitem__(self, index: int) -> Ancestor: ...

    @overload
    def __getitem__(self, index: slice) -> list[Ancestor]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[Ancestor, list[Ancestor]]:
        if isinstance(index, slice):
            return list(zip(self.times[index], self.difficulties[index], strict=True))
        return self.times[index], self.difficulties[index]


class Ancestry(Sequence[Ancestor]):
    """Heights 0 to ``length - 1`` of ``log`` followed by the (ts, difficulty) of headers appended since:
    the chain a branch's next header extends. Only the last max(retarget_every + 1, 11) entries of
    the log are copied (all the rules look at), so it costs O(1) and does not change with the log;
    an older height raises IndexError."""

    def __init__(self, log: WorkLog, length: int) -> None:
        if not 1 <= length <= len(log):
            raise ValueError(f"length must be 1 to {len(log)}; got {length}")
        self.params = log.params
        keep = max(MTP_SPAN, log.params.retarget_every + 1 if log.params is not None else 1)
        self.offset = max(0, length - keep)
        self.tail: list[Ancestor] = log[self.offset:length]
        self.work = log.work_at(length - 1)

    def append(self, timestamp_ms: int, difficulty: int) -> None:
        self.tail.append((timestamp_ms, difficulty))
        self.work += block_work(self.params, difficulty)

    def __len__(self) -> int:
        return self.offset + len(self.tail)

    @overload
    def __getitem__(self, index: int) -> Ancestor: ...

    @overload
    def __getitem__(self, index: slice) -> list[Ancestor]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[Ancestor, list[Ancestor]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not self.offset <= index < len(self):
            raise IndexError(f"height {index} is not kept (heights {self.offset} to {len(self) - 1} are)")
        return self.tail[index - self.offset]


def header_rules_problem(header: Any, chain: Union["WorkLog", "Ancestry"], now_ms: Optional[int]) -> Optional[str]:
    """Protocol 3's rules for ``header`` (a Block or Header) on top of ``chain``, the blocks it
    extends: its hash recomputed, then ``difficulty.header_problem`` (required difficulty, proof
    of work against its target, median time past, the future); None when it meets them, or when its index does not
    follow ``chain`` (the caller names the broken link).
    ``now_ms`` None (a replay of blocks this node accepted before) skips the limit on the future."""
    params = chain.params
    if params is None:
        raise ValueError("protocol 2 has no retarget: its header rules are the fixed difficulty's")
    if header.index != len(chain):
        return None  # not on top of this chain: the caller names the broken link
    real = header.computed_hash()
    if real != header.hash:
        return f"hash must be {real} (recomputed from the header and nonce); got {header.hash}"
    fields = {"index": header.index, "timestamp_ms": header.timestamp_ms, "difficulty": header.difficulty}
    return header_problem(fields, header.hash, chain, params, FOREVER_MS if now_ms is None else now_ms)


def claimed_work(log: WorkLog, blocks: Iterable[object]) -> int:
    """The work ``blocks`` (Blocks, Headers or dicts, not yet checked) add on this network if they
    are what they claim; a difficulty outside the network's range (v2: 1 to 64 hex digits, v3: 1
    to 2^53 - 1) counts 0 (such a block is refused when checked)."""
    top = V2_MAX_DIFFICULTY if log.params is None else MAX_DIFFICULTY
    total = 0
    for block in blocks:
        value = block.get("difficulty") if isinstance(block, dict) else getattr(block, "difficulty", None)
        if type(value) is int and 1 <= value <= top:
            total += log.block_work(value)
    return total


__all__ = ["Ancestry", "WorkLog", "block_work", "chain_work", "claimed_work", "header_rules_problem",
           "is_better", "v2_block_work", "BITS_PER_HEX_DIGIT"]
