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
from .common import PAGE_SIZE, page_cursor, runtime


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
    """The owner's inbox, newest first, keyset-paged (`?page=1`, then `next` = `?max_id=`);
    totalItems from the counter kept on write. Personal: never cached."""
    rt = runtime(request)
    await actor_store.require_actor(rt.store, slug)
    await auth.require_owner(request, slug, "read")
    coll = rt.urls.inbox(slug)
    cursor = page_cursor(request)
    total = await inbox_items.count(rt.store, slug)
    if cursor is None:
        return activity_response(
            request, documents.ordered_collection(coll, total, first=f"{coll}?page=1"), private=True
        )
    rows = await inbox_items.page(rt.store, slug, max_id=cursor.max_id, size=PAGE_SIZE + 1)
    shown = rows[:PAGE_SIZE]
    return activity_response(
        request,
        documents.keyset_page(
            coll,
            f"{coll}?page=1" if cursor.first else f"{coll}?max_id={cursor.max_id}",
            [doc for _, doc in shown],
            next_id=f"{coll}?max_id={shown[-1][0]}" if len(rows) > PAGE_SIZE else None,
            total=total,
        ),
        private=True,
    )
