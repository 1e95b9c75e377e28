"""Actor documents, their HTML pages, and their outbox / followers / following collections."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ...actor_document import actor_document_of
from ...protocol import documents
from ...protocol.urls import INSTANCE_SLUG
from ...store import activities as activity_store
from ...store import actors as actor_store
from ...store import follows as follow_store
from ...store.actors import LocalActor
from .. import auth
from ..negotiation import activity_response, wants_activity_json
from .common import PAGE_SIZE, page_number, runtime


def actor_json(request: Request, actor: LocalActor) -> dict:
    return actor_document_of(runtime(request).urls, actor)


async def actor(request: Request) -> Response:
    """Served at the actor id and at /@slug: AS2 JSON for servers, HTML for browsers."""
    rt = runtime(request)
    found = await actor_store.require_actor(rt.store, request.path_params["slug"])
    if wants_activity_json(request):
        if found.slug != INSTANCE_SLUG:  # the instance actor's key must stay fetchable
            await auth.fetch_guard(request)
        return activity_response(request, actor_json(request, found))
    from ..pages.routes import actor_page

    return await actor_page(request, found)


async def index(request: Request) -> Response:
    from ..pages.routes import home

    return await home(request)


async def outbox(request: Request) -> Response:
    rt = runtime(request)
    found = await actor_store.require_actor(rt.store, request.path_params["slug"])
    owner = await auth.authenticate(request, "read", optional=True)
    public_only = owner is None or not owner.may_act_for(found.slug)
    if public_only:  # the token holder reads their own outbox without an HTTP signature
        await auth.fetch_guard(request)
    actor_uri = rt.urls.actor(found.slug)
    coll_id = rt.urls.outbox(found.slug)
    total = await activity_store.outbox_count(rt.store, actor_uri, public_only=public_only)
    page = page_number(request)
    if page is None:
        return activity_response(
            request,
            documents.ordered_collection(coll_id, total, first=f"{coll_id}?page=1"),
            private=not public_only,
        )
    items = await activity_store.outbox_page(
        rt.store, actor_uri, public_only=public_only, page=page, size=PAGE_SIZE + 1
    )
    docs = [_strip_private(a.document) for a in items[:PAGE_SIZE]]
    return activity_response(
        request,
        documents.ordered_collection_page(coll_id, page, docs, has_next=len(items) > PAGE_SIZE),
        private=not public_only,
    )


def _strip_private(doc: dict) -> dict:
    out = {k: v for k, v in doc.items() if k not in ("bto", "bcc")}
    obj = out.get("object")
    if isinstance(obj, dict):
        out["object"] = {k: v for k, v in obj.items() if k not in ("bto", "bcc")}
    return out


async def _relations(request: Request, which: str) -> Response:
    rt = runtime(request)
    found = await actor_store.require_actor(rt.store, request.path_params["slug"])
    await auth.fetch_guard(request)
    actor_uri = rt.urls.actor(found.slug)
    coll_id = rt.urls.collection(found.slug, which)
    key = {"followee": actor_uri} if which == "followers" else {"follower": actor_uri}
    total = await follow_store.count(rt.store, **key)
    # Residents' privacy: lists are not enumerated publicly unless the instance opts in.
    if not rt.settings.public_follower_lists:
        return activity_response(request, documents.ordered_collection(coll_id, total))
    page = page_number(request)
    if page is None:
        return activity_response(
            request, documents.ordered_collection(coll_id, total, first=f"{coll_id}?page=1")
        )
    uris = await follow_store.page_of(rt.store, **key, page=page, size=PAGE_SIZE + 1)
    return activity_response(
        request,
        documents.ordered_collection_page(
            coll_id, page, uris[:PAGE_SIZE], has_next=len(uris) > PAGE_SIZE, total=total
        ),
    )


async def followers(request: Request) -> Response:
    return await _relations(request, "followers")


async def following(request: Request) -> Response:
    return await _relations(request, "following")
