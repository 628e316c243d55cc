"""The peer endpoints of PROTOCOL.md v2 that a syncing node pages through: the tip, headers after
a block locator, blocks from a height, and one block by height or hash."""
import re

from flask import Blueprint, request

from ..errors import ApiError
from ..limits import MAX_BLOCKS, MAX_BLOCKS_BYTES, MAX_HEADERS, MAX_LOCATOR
from ..openapi import doc, whole
from ..responses import BlockLookupOut, BlocksOut, HeadersOut, TipOut
from .common import node, page_args

bp = Blueprint("sync", __name__)

_HASH = re.compile(r"[0-9a-f]{64}")


@bp.get("/tip")
@doc("The tip: height, hash and the genesis hash (small enough to poll)", ok={200: TipOut})
def tip():
    return node().tip()


@bp.get("/headers")
@doc("Headers of the main chain after the first hash of ?locator=h1,h2,... that is on it (after genesis "
     "if none is); ?limit=n, at most 2000", ok={200: HeadersOut}, errors=(400,),
     query={"locator": {"type": "string", "pattern": "^([0-9a-f]{64}(,[0-9a-f]{64}){0,63})?$"},
            "limit": whole(1, MAX_HEADERS, MAX_HEADERS)})
def headers():
    raw = request.args.get("locator", "")
    locator = [h for h in raw.split(",") if h] if raw else []
    if len(locator) > MAX_LOCATOR or not all(_HASH.fullmatch(h) for h in locator):
        raise ApiError(400, "invalid_request", f"locator must be at most {MAX_LOCATOR} block hashes (64 lowercase "
                                               f"hex characters), comma-separated, newest first; got {raw!r:.80}")
    _, limit = page_args(MAX_HEADERS, MAX_HEADERS)
    return node().headers(locator, limit)


@bp.get("/blocks")
@doc("Main-chain blocks from ?from=height, at most ?limit=n (500) and 8 MiB", ok={200: BlocksOut}, errors=(400,),
     query={"from": whole(0, default=0), "limit": whole(1, MAX_BLOCKS, MAX_BLOCKS)})
def blocks():
    start, limit = page_args(MAX_BLOCKS, MAX_BLOCKS)
    return node().blocks_page(start, limit, MAX_BLOCKS_BYTES)


@bp.get("/block/<key>")
@doc("One block by height or hash: of the main chain, or (by hash) of a side branch this node holds; "
     "main_chain says which", ok={200: BlockLookupOut}, errors=(404,))
def block(key: str):
    return node().block(key)
