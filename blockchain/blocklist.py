"""The main chain's blocks, parsed when first read.

A node restarting from a verified snapshot holds the exact stored text of each block (the
snapshot's digest covers it) and parses a block only when something reads it; everything the
ledger needs at start comes from the snapshot and from a cheap scan of the texts
(``scan_text``). Blocks appended later are held as ``Block`` objects.
"""
from __future__ import annotations

import json
import re
from typing import Iterator, Union

from .block import Block

_ID = re.compile(r'"id":"([0-9a-f]{64})"')
_HASH = re.compile(r'"hash":"([0-9a-f]{64})"')
_UPDATE = re.compile(r'"block_index":(\d+),"data":\{"data_points_trained":(\d+),"model_hash":"([0-9a-f]{64})",'
                     r'"test_correct":(\d+),"test_rows":(\d+)\}')
_TIME = re.compile(r'"timestamp_ms":(\d+),"transactions"')


def scan_text(text: str) -> tuple[str, list[str], int, dict | None]:
    """(block hash, transaction ids in order, timestamp_ms, MODEL_UPDATE data or None) of a
    block's canonical text, without parsing it.

    In canonical JSON a quote inside a string is always escaped, so ``"id":"`` and ``"hash":"``
    only match keys: ``hash`` is the block's (transactions have no such key; ``model_hash`` and
    ``previous_hash`` end differently) and ``id`` each transaction's, in block order.
    """
    block_hash = _HASH.search(text).group(1)
    update = _UPDATE.search(text)
    data = None
    if update is not None:
        data = {"data_points_trained": int(update.group(2)), "model_hash": update.group(3),
                "test_correct": int(update.group(4)), "test_rows": int(update.group(5))}
    return block_hash, _ID.findall(text), int(_TIME.search(text).group(1)), data


class BlockList:
    """A list of blocks whose items may still be stored text; reading one parses it once."""

    def __init__(self, items=()) -> None:
        self._items: list[Union[Block, str]] = list(items)

    def _at(self, i: int) -> Block:
        item = self._items[i]
        if isinstance(item, str):
            item = self._items[i] = Block.trusted(json.loads(item))
        return item

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._at(j) for j in range(*i.indices(len(self._items)))]
        return self._at(i)

    def __iter__(self) -> Iterator[Block]:
        for i in range(len(self._items)):
            yield self._at(i)

    def __reversed__(self) -> Iterator[Block]:
        for i in range(len(self._items) - 1, -1, -1):
            yield self._at(i)

    def append(self, block: Block) -> None:
        self._items.append(block)

    def pop(self) -> Block:
        block = self._at(len(self._items) - 1)
        self._items.pop()
        return block

    def copy(self) -> "BlockList":
        return BlockList(self._items)

    def window(self, start: int, end: int) -> "BlockList":
        """Heights ``start`` to ``end`` (exclusive) as their own list: what a page needs, nothing more."""
        return BlockList(self._items[start:end])
