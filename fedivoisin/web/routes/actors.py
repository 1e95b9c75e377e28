"""Actor documents, their HTML pages, and their outbox / followers / following collections."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ...actor_document import actor_document_of
from ...protocol import documents
from ...protocol.urls import INSTANCE_SLUG
from ...store import activities as activity_store
from ...store import actors as actor_store
from ...store import follows as follow_store
from ...store.actors import LocalActor
from .. import auth, render_cache
from ..negotiation import as2_content_type, as2_headers, wants_activity_json
from ..render_cache import Rendered
from .common import PAGE_SIZE, page_cursor, runtime


def actor_json(request: Request, actor: LocalActor) -> dict:
    return actor_document_of(runtime(request).urls, actor)


async def actor(request: Request) -> Response:
    """Served at the actor id and at /@slug: AS2 JSON for servers, HTML for browsers.

    Both are rendered once per change (web/render_cache.py): the JSON of the actor's row,
    a visitor's page (web/pages/) of what it shows; a signed-in resident's page each time."""
    rt = runtime(request)
    slug = request.path_params["slug"]
    if wants_activity_json(request):
        media = as2_content_type(request)

        async def render_json() -> Rendered:
            found = await actor_store.require_actor(rt.store, slug)
            if found.slug != INSTANCE_SLUG:  # the instance actor's key must stay fetchable
                await auth.fetch_guard(request)
            return Rendered(orjson.dumps(actor_json(request, found)), media, as2_headers(request))

        return await render_cache.respond(
            request,
            key=("actor", slug, media),
            scopes=(f"slug:{slug}",),
            render=render_json,
            shared=render_cache.shareable(request),
        )

    # A browser: the community's page or the person's profile (web/pages/); a visitor's
    # rendering comes from the same render cache (pages/responses.anonymous_page).
    from ..pages.routes import actor_page

    return await actor_page(request, slug)


async def index(request: Request) -> Response:
    from ..pages.routes import home

    return await home(request)


async def outbox(request: Request) -> Response:
    rt = runtime(request)
    slug = request.path_params["slug"]
    shared = render_cache.shareable(request)
    owner = None if shared else await auth.authenticate(request, "read", optional=True)
    public_only = owner is None or not owner.may_act_for(slug)
    cursor = page_cursor(request)
    media = as2_content_type(request)

    async def render() -> Rendered:
        found = await actor_store.require_actor(rt.store, slug)
        if public_only:  # the token holder reads their own outbox without an HTTP signature
            await auth.fetch_guard(request)
        actor_uri = rt.urls.actor(found.slug)
        coll_id = rt.urls.outbox(found.slug)
        total = await activity_store.outbox_count(rt.store, actor_uri, public_only=public_only)
        if cursor is None:
            doc = documents.ordered_collection(coll_id, total, first=f"{coll_id}?page=1")
        else:
            found_items = await activity_store.outbox_page(
                rt.store,
                actor_uri,
                public_only=public_only,
                max_id=cursor.max_id,
                size=PAGE_SIZE + 1,
            )
            page_items = found_items[:PAGE_SIZE]
            more = len(found_items) > PAGE_SIZE
            doc = documents.keyset_page(
                coll_id,
                f"{coll_id}?page=1" if cursor.first else f"{coll_id}?max_id={cursor.max_id}",
                [_strip_private(a.document) for _, a in page_items],
                next_id=f"{coll_id}?max_id={page_items[-1][0]}" if more else None,
                total=total,
            )
        return Rendered(orjson.dumps(doc), media, as2_headers(request, private=not public_only))

    return await render_cache.respond(
        request,
        key=("outbox", slug, media, cursor),
        scopes=(f"slug:{slug}", rt.urls.actor(slug)),
        render=render,
        shared=shared and public_only,
    )


def _strip_private(doc: dict) -> dict:
    out = {k: v for k, v in doc.items() if k not in ("bto", "bcc")}
    obj = out.get("object")
    if isinstance(obj, dict):
        out["object"] = {k: v for k, v in obj.items() if k not in ("bto", "bcc")}
    return out


async def _relations(request: Request, which: str) -> Response:
    rt = runtime(request)
    slug = request.path_params["slug"]
    cursor = page_cursor(request)
    media = as2_content_type(request)

    async def render() -> Rendered:
        found = await actor_store.require_actor(rt.store, slug)
        await auth.fetch_guard(request)
        actor_uri = rt.urls.actor(found.slug)
        coll_id = rt.urls.collection(found.slug, which)
        key = {"followee": actor_uri} if which == "followers" else {"follower": actor_uri}
        total = await follow_store.count(rt.store, **key)
        # Residents' privacy: lists are not enumerated publicly unless the instance opts in.
        if not rt.settings.public_follower_lists:
            doc = documents.ordered_collection(coll_id, total)
        elif cursor is None:
            doc = documents.ordered_collection(coll_id, total, first=f"{coll_id}?page=1")
        else:
            rows = await follow_store.page_of(
                rt.store, **key, max_id=cursor.max_id, size=PAGE_SIZE + 1
            )
            shown = rows[:PAGE_SIZE]
            doc = documents.keyset_page(
                coll_id,
                f"{coll_id}?page=1" if cursor.first else f"{coll_id}?max_id={cursor.max_id}",
                [u for _, u in shown],
                next_id=f"{coll_id}?max_id={shown[-1][0]}" if len(rows) > PAGE_SIZE else None,
                total=total,
            )
        return Rendered(orjson.dumps(doc), media, as2_headers(request))

    return await render_cache.respond(
        request,
        key=(which, slug, media, cursor),
        scopes=(f"slug:{slug}", rt.urls.actor(slug)),
        render=render,
        shared=render_cache.shareable(request),
    )


async def followers(request: Request) -> Response:
    return await _relations(request, "followers")


async def following(request: Request) -> Response:
    return await _relations(request, "following")
