"""The dashboard: static pages from web/, served at / and /web/..., and /docs (the OpenAPI
document, readable). The pages use only the public JSON endpoints; the node stays a JSON API
everywhere else (an unknown path is still a JSON 404)."""
from pathlib import Path

from flask import Blueprint, send_from_directory

from ..errors import ApiError
from ..openapi import doc

bp = Blueprint("web", __name__)
WEB = Path(__file__).resolve().parent.parent.parent / "web"
SERVED = {".html", ".js", ".css", ".md", ".png", ".svg", ".json"}


@bp.get("/")
@doc("The dashboard (HTML): the chain, the model, contributions, peers, and a verifier that replays the "
     "chain in the browser", html=True)
def index():
    return send_from_directory(WEB, "index.html", max_age=0)


@bp.get("/docs")
@doc("This API's OpenAPI document as a readable page (HTML)", html=True)
def docs():
    return send_from_directory(WEB, "docs.html", max_age=0)


@bp.get("/web/<path:name>")
@doc("A file of the dashboard (scripts, styles, vendored libraries)", html=True, errors=(404,))
def asset(name: str):
    try:
        path = (WEB / name).resolve()
        found = WEB.resolve() in path.parents and path.suffix in SERVED and path.is_file()
    except (ValueError, OSError):  # a NUL byte, a name too long for the file system
        found = False
    if not found:
        raise ApiError(404, "not_found", f"no dashboard file {name!r:.80}")
    return send_from_directory(WEB, name, max_age=0)
