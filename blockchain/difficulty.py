"""Protocol version 3's difficulty (PROTOCOL.md "Version 3: difficulty"): pure integer functions.

Difficulty is counted in leading zero BITS of the block hash. The work of a block is 2^bits and
a chain's work is the sum over its blocks, genesis included (exact Python integers; JSON carries
them as decimal strings). Nothing here reads a clock, a store or the network: callers pass the
ancestors' ``(timestamp_ms, bits)`` in height order.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MAX_BITS = 64           # a header's difficulty field is 1 to 64 (PROTOCOL.md "Blocks"), in both versions
HASH_BITS = 256         # a block's work is 2^bits for 0 <= bits <= 256 (v2's hex digits count 4 bits each)
MAX_STEP = 2            # at most a factor of 4 (2 bits) per retarget, either way
MTP_SPAN = 11           # median time past over the previous 11 blocks
FUTURE_LIMIT_MS = 2 * 60 * 60 * 1000

PARAM_KEYS = ("difficulty", "target_block_ms", "retarget_every", "min_difficulty")

Ancestor = tuple[int, int]  # (timestamp_ms, bits) of one block, by height


@dataclass(frozen=True)
class DifficultyParams:
    """The genesis params that fix a v3 network's difficulty."""

    difficulty: int        # bits of the genesis block (and of every block before the first retarget)
    target_block_ms: int   # >= 1
    retarget_every: int    # >= 2
    min_difficulty: int    # 1 <= min_difficulty <= difficulty <= MAX_BITS

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
    if target_block_ms < 1:
        return "target_block_ms must be at least 1"
    if retarget_every < 2:
        return "retarget_every must be at least 2"
    if not 1 <= min_difficulty <= difficulty <= MAX_BITS:
        return f"need 1 <= min_difficulty <= difficulty <= {MAX_BITS}"
    return None


def params_from(params: Mapping[str, object]) -> DifficultyParams:
    """The difficulty params of a v3 network's genesis params (ValueError when they are not valid)."""
    values = [params.get(key) for key in PARAM_KEYS]
    problem = params_problem(*values)
    if problem is not None:
        raise ValueError(problem)
    return DifficultyParams(*values)  # type: ignore[arg-type]


def leading_zero_bits(block_hash: str) -> int:
    """Leading zero bits of a 64-hex-digit hash (256 for the all-zero hash)."""
    if len(block_hash) != 64:
        raise ValueError("a block hash has 64 hex digits")
    return 256 - int(block_hash, 16).bit_length()


def meets_bits(block_hash: str, bits: int) -> bool:
    """True when the hash starts with at least ``bits`` zero bits."""
    return leading_zero_bits(block_hash) >= bits


def block_work(bits: int) -> int:
    """Work of one block: 2^bits."""
    if not 0 <= bits <= HASH_BITS:
        raise ValueError(f"bits must be 0 to {HASH_BITS}")
    return 1 << bits


def chain_work(bits_by_height: Iterable[int]) -> int:
    """Work of a chain: the sum of its blocks' work, genesis included."""
    return sum(block_work(b) for b in bits_by_height)


def work_text(work: int) -> str:
    """A chain's work as JSON carries it: a decimal string (it can pass 2^53)."""
    return str(work)


def retarget_step(expected_ms: int, actual_ms: int) -> int:
    """The bit change of one retarget: log2(expected/actual) rounded to the nearest integer, clamped to +/-2.

    With A = max(actual_ms, 1) and E = expected_ms >= 1, the step is the largest d in -2..2
    such that 2 * E^2 * 4^max(0,-d) >= A^2 * 4^max(0,d) (that is, E/A >= 2^(d - 1/2)), and -2
    when none is. Integers never sit exactly on a half step (that would make sqrt(2) rational),
    so there are no ties to break.
    """
    if expected_ms < 1:
        raise ValueError("expected_ms must be at least 1")
    a = max(actual_ms, 1)
    e = expected_ms
    for d in range(MAX_STEP, -MAX_STEP - 1, -1):
        if 2 * e * e * (4 ** max(0, -d)) >= a * a * (4 ** max(0, d)):
            return d
    return -MAX_STEP


def is_retarget_height(height: int, params: DifficultyParams) -> bool:
    """Retargets happen at heights k * retarget_every with k >= 2 (the window never holds genesis)."""
    n = params.retarget_every
    return height >= 2 * n and height % n == 0


def required_bits(height: int, ancestors: Sequence[Ancestor], params: DifficultyParams) -> int:
    """The ``difficulty`` a block at ``height`` must carry.

    ``ancestors[i]`` is ``(timestamp_ms, bits)`` of the block at height i, for i < height (more
    entries are ignored). Height 0 (genesis) carries ``params.difficulty``. Otherwise a block
    carries its parent's bits, except at a retarget height h, where the window is the blocks
    h-N to h-1 (N = retarget_every), actual = timestamp(h-1) - timestamp(h-N), expected =
    (N-1) * target_block_ms, and the bits are parent bits + retarget_step(expected, actual),
    kept within min_difficulty to MAX_BITS.
    """
    if height < 0:
        raise ValueError("height must be at least 0")
    if height == 0:
        return params.difficulty
    if len(ancestors) < height:
        raise ValueError(f"need the {height} ancestors of height {height}; got {len(ancestors)}")
    parent_bits = ancestors[height - 1][1]
    if not is_retarget_height(height, params):
        return parent_bits
    n = params.retarget_every
    actual = ancestors[height - 1][0] - ancestors[height - n][0]
    expected = (n - 1) * params.target_block_ms
    bits = parent_bits + retarget_step(expected, actual)
    return max(params.min_difficulty, min(MAX_BITS, bits))


def median_time_past(timestamps: Sequence[int]) -> int:
    """Median of the last (up to) 11 timestamps: the element at index len // 2 of them sorted."""
    if not timestamps:
        raise ValueError("median time past needs at least one timestamp")
    window = sorted(timestamps[-MTP_SPAN:])
    return window[len(window) // 2]


def header_problem(header: dict[str, object], block_hash: str, ancestors: Sequence[Ancestor],
                   params: DifficultyParams, now_ms: int) -> str | None:
    """The v3 difficulty and time rules for one non-genesis header, or None when it meets them.

    ``ancestors`` are the (timestamp_ms, bits) of heights 0 .. index-1 of the chain the header
    extends. Checks: ``difficulty`` equals required_bits; the hash has that many leading zero
    bits; ``timestamp_ms`` >= the parent's, > the median time past of the previous 11 blocks,
    and at most 2 hours after ``now_ms``. (Links, the proof-of-work preimage and the rest of a
    block are the v2 rules, checked elsewhere.)
    """
    index = header.get("index")
    ts = header.get("timestamp_ms")
    bits = header.get("difficulty")
    if type(index) is not int or index < 1:
        return "index must be an integer >= 1"
    if type(ts) is not int or type(bits) is not int:
        return "timestamp_ms and difficulty must be integers"
    if len(ancestors) < index:
        return f"need {index} ancestors to check block {index}"
    want = required_bits(index, ancestors, params)
    if bits != want:
        return f"difficulty must be {want} bits at height {index}; got {bits}"
    if not meets_bits(block_hash, bits):
        return f"hash does not start with {bits} zero bits"
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
