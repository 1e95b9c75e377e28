"""`/actors/{slug}/featured`: the statuses an actor pinned, as Mastodon publishes them (the
actor's `featured` OrderedCollection, inline items). Only public ones are listed: the
collection is served to anyone, so a followers-only pin stays off it."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ...protocol import documents
from ...protocol.addressing import addressees, may_see
from ...store import activities as activity_store
from ...store import actors as actor_store
from ...store import pins as pin_store
from .. import auth
from ..negotiation import as2_content_type
from .common import runtime


async def featured(request: Request) -> Response:
    rt = runtime(request)
    found = await actor_store.require_actor(rt.store, request.path_params["slug"])
    await auth.fetch_guard(request)
    uri = rt.urls.actor(found.slug)
    items = []
    for row in await pin_store.pinned_rows(rt.store, uri):
        obj = await activity_store.get_object(rt.store, row.object_uri)
        if obj is None:
            continue
        if may_see(addressed=addressees(obj.document), author=obj.attributed_to, viewer=None):
            items.append(obj.document)
    doc = documents.ordered_collection(uri + "/featured", len(items), items=items)
    return Response(orjson.dumps(doc), media_type=as2_content_type(request))
