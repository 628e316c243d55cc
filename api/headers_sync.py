"""Headers-first sync with one peer (PROTOCOL.md "Peer endpoints"), after Bitcoin Core's design.

1. ``GET /tip``: a few hundred bytes. A peer whose tip is on our chain, or no higher than ours,
   costs nothing more.
2. ``GET /headers`` with our block locator: up to 2000 headers after the last block we share.
   Their links, difficulty, times and proof of work are checked before any body is asked for.
   A branch below our tip is followed with more header pages until it is longer than our chain.
3. ``GET /blocks`` from the fork point on, 500 at most per page, with one more page in flight
   while one is validated. Each body must be the block its header announced. A page that
   continues our tip is appended (``Blockchain.extend``); a branch is adopted once it is longer
   (``Blockchain.adopt``), after which the rest continues the new tip.

A peer that serves anything invalid, withholds the bodies of the headers it showed, or claims a
height it does not show raises ``Misbehaved``; one that does not answer raises ``PeerError``.
"""
from __future__ import annotations

import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterator, Optional

from blockchain import Block, BlockchainError, Transaction
from blockchain.errors import InvalidBlock, InvalidTransaction
from blockchain.headers import Header
from blockchain.transition import check_headers

from .errors import InvalidAnswer, Misbehaved
from .limits import (BLOCKS_ANSWER, BLOCKS_ITEMS, HEADERS_ANSWER, HEADERS_ITEMS, MAX_BLOCKS, MAX_HEADERS,
                     PENDING_ANSWER, PENDING_ITEMS, PENDING_PAGE, TIP_ANSWER, TIP_ITEMS)
from .peers import PeerClient, PeerError, what_was_wrong

log = logging.getLogger("network")

_HASH = re.compile(r"[0-9a-f]{64}")
MAX_WORK_DIGITS = 80  # 2^64 work a block for 10^9 blocks is 29 digits
_WORK = re.compile(r"0|[1-9][0-9]{0,%d}" % (MAX_WORK_DIGITS - 1))


def _kind(value) -> str:
    return {list: "a JSON list", str: "a JSON string", bool: "a JSON boolean", int: "a JSON number",
            float: "a JSON number", type(None): "null"}.get(type(value), "a JSON value")


@dataclass
class SyncOutcome:
    switched: bool = False                        # our tip moved
    restored: list = field(default_factory=list)  # transactions of dropped blocks back in the pool
    blocks: int = 0                               # blocks taken from the peer
    proven: Optional[int] = None                  # the highest of its blocks now on our chain


class PeerSync:
    def __init__(self, chain, client: PeerClient, stopping=None) -> None:
        self.chain = chain
        self.client = client
        self.stopping = stopping  # a threading.Event: set when the node shuts down
        self._prefetch = ThreadPoolExecutor(max_workers=2, thread_name_prefix="prefetch")

    def close(self) -> None:
        self._prefetch.shutdown(wait=False, cancel_futures=True)

    # -- the peer's tip --------------------------------------------------------------------
    def tip(self, url: str) -> dict:
        status, body = self.client.get(url, "/tip", max_bytes=TIP_ANSWER, max_items=TIP_ITEMS)
        if status != 200:
            raise PeerError(f"{url}/tip answered {status}")
        if not isinstance(body, dict):
            raise PeerError(f"{url}/tip answered 200 with {_kind(body)}, not an object")
        height, tip, genesis = body.get("height"), body.get("hash"), body.get("genesis")
        wrong = [name for name, ok in (("height", type(height) is int and height >= 0),
                                       ("hash", isinstance(tip, str) and _HASH.fullmatch(tip)),
                                       ("genesis", isinstance(genesis, str) and _HASH.fullmatch(genesis))) if not ok]
        if wrong:  # what was wrong, never what it held (GET /nodes and the log show this text)
            raise Misbehaved(f"{url}/tip must be {{height, hash, genesis}} (a height from 0, hashes of 64 hex "
                             f"digits); its {', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} missing or not so")
        out = {"height": height, "hash": tip, "genesis": genesis}
        if self.chain.uses_retarget:  # v3: the peer's chain work (a decimal string), which fork choice compares
            work = body.get("work")
            if not (isinstance(work, str) and _WORK.fullmatch(work)):
                raise Misbehaved(f"{url}/tip must carry work, the chain's work as a decimal string (at most "
                                 f"{MAX_WORK_DIGITS} digits, no sign or leading zeros); it is missing or not so")
            out["work"] = work
        return out

    # -- headers ---------------------------------------------------------------------------
    def _headers(self, url: str, locator: list[str]) -> list[Header]:
        path = f"/headers?locator={','.join(locator)}&limit={MAX_HEADERS}"
        status, body = self.client.get(url, path, max_bytes=HEADERS_ANSWER, max_items=HEADERS_ITEMS)
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("headers"), list):
            raise Misbehaved(f"{url}/headers answered {status} without a list of headers")
        raw = body["headers"]
        if len(raw) > MAX_HEADERS:
            raise Misbehaved(f"{url}/headers sent {len(raw)} headers; at most {MAX_HEADERS} were asked for")
        try:
            return [Header.from_dict(h) for h in raw]
        except InvalidBlock as exc:
            raise Misbehaved(f"{url} sent an invalid header: {what_was_wrong(exc.message)}") from None

    def _check(self, url: str, headers: list[Header], parent, chain) -> None:
        """Each header on the one before (``chain``: v3's record of the branch, extended as they pass)."""
        issue = check_headers(headers, parent, self.chain.difficulty, self.chain.now_ms(), chain)
        if issue is not None:
            raise Misbehaved(f"{url} sent an invalid header: {what_was_wrong(str(issue))}")

    def _branch(self, url: str) -> tuple[int, list[Header], bool]:
        """(fork height, checked headers after it, whether the peer may have more). For a branch
        below our tip, header pages are followed until it is longer than our chain."""
        headers = self._headers(url, self.chain.locator())
        if not headers:
            return self.chain.height, [], False
        fork = self.chain.main_height(headers[0].previous_hash)
        if fork is None:
            raise Misbehaved(f"{url} sent headers that do not follow any block of our locator")
        chain = self.chain.ancestry(fork)
        self._check(url, headers, self.chain.block_at(fork), chain)
        more = len(headers) == MAX_HEADERS
        while more and not self.chain.prefers(self.chain.branch_work(fork, headers)):  # most work, from the headers
            page = self._headers(url, [headers[-1].hash])
            if page and page[0].previous_hash != headers[-1].hash:
                raise Misbehaved(f"{url} sent headers that do not follow the ones it sent before")
            self._check(url, page, headers[-1], chain)
            headers.extend(page)
            more = len(page) == MAX_HEADERS
        return fork, headers, more

    # -- bodies ----------------------------------------------------------------------------
    def _page(self, url: str, headers: list[Header]) -> list[Block]:
        first = headers[0].index
        try:
            status, body = self.client.get(url, f"/blocks?from={first}&limit={len(headers)}",
                                           max_bytes=BLOCKS_ANSWER, max_items=BLOCKS_ITEMS)
        except InvalidAnswer as exc:
            raise Misbehaved(f"{url} showed headers from {first} but gave no bodies: {exc}") from None
        except PeerError as exc:  # no answer in time: it stalled (rounds.py backs it off briefly)
            raise PeerError(f"{url} showed headers from {first} but its bodies did not come: {exc}") from None
        blocks = body.get("blocks") if status == 200 and isinstance(body, dict) else None
        if not isinstance(blocks, list) or not blocks:
            raise Misbehaved(f"{url} showed headers from {first} but gave no bodies (answered {status})")
        if len(blocks) > len(headers):
            raise Misbehaved(f"{url}/blocks sent {len(blocks)} blocks; {len(headers)} were asked for")
        out: list[Block] = []
        for header, raw in zip(headers, blocks, strict=False):
            if not isinstance(raw, dict) or raw.get("hash") != header.hash:
                raise Misbehaved(f"{url}/blocks sent block {first + len(out)} that is not the one its header announced")
            try:
                out.append(Block.from_dict(raw))
            except (InvalidBlock, InvalidTransaction) as exc:
                raise Misbehaved(f"{url} sent an invalid block {header.index}: {what_was_wrong(exc.message)}") from None
        return out

    def _bodies(self, url: str, headers: list[Header]) -> Iterator[list[Block]]:
        """The blocks of ``headers``, page by page, with the next page fetched while one is used."""
        position, ahead = 0, None
        while position < len(headers):
            if self.stopping is not None and self.stopping.is_set():
                raise PeerError(f"{url}: sync stopped, the node is shutting down")
            current = ahead.result() if ahead is not None else self._page(url, headers[position:position + MAX_BLOCKS])
            position += len(current)
            ahead = None
            if position < len(headers):
                ahead = self._prefetch.submit(self._page, url, headers[position:position + MAX_BLOCKS])
            yield current

    # -- the whole sync --------------------------------------------------------------------
    def sync(self, url: str, claimed: int) -> SyncOutcome:
        """Take the peer's blocks while they make our chain longer."""
        outcome = SyncOutcome()
        started, reported = time.monotonic(), time.monotonic()
        while True:
            fork, headers, more = self._branch(url)
            if not headers or not self.chain.prefers(self.chain.branch_work(fork, headers)):
                return outcome  # nothing longer than ours (the caller judges the peer's claim)
            if fork < self.chain.height:
                blocks = [b for page in self._bodies(url, headers) for b in page]
                result = self.chain.adopt(fork, blocks)
                self._judge(url, result)
                outcome.restored.extend(result.restored)
                outcome.switched |= result.switched
                outcome.blocks += len(blocks)
                self._proven(outcome, blocks)
            else:
                for page in self._bodies(url, headers):
                    result = self.chain.extend(page)
                    self._judge(url, result)
                    if result.moved:
                        break  # another block took our tip meanwhile: ask again from there
                    outcome.switched |= result.switched
                    outcome.blocks += len(page)
                    self._proven(outcome, page)
                    if time.monotonic() - reported > 5:
                        reported = time.monotonic()
                        log.info("syncing from %s: height %d of %d (%.0f%%), %.0f blocks/s", url, self.chain.height,
                                 claimed, 100 * self.chain.height / max(1, claimed),
                                 outcome.blocks / (reported - started))
            if not more and not result.moved:
                return outcome

    def _proven(self, outcome: SyncOutcome, blocks: list[Block]) -> None:
        last = next((b for b in reversed(blocks) if self.chain.main_height(b.hash) is not None), None)
        if last is not None:
            outcome.proven = last.index

    def _judge(self, url: str, result) -> None:
        if result.problem is not None:
            raise Misbehaved(f"{url} served an invalid block: {what_was_wrong(str(result.problem))}")

    # -- the peer's pending pool -----------------------------------------------------------
    def catch_up_pool(self, url: str, most: int) -> int:
        """Pull the peer's pending transactions page by page, each validated as if a client had
        sent it; returns how many were new to us."""
        after, taken = None, 0
        for _ in range(most // PENDING_PAGE + 1):
            path = f"/transactions/pending?limit={PENDING_PAGE}" + (f"&after={after}" if after else "")
            status, body = self.client.get(url, path, max_bytes=PENDING_ANSWER, max_items=PENDING_ITEMS)
            txs = body.get("transactions") if status == 200 and isinstance(body, dict) else None
            if not isinstance(txs, list) or len(txs) > PENDING_PAGE:
                raise Misbehaved(f"{url}/transactions/pending answered {status} without a page of transactions")
            for data in txs:
                try:
                    self.chain.add_transaction(Transaction.from_dict(data), source=f"peer:{url}")
                    taken += 1
                except BlockchainError:
                    pass  # known already, spent meanwhile, or invalid: a client would be refused too
            following = body.get("next")
            if not (isinstance(following, str) and _HASH.fullmatch(following)) or following == after:
                return taken
            after = following
        return taken
