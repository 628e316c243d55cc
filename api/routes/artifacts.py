"""The artifact store over HTTP (api/artifacts.py): put raw bytes, get them by SHA-256, list, fetch
from peers. This route's body limit is the artifact cap; every other route keeps its own."""
from __future__ import annotations

from flask import Blueprint, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import BaseConverter

from ..artifacts import CHUNK, SHA256, ArtifactStore, ArtifactTooLarge, FetchBusy, check_name
from ..errors import RETRY_AFTER_SECONDS, ApiError, error_response
from ..openapi import doc, whole
from ..responses import ArtifactFetchOut, ArtifactOut, ArtifactsOut
from ..schemas import ArtifactFetchIn
from .common import page_args, parse

bp = Blueprint("artifacts", __name__)


class ArtifactName(BaseConverter):
    """One path segment, any but ``fetch`` (POST /artifacts/fetch is its own route, and GET on it is
    not one): the view checks the name, so that a bad one is a 400 that says what a name is."""

    regex = r"(?!fetch$)[^/]+"


def _register_converter(state) -> None:
    state.app.url_map.converters.setdefault("artifact", ArtifactName)


bp.record_once(_register_converter)

PAGE, MAX_PAGE = 100, 1000
CACHE_FOREVER = "public, max-age=31536000, immutable"  # a name is its content: it never changes
_NAME = {"sha256": {"type": "string", "pattern": f"^{SHA256.pattern}$"}}
_RAW_HEADERS = {"ETag": {"type": "string", "description": "the SHA-256, quoted"},
                "Cache-Control": {"type": "string"}}


def store() -> ArtifactStore:
    return current_app.extensions["artifacts"]


@bp.route("/artifacts", methods=["PUT", "POST"])
@doc("Store a file (raw bytes, Content-Type: application/octet-stream) under its SHA-256: 201 stored, "
     "200 held already", raw_body=True, ok={201: ArtifactOut, 200: ArtifactOut}, errors=(400, 507),
     error_text={413: "the file is over the artifact cap (--artifact-max-bytes, 16 MiB by default)",
                 415: "the body is not sent as application/octet-stream",
                 507: "the artifact store is full (artifact_store_full) or the disk is (storage_full)"})
def put():
    """Nothing is stored unless the whole file was received: a file over the cap or a full store
    is refused, and the store never holds a partial file."""
    if request.mimetype != "application/octet-stream":
        raise ApiError(415, "unsupported_media_type", "an artifact is sent as raw bytes with Content-Type: "
                       f"application/octet-stream; got {request.content_type or 'nothing'}")
    artifacts = store()
    request.max_content_length = artifacts.max_bytes + CHUNK  # this route's own limit (checked again below)
    try:
        name, size, created = artifacts.put_stream(lambda n: request.stream.read(n), request.content_length,
                                                   refuse_empty=True)
    except RequestEntityTooLarge:
        raise ArtifactTooLarge(f"an artifact must be at most {artifacts.max_bytes} bytes "
                               "(--artifact-max-bytes); nothing was stored") from None
    response = current_app.json.response({"sha256": name, "size": size})
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/artifacts/{name}"
    return response


@bp.get("/artifacts")
@doc("The stored artifacts by name, each with its size; ?from=i&limit=n (100 by default, at most 1000)",
     ok={200: ArtifactsOut}, errors=(400,), query={"from": whole(0, default=0), "limit": whole(1, MAX_PAGE, PAGE)})
def listing():
    return store().page(*page_args(PAGE, MAX_PAGE))


@bp.get("/artifacts/<artifact:sha256>")
@doc("The file named by this SHA-256 (application/octet-stream; HEAD gives its headers): its bytes are "
     "re-hashed first, and a copy that does not match is dropped, never served", path=_NAME,
     raw_ok={200: "the file's bytes; ETag is its SHA-256, and it may be cached for ever"},
     raw_headers=_RAW_HEADERS, errors=(400, 404))
def get(sha256: str):
    data = store().get(check_name(sha256))
    response = current_app.response_class(data, mimetype="application/octet-stream")
    response.set_etag(sha256)
    response.headers["Cache-Control"] = CACHE_FOREVER
    return response


@bp.post("/artifacts/fetch")
@doc("Fetch an artifact this node lacks from its peers, in turn, keeping only bytes whose SHA-256 is the "
     "name: 201 fetched (peer names who served it), 200 held already, 404 no peer has it, 502 no peer "
     "gave a usable answer (each peer's problem is listed)", body=ArtifactFetchIn,
     ok={201: ArtifactFetchOut, 200: ArtifactFetchOut}, errors=(404, 502, 503, 507),
     error_text={503: "2 fetches are under way already (fetch_busy); try again",
                 507: "the artifact store is full (artifact_store_full) or the disk is (storage_full)"})
def fetch():
    """Each peer gets one call with a total deadline (--artifact-timeout, headers included), the
    artifact cap and no redirects; a peer that serves other bytes is backed off (GET /nodes)."""
    payload = parse()
    try:
        result = store().fetch(payload.sha256)
    except FetchBusy as exc:
        response, status = error_response(exc.status, exc.code, exc.message)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response, status
    return result, (201 if result["peer"] else 200)
