"""The main chain's blocks, parsed when first read.

A node restarting from a verified snapshot holds the exact stored text of each block (the
snapshot's digest covers it) and parses a block only when something reads it; everything the
ledger needs at start comes from the snapshot and from a cheap scan of the texts
(``scan_text``). Blocks appended later are held as ``Block`` objects until a thousand newer ones
follow, then as their canonical text again (``BlockList``).
"""
from __future__ import annotations

import json
import re
from collections import OrderedDict
from typing import Any, Iterable, Iterator, Optional, Union, overload

from .block import Block
from .encoding import canon

HEADER_ORDER = ("index", "timestamp_ms", "previous_hash", "difficulty", "merkle_root", "nonce", "hash")

_ID = re.compile(r'"id":"([0-9a-f]{64})"')
_HASH = re.compile(r'"hash":"([0-9a-f]{64})"')
_UPDATE = re.compile(r'"block_index":(\d+),"data":\{"data_points_trained":(\d+),"model_hash":"([0-9a-f]{64})",'
                     r'"test_correct":(\d+),"test_rows":(\d+)\}')
_TIME = re.compile(r'"timestamp_ms":(\d+),"transactions"')


def scan_text(text: str) -> tuple[str, list[str], int, Optional[dict[str, Any]]]:
    """(block hash, transaction ids in order, timestamp_ms, MODEL_UPDATE data or None) of a
    block's canonical text, without parsing it.

    In canonical JSON a quote inside a string is always escaped, so ``"id":"`` and ``"hash":"``
    only match keys: ``hash`` is the block's (transactions have no such key; ``model_hash`` and
    ``previous_hash`` end differently) and ``id`` each transaction's, in block order.
    """
    found, when = _HASH.search(text), _TIME.search(text)
    if found is None or when is None:
        raise ValueError("a stored block's text has no hash or no timestamp_ms")
    block_hash = found.group(1)
    update = _UPDATE.search(text)
    data = None
    if update is not None:
        data = {"data_points_trained": int(update.group(2)), "model_hash": update.group(3),
                "test_correct": int(update.group(4)), "test_rows": int(update.group(5))}
    return block_hash, _ID.findall(text), int(when.group(1)), data


class BlockList:
    """A list of blocks whose items may be stored text; reading one parses it.

    Only the newest ``KEEP_PARSED`` blocks are held as ``Block`` objects; older ones are kept as
    their canonical text (about a quarter of the memory), and a small cache holds the ones read
    lately. So the memory of a long chain grows with its bytes, not with its Python objects.
    """

    KEEP_PARSED = 1024
    CACHE = 256

    def __init__(self, items: Iterable[Union[Block, str]] = ()) -> None:
        self._items: list[Union[Block, str]] = list(items)
        self._cache: OrderedDict[int, Block] = OrderedDict()

    def _at(self, i: int) -> Block:
        if i < 0:
            i += len(self._items)
        item = self._items[i]
        if not isinstance(item, str):
            return item
        block = self._cache.get(i)
        if block is None:
            block = self._cache[i] = Block.trusted(json.loads(item))
            if len(self._cache) > self.CACHE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(i)
        return block

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, i: int) -> Block: ...

    @overload
    def __getitem__(self, i: slice) -> list[Block]: ...

    def __getitem__(self, i: Union[int, slice]) -> Union[Block, list[Block]]:
        if isinstance(i, slice):
            return [self._at(j) for j in range(*i.indices(len(self._items)))]
        return self._at(i)

    def __iter__(self) -> Iterator[Block]:
        for i in range(len(self._items)):
            yield self._at(i)

    def __reversed__(self) -> Iterator[Block]:
        for i in range(len(self._items) - 1, -1, -1):
            yield self._at(i)

    def append(self, block: Union[Block, str]) -> None:
        """Add a block, or its canonical text (a block restored from a verified snapshot)."""
        self._items.append(block)
        old = len(self._items) - 1 - self.KEEP_PARSED
        item = self._items[old] if old >= 0 else None
        if isinstance(item, Block):
            self._items[old] = canon(item.to_dict()).decode("utf-8")

    def pop(self) -> Block:
        block = self._at(len(self._items) - 1)
        self._cache.pop(len(self._items) - 1, None)
        self._items.pop()
        return block

    def copy(self) -> "BlockList":
        return BlockList(self._items)

    def window(self, start: int, end: int) -> "BlockList":
        """Heights ``start`` to ``end`` (exclusive) as their own list: what a page needs, nothing more."""
        return BlockList(self._items[start:end])

    def headers(self) -> list[dict[str, Any]]:
        """Each block's header, without building its transactions."""
        return [json_header(item) if isinstance(item, str) else item.header() for item in self._items]


def json_header(text: str) -> dict[str, Any]:
    data = json.loads(text)
    return {key: data[key] for key in HEADER_ORDER}
