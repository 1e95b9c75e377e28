"""Content negotiation and the JSON responses every route shares."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..protocol.documents import AS2_CONTENT_TYPE

LD_PROFILE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


def wants_activity_json(request: Request) -> bool:
    """True for AS2 clients; browsers (text/html without AS2 types) get HTML."""
    accept = request.headers.get("accept", "").lower()
    if "application/activity+json" in accept or "application/ld+json" in accept:
        return True
    if "text/html" in accept:
        return False
    return True


def as2_content_type(request: Request) -> str:
    accept = request.headers.get("accept", "").lower()
    if "application/ld+json" in accept and "application/activity+json" not in accept:
        return LD_PROFILE
    return AS2_CONTENT_TYPE


def as2_headers(request: Request, *, private: bool = False) -> dict[str, str]:
    """Vary and Cache-Control of every AS2 answer (shared by activity_response and the
    rendered-once answers of web/render_cache.py)."""
    h = {"Vary": "Accept, Signature, Authorization"}
    rt = getattr(request.app.state, "runtime", None)
    # Under authorized fetch every answer depends on the requester's signature: never
    # shared-cacheable (SECURITY.md rule 13).
    if private or (rt is not None and rt.settings.authorized_fetch):
        h["Cache-Control"] = "private, no-store"
    else:
        h["Cache-Control"] = "public, max-age=60"
    return h


def activity_response(
    request: Request,
    doc: Any,
    *,
    status: int = 200,
    private: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:
    h = as2_headers(request, private=private)
    if headers:
        h.update(headers)
    return Response(
        orjson.dumps(doc), status_code=status, media_type=as2_content_type(request), headers=h
    )


def json_response(
    doc: Any,
    *,
    media_type: str = "application/json",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(orjson.dumps(doc), status_code=status, media_type=media_type, headers=headers)
