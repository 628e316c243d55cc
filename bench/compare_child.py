"""One measurement round of ``bench.compare_revs`` inside one tree of the project.

    python bench/compare_child.py TREE BLOCKS APPLY_ROWS REPEATS

Imports the project from TREE (an older commit's tree, or this one), so it may only use what both
have: ``Blockchain``, ``audit_chain``, ``SQLiteStore``, ``IrisModel`` and the bench's own chain
builders. Prints one JSON object of medians in milliseconds.
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, sys.argv[1])

from bench.protocol import _flower, grow, open_dir, write_dir  # noqa: E402
from bench.scaling import synthetic_base  # noqa: E402
from blockchain import Block, Blockchain, audit_chain  # noqa: E402
from ml import IrisModel  # noqa: E402

CLASSES = ("setosa", "versicolor", "virginica")


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 4)


def apply_block(rows: int, k: int, repeats: int) -> float:
    """A peer's block of k FLOWER_DATA, validated and applied on a node of ``rows`` training rows."""
    base = synthetic_base(rows, seed=1)
    times = []
    for r in range(repeats):
        a, b = Blockchain(IrisModel(base=base), 1), Blockchain(IrisModel(base=base), 1)
        for i in range(k):
            a.add_transaction(_flower(i, f"k{k}r{r}x"))
        block = Block.from_dict(a.mine("a").to_dict())  # as it arrives from a peer
        started = time.perf_counter()
        b.add_block(block)
        times.append(time.perf_counter() - started)
    return median_ms(times)


def main() -> None:
    blocks, rows, repeats = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    out: dict[str, float] = {}
    for k in (1, 100, 1000):
        out[f"apply_k{k}_ms"] = apply_block(rows, k, repeats if k < 1000 else max(3, repeats // 3))
    chain = Blockchain(IrisModel(), 2)
    grow(chain, blocks, "c", f"build {blocks} blocks")
    dicts = [b.to_dict() for b in chain.blocks()]
    audits = []
    for _ in range(3):
        started = time.perf_counter()
        result = audit_chain(dicts, IrisModel(), now_ms=None)
        audits.append(time.perf_counter() - started)
        assert result.valid, result.issues[:3]
    out[f"audit_{blocks}_ms"] = median_ms(audits)
    with tempfile.TemporaryDirectory() as tmp:
        write_dir(chain, Path(tmp))
        opens = []
        for _ in range(3):
            from blockchain import SQLiteStore
            store = SQLiteStore(Path(tmp) / "chain.sqlite3", durability="os")
            store.set_meta("snapshot_v2", "")  # no snapshot: the full check and replay of a restart
            store.close()
            reopened, seconds = open_dir(Path(tmp))
            reopened.close()
            opens.append(seconds)
        out[f"restart_{blocks}_ms"] = median_ms(opens)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
