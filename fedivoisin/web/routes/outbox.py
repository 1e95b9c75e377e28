"""POST {actor}/outbox: the client-to-server API bridges and clients publish through."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ...errors import InvalidActivity, UnsupportedMediaType
from ...inbox.receive import json_depth_ok, read_body
from ...outbox import c2s
from ...store import actors as actor_store
from .. import auth
from ..negotiation import activity_response
from .actors import outbox as list_outbox
from .common import runtime

C2S_TYPES = ("application/activity+json", "application/ld+json", "application/json")


async def outbox(request: Request) -> Response:
    if request.method == "GET":
        return await list_outbox(request)
    rt = runtime(request)
    slug = request.path_params["slug"]
    await actor_store.require_actor(rt.store, slug)
    actor = await auth.require_owner(request, slug, "write")
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in C2S_TYPES:
        raise UnsupportedMediaType("send application/activity+json or application/ld+json")
    body = await read_body(request, rt.settings.max_body)
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidActivity("the body is not valid JSON") from None
    if not json_depth_ok(doc, rt.settings.max_json_depth):
        raise InvalidActivity("the JSON is nested too deeply")
    published = await c2s.handle(rt, actor, doc)
    return activity_response(
        request, published, status=201, private=True, headers={"Location": published["id"]}
    )
