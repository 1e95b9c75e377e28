"""What a community publishes, by kind: paged OrderedCollections of its public objects.

`{community}/events` (upcoming, by start time), `/offers` (open offers and requests, not
expired), `/alerts` (active: not expired, not cancelled), `/news` (newest first) and
`/polls` (open). Only public objects are listed, never members-only or direct ones. Also
`{event}/participants`: the organiser's private list of an event's participants.
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ...errors import NotFound
from ...outbox import community as cm
from ...outbox import events, polls
from ...protocol import documents
from ...protocol.addressing import strip_private
from ...store import events as event_store
from ...store import listings
from ...store.actors import LocalActor
from .. import auth, render_cache
from ..negotiation import activity_response, as2_content_type, as2_headers, wants_activity_json
from ..render_cache import Rendered
from .common import PAGE_SIZE, after_token, page_cursor, runtime
from .objects import viewer_of

LISTINGS = {
    "events": listings.UPCOMING_EVENTS,
    "offers": listings.OPEN_PROPOSALS,
    "alerts": listings.ACTIVE_ALERTS,
    "news": listings.RECENT_NEWS,
    "polls": listings.OPEN_POLLS,
}


async def community_of(request: Request) -> LocalActor:
    rt = runtime(request)
    community = await cm.community_actor(rt, rt.urls.actor(request.path_params["slug"]))
    if community is None:
        raise NotFound("no such community")
    return community


async def close_ended_polls(request: Request, community_uri: str) -> None:
    rt = runtime(request)
    for poll in await listings.ended_polls(rt.store, community_uri, rt.clock.now()):
        await polls.close_if_ended(rt, poll)


async def _collection(request: Request, name: str) -> Response:
    """Rendered once per change of the community's content (or when an item's start/end
    passes): the anonymous, public-only view is the only one there is."""
    rt = runtime(request)
    if not wants_activity_json(request):  # a browser: the paged list, same URL
        from ..pages.routes import list_page

        return await list_page(request, name)
    slug = request.path_params["slug"]
    listing = LISTINGS[name]
    cursor = page_cursor(request)
    media = as2_content_type(request)

    async def render() -> Rendered:
        community = await community_of(request)
        await auth.fetch_guard(request)
        cid = rt.urls.actor(community.slug)
        coll = rt.urls.collection(community.slug, name)
        if name == "polls":
            await close_ended_polls(request, cid)
        now = rt.clock.now()
        total = await listings.count(rt.store, listing, cid, now=now)
        expires = await listings.next_change(rt.store, listing, cid, now)
        if cursor is None:
            doc = documents.ordered_collection(coll, total, first=f"{coll}?page=1")
        else:
            found = await listings.page(
                rt.store, listing, cid, now=now, after=cursor.after, size=PAGE_SIZE + 1
            )
            shown = found[:PAGE_SIZE]
            page_id = (
                f"{coll}?page=1"
                if cursor.after is None
                else f"{coll}?after={after_token(cursor.after)}"
            )
            doc = documents.keyset_page(
                coll,
                page_id,
                [strip_private(o.document) for _, o in shown],
                next_id=f"{coll}?after={after_token(shown[-1][0])}"
                if len(found) > PAGE_SIZE
                else None,
                total=total,
            )
        return Rendered(orjson.dumps(doc), media, as2_headers(request), expires_at=expires)

    return await render_cache.respond(
        request,
        key=(name, slug, media, cursor),
        scopes=(f"slug:{slug}", rt.urls.actor(slug)),
        render=render,
        shared=render_cache.shareable(request),
    )


async def events_collection(request: Request) -> Response:
    return await _collection(request, "events")


async def offers_collection(request: Request) -> Response:
    return await _collection(request, "offers")


async def alerts_collection(request: Request) -> Response:
    return await _collection(request, "alerts")


async def news_collection(request: Request) -> Response:
    return await _collection(request, "news")


async def polls_collection(request: Request) -> Response:
    return await _collection(request, "polls")


async def participants(request: Request) -> Response:
    """The organiser's list (bearer token or signed fetch); 404 to anyone else.

    `?state=pending` lists the requests waiting for approval (joinMode restricted)."""
    rt = runtime(request)
    uri = rt.urls.object(request.path_params["uid"])
    event = await events.local_event(rt, uri)
    if event is None:
        raise NotFound("no such event")
    if await viewer_of(request) != event.attributed_to:
        raise NotFound("no such event")
    state = request.query_params.get("state", "accepted")
    if state not in ("accepted", "pending"):
        state = "accepted"
    found = await event_store.actors(rt.store, uri, states=(state,))
    doc = documents.ordered_collection(uri + "/participants", len(found), items=found)
    return activity_response(request, doc, private=True)
