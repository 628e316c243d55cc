"""Protocol version 3's difficulty (PROTOCOL.md "Version 3: difficulty"): pure integer functions.

A v3 header's ``difficulty`` W is the number of hashes a block takes on average: the block is
mined when its hash, read as a 256-bit integer, is at most ``target(W) = (2^256 - 1) // W``. The
work of a block is W and a chain's work is the sum over its blocks, genesis included (exact
Python integers; JSON carries chain work as a decimal string). W = 2^k asks exactly k leading zero
bits, but every integer W is a difficulty, so a retarget can move it by any ratio.

Nothing here reads a clock, a store or the network: callers pass the ancestors'
``(timestamp_ms, difficulty)`` in height order.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MAX_DIFFICULTY = 2**53 - 1  # a v3 difficulty is a JSON-safe integer (PROTOCOL.md "Version 3: difficulty")
MAX_FACTOR = 4              # a retarget moves the difficulty by at most a factor of 4, either way
MTP_SPAN = 11               # median time past over the previous 11 blocks
FUTURE_LIMIT_MS = 2 * 60 * 60 * 1000
HASH_SPACE = 1 << 256

PARAM_KEYS = ("difficulty", "target_block_ms", "retarget_every", "min_difficulty")

Ancestor = tuple[int, int]  # (timestamp_ms, difficulty) of one block, by height


@dataclass(frozen=True)
class DifficultyParams:
    """The genesis params that fix a v3 network's difficulty."""

    difficulty: int        # W of the genesis block (and of every block before the first retarget)
    target_block_ms: int   # >= 1: the wanted MEDIAN time between blocks
    retarget_every: int    # >= 2
    min_difficulty: int    # 1 <= min_difficulty <= difficulty <= MAX_DIFFICULTY

    def __post_init__(self) -> None:
        problem = params_problem(self.difficulty, self.target_block_ms, self.retarget_every,
                                 self.min_difficulty)
        if problem is not None:
            raise ValueError(problem)


def params_problem(difficulty: object, target_block_ms: object, retarget_every: object,
                   min_difficulty: object) -> str | None:
    """Why these genesis values are not a valid v3 network, or None."""
    for name, value in (("difficulty", difficulty), ("target_block_ms", target_block_ms),
                        ("retarget_every", retarget_every), ("min_difficulty", min_difficulty)):
        if type(value) is not int:
            return f"{name} must be an integer"
    assert isinstance(difficulty, int) and isinstance(target_block_ms, int)
    assert isinstance(retarget_every, int) and isinstance(min_difficulty, int)
    if not 1 <= target_block_ms <= MAX_DIFFICULTY:
        return "target_block_ms must be 1 to 2^53 - 1"
    if not 2 <= retarget_every <= MAX_DIFFICULTY:
        return "retarget_every must be 2 to 2^53 - 1"
    if not 1 <= min_difficulty <= difficulty <= MAX_DIFFICULTY:
        return "need 1 <= min_difficulty <= difficulty <= 2^53 - 1"
    return None


def params_from(params: Mapping[str, object]) -> DifficultyParams:
    """The difficulty params of a v3 network's genesis params (ValueError when they are not valid)."""
    values = [params.get(key) for key in PARAM_KEYS]
    problem = params_problem(*values)
    if problem is not None:
        raise ValueError(problem)
    return DifficultyParams(*values)  # type: ignore[arg-type]


def _check(difficulty: int) -> None:
    if type(difficulty) is not int or not 1 <= difficulty <= MAX_DIFFICULTY:
        raise ValueError("a v3 difficulty is an integer 1 to 2^53 - 1")


def target(difficulty: int) -> int:
    """The largest hash (as a 256-bit integer) that meets ``difficulty``: (2^256 - 1) // W."""
    _check(difficulty)
    return (HASH_SPACE - 1) // difficulty


def hash_limit(difficulty: int) -> int:
    """One more than ``target``: a hash meets the difficulty when it is below this."""
    return target(difficulty) + 1


def meets_difficulty(block_hash: str, difficulty: int) -> bool:
    """True when the 64-hex-digit hash, read as an integer, is at most ``target(difficulty)``."""
    if len(block_hash) != 64:
        raise ValueError("a block hash has 64 hex digits")
    return int(block_hash, 16) <= target(difficulty)


def block_work(difficulty: int) -> int:
    """Work of one v3 block: its difficulty W, the hashes it takes on average."""
    _check(difficulty)
    return difficulty


def chain_work(difficulties: Iterable[int]) -> int:
    """Work of a chain: the sum of its blocks' work, genesis included."""
    return sum(block_work(d) for d in difficulties)


def work_text(work: int) -> str:
    """A chain's work as JSON carries it: a decimal string (it can pass 2^53)."""
    return str(work)


def is_retarget_height(height: int, params: DifficultyParams) -> bool:
    """Retargets happen at heights k * retarget_every with k >= 2 (the window never holds genesis)."""
    n = params.retarget_every
    return height >= 2 * n and height % n == 0


def window_median_ms(times: Sequence[int]) -> int:
    """The lower median of the gaps between consecutive ``times``: the gaps sorted ascending, the
    one at index (count - 1) // 2, and at least 1."""
    gaps = sorted(b - a for a, b in zip(times, times[1:], strict=False))
    if not gaps:
        raise ValueError("a window needs at least two timestamps")
    return max(gaps[(len(gaps) - 1) // 2], 1)


def retarget(parent: int, median_ms: int, params: DifficultyParams) -> int:
    """The difficulty after a window whose median block time was ``median_ms``:
    parent * T // median, clamped to parent // 4 .. parent * 4, then to min_difficulty .. 2^53 - 1."""
    scaled = parent * params.target_block_ms // max(median_ms, 1)
    scaled = max(parent // MAX_FACTOR, min(parent * MAX_FACTOR, scaled))
    return max(params.min_difficulty, min(MAX_DIFFICULTY, scaled))


def required_difficulty(height: int, ancestors: Sequence[Ancestor], params: DifficultyParams) -> int:
    """The ``difficulty`` a block at ``height`` must carry.

    ``ancestors[i]`` is ``(timestamp_ms, difficulty)`` of the block at height i, for i < height
    (more entries are ignored). Height 0 (genesis) carries ``params.difficulty``. Otherwise a block
    carries its parent's difficulty, except at a retarget height h, where the window is the N
    block times of heights h-N .. h-1, each block's timestamp minus its parent's (N =
    retarget_every), and the difficulty is ``retarget(parent, window_median_ms(...))``.
    """
    if height < 0:
        raise ValueError("height must be at least 0")
    if height == 0:
        return params.difficulty
    if len(ancestors) < height:
        raise ValueError(f"need the {height} ancestors of height {height}; got {len(ancestors)}")
    parent = ancestors[height - 1][1]
    if not is_retarget_height(height, params):
        return parent
    n = params.retarget_every
    times = [ancestors[i][0] for i in range(height - n - 1, height)]
    return retarget(parent, window_median_ms(times), params)


def median_time_past(timestamps: Sequence[int]) -> int:
    """Median of the last (up to) 11 timestamps: the element at index len // 2 of them sorted."""
    if not timestamps:
        raise ValueError("median time past needs at least one timestamp")
    window = sorted(timestamps[-MTP_SPAN:])
    return window[len(window) // 2]


def header_problem(header: dict[str, object], block_hash: str, ancestors: Sequence[Ancestor],
                   params: DifficultyParams, now_ms: int) -> str | None:
    """The v3 difficulty and time rules for one non-genesis header, or None when it meets them.

    ``ancestors`` are the (timestamp_ms, difficulty) of heights 0 .. index-1 of the chain the header
    extends. Checks: ``difficulty`` equals required_difficulty; the hash is at most its target;
    ``timestamp_ms`` >= the parent's, > the median time past of the previous 11 blocks, and at
    most 2 hours after ``now_ms``. (Links, the proof-of-work preimage and the rest of a block are
    the v2 rules, checked elsewhere.)
    """
    index = header.get("index")
    ts = header.get("timestamp_ms")
    difficulty = header.get("difficulty")
    if type(index) is not int or index < 1:
        return "index must be an integer >= 1"
    if type(ts) is not int or type(difficulty) is not int:
        return "timestamp_ms and difficulty must be integers"
    if len(ancestors) < index:
        return f"need {index} ancestors to check block {index}"
    want = required_difficulty(index, ancestors, params)
    if difficulty != want:
        return f"difficulty must be {want} at height {index}; got {difficulty}"
    if not meets_difficulty(block_hash, difficulty):
        return f"hash is above the target of difficulty {difficulty}"
    if ts < ancestors[index - 1][0]:
        return "timestamp_ms is before the parent's"
    mtp = median_time_past([a[0] for a in ancestors[max(0, index - MTP_SPAN):index]])
    if ts <= mtp:
        return f"timestamp_ms {ts} is not after the median time past {mtp}"
    if ts > now_ms + FUTURE_LIMIT_MS:
        return "timestamp_ms is more than 2 hours ahead of this node's clock"
    return None


def better_chain(ours_work: int, theirs_work: int) -> bool:
    """Most-work fork choice: adopt theirs only when it has strictly more work (ties keep ours)."""
    return theirs_work > ours_work
