"""What a community publishes, by kind: paged OrderedCollections of its public objects.

`{community}/events` (upcoming, by start time), `/offers` (open offers and requests, not
expired), `/alerts` (active: not expired, not cancelled), `/news` (newest first) and
`/polls` (open). Only public objects are listed, never members-only or direct ones. Also
`{event}/participants`: the organiser's private list of an event's participants.
"""

from __future__ import annotations

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
from .. import auth
from ..negotiation import activity_response, wants_activity_json
from .common import PAGE_SIZE, page_number, runtime
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
    rt = runtime(request)
    community = await community_of(request)
    if not wants_activity_json(request):  # a browser: the paged list, same URL
        from ..pages.routes import list_page

        return await list_page(request, community, name)
    await auth.fetch_guard(request)
    listing = LISTINGS[name]
    cid = rt.urls.actor(community.slug)
    coll = rt.urls.collection(community.slug, name)
    if name == "polls":
        await close_ended_polls(request, cid)
    now = rt.clock.now()
    page = page_number(request)
    total = await listings.count(rt.store, listing, cid, now=now)
    if page is None:
        return activity_response(
            request, documents.ordered_collection(coll, total, first=f"{coll}?page=1")
        )
    found = await listings.page(rt.store, listing, cid, now=now, page=page, size=PAGE_SIZE + 1)
    items = [strip_private(o.document) for o in found[:PAGE_SIZE]]
    return activity_response(
        request,
        documents.ordered_collection_page(
            coll, page, items, has_next=len(found) > PAGE_SIZE, total=total
        ),
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
