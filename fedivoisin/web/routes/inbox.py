"""Inboxes: server-to-server POSTs (personal and shared) and the owner's GET listing."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ...inbox.receive import receive
from ...outbox.publish import wake_inbox
from ...protocol import documents
from ...store import actors as actor_store
from ...store import inbox_items
from .. import auth
from ..negotiation import activity_response
from .common import PAGE_SIZE, page_number, runtime


async def _accepted(queued: bool) -> Response:
    return Response(status_code=202)


async def shared_inbox(request: Request) -> Response:
    rt = runtime(request)
    queued = await receive(rt, request, None)
    if queued:
        wake_inbox(rt)
    return await _accepted(queued)


async def actor_inbox(request: Request) -> Response:
    rt = runtime(request)
    slug = request.path_params["slug"]
    if request.method == "GET":
        return await list_inbox(request, slug)
    await actor_store.require_actor(rt.store, slug)
    queued = await receive(rt, request, slug)
    if queued:
        wake_inbox(rt)
    return await _accepted(queued)


async def list_inbox(request: Request, slug: str) -> Response:
    rt = runtime(request)
    await actor_store.require_actor(rt.store, slug)
    await auth.require_owner(request, slug, "read")
    coll = rt.urls.inbox(slug)
    page = page_number(request)
    total = await inbox_items.count(rt.store, slug)
    if page is None:
        return activity_response(
            request, documents.ordered_collection(coll, total, first=f"{coll}?page=1"), private=True
        )
    items = await inbox_items.page(rt.store, slug, page=page, size=PAGE_SIZE + 1)
    return activity_response(
        request,
        documents.ordered_collection_page(
            coll, page, items[:PAGE_SIZE], has_next=len(items) > PAGE_SIZE
        ),
        private=True,
    )
