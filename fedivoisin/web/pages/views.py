"""The data behind each page: rows fetched, visibility decided, cards built.

Every stored object shown passes `outbox.visibility.visible_to` for the viewer (None for an
anonymous visitor): a members-only or followers-only object never reaches a template for
someone who may not see it. Public listings are already public; for a signed-in viewer the
non-public rows are fetched too and each is asked about.
"""

from __future__ import annotations

from typing import Any

from ...outbox.visibility import visible_to
from ...runtime import Runtime
from ...store import actors as actor_store
from ...store import events as event_store
from ...store import follows as follow_store
from ...store import listings, relays
from ...store import members as member_store
from ...store import polls as poll_store
from ...store import remote_actors as remote_store
from ...store.activities import StoredObject, replies
from ...store.actors import LocalActor
from . import models

KIND_ORDER = ("town", "quartier", "residence", "building")
SECTION_SIZE = 10
LIST_SIZE = 20

#: Community page sections: (name, listing, how many).
SECTIONS = (
    ("alerts", listings.ACTIVE_ALERTS, SECTION_SIZE),
    ("events", listings.UPCOMING_EVENTS, SECTION_SIZE),
    ("offers", listings.OPEN_PROPOSALS, SECTION_SIZE),
    ("news", listings.RECENT_NEWS, 5),
    ("polls", listings.OPEN_POLLS, SECTION_SIZE),
)
LISTINGS = {name: listing for name, listing, _ in SECTIONS}


async def visible(rt: Runtime, stored: StoredObject, viewer: str | None) -> bool:
    if stored.public:
        return True
    return await visible_to(
        rt, addressed=stored.addressees, author=stored.attributed_to, viewer=viewer
    )


async def prefetch(rt: Runtime, uris: list[str], cache: dict[str, dict[str, str]]) -> None:
    """Names of many actors in two queries (local, remote) instead of one per actor."""
    wanted = [u for u in dict.fromkeys(uris) if u not in cache]
    local = {rt.urls.slug_of(u): u for u in wanted if rt.urls.slug_of(u) is not None}
    local = {slug: u for slug, u in local.items() if u == rt.urls.actor(slug or "")}
    for actor in await actor_store.get_actors(rt.store, [s for s in local if s]):
        cache[rt.urls.actor(actor.slug)] = {
            "name": actor.name or actor.slug,
            "handle": f"@{actor.slug}@{rt.urls.domain}",
            "url": rt.urls.actor(actor.slug),
        }
    remote = [u for u in wanted if u not in local.values()]
    for found in await remote_store.many(rt.store, remote) if remote else []:
        user = found.preferred_username or ""
        cache[found.uri] = {
            "name": found.name or user or found.uri,
            "handle": f"@{user}@{found.host}" if user else "",
            "url": found.uri,
        }
    for u in wanted:
        cache.setdefault(u, {"name": u, "handle": "", "url": u})


async def person(rt: Runtime, uri: str, cache: dict[str, dict[str, str]]) -> dict[str, str]:
    """Name, handle and link of an actor, local or known remote."""
    if uri in cache:
        return cache[uri]
    found = {"name": uri, "handle": "", "url": uri}
    slug = rt.urls.slug_of(uri)
    if slug is not None and uri == rt.urls.actor(slug):
        local = await actor_store.get_actor(rt.store, slug)
        if local is not None:
            found = {"name": local.name or slug, "handle": f"@{slug}@{rt.urls.domain}", "url": uri}
    else:
        remote = await remote_store.get(rt.store, uri)
        if remote is not None:
            user = remote.preferred_username or ""
            found = {
                "name": remote.name or user or uri,
                "handle": f"@{user}@{remote.host}" if user else "",
                "url": uri,
            }
    cache[uri] = found
    return found


def actor_info(rt: Runtime, actor: LocalActor) -> dict[str, Any]:
    return {
        "slug": actor.slug,
        "name": actor.name or actor.slug,
        "summary": actor.summary,
        "type": actor.type,
        "kind": actor.community_kind,
        "join_policy": actor.join_policy,
        "handle": f"@{actor.slug}@{rt.urls.domain}",
        "uri": rt.urls.actor(actor.slug),
        "page": rt.urls.page(actor.slug),
        "is_community": actor.is_community,
    }


async def _cards(
    rt: Runtime, found: list[StoredObject], viewer: str | None, names: dict[str, Any]
) -> list[dict[str, Any]]:
    out = []
    now = rt.clock.now()
    await prefetch(rt, [s.attributed_to for s in found], names)
    for stored in found:
        if not await visible(rt, stored, viewer):
            continue
        c = models.card(stored, now)
        c["author"] = await person(rt, stored.attributed_to, names)
        out.append(c)
    return out


Cursor = tuple[float, int]


async def listing(
    rt: Runtime,
    community: LocalActor,
    name: str,
    viewer: str | None,
    *,
    after: Cursor | None = None,
    size: int = LIST_SIZE,
) -> tuple[list[dict[str, Any]], Cursor | None]:
    """One keyset page of a community's listing `name` as cards; (cards, next cursor).
    Ended polls are left out by the listing's own `end_time > now` condition: a page view
    never publishes (closing them is the AS2 collection's and the poll GET's job)."""
    found = await listings.page(
        rt.store,
        LISTINGS[name],
        rt.urls.actor(community.slug),
        now=rt.clock.now(),
        after=after,
        size=size + 1,
        public_only=viewer is None,
    )
    shown = found[:size]
    cards = await _cards(rt, [o for _, o in shown], viewer, {})
    if name == "alerts":
        cards = models.alerts_first(cards)
    return cards, (shown[-1][0] if len(found) > size else None)


async def home(rt: Runtime) -> dict[str, Any]:
    communities = await actor_store.list_actors(rt.store, type_="Group")
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for c in communities:
        info = actor_info(rt, c)
        info["members"] = await member_store.count(rt.store, info["uri"])
        info["within"] = [
            await _local_name(rt, src)
            for src, _ in await relays.of_community(rt.store, info["uri"])
        ]
        by_kind.setdefault(c.community_kind or "other", []).append(info)
    groups = [(k, by_kind[k]) for k in (*KIND_ORDER, "other") if k in by_kind]
    return {"instance_name": rt.settings.instance_name, "groups": groups, "domain": rt.urls.domain}


async def _local_name(rt: Runtime, uri: str) -> dict[str, str]:
    return await person(rt, uri, {})


async def community(rt: Runtime, actor: LocalActor, viewer: str | None) -> dict[str, Any]:
    """A community's page: four queries (counts, relays, the five sections, names)."""
    cid = rt.urls.actor(actor.slug)
    names: dict[str, Any] = {}
    data: dict[str, Any] = {"actor": actor_info(rt, actor)}
    data["members"], data["followers"] = await member_store.community_counts(rt.store, cid)
    sources, relaying = await relays.both_ways(rt.store, cid)
    found = await listings.sections(
        rt.store,
        [(name, lst, size + 1) for name, lst, size in SECTIONS],
        cid,
        now=rt.clock.now(),
        public_only=viewer is None,
    )
    shown = [o for name, _, size in SECTIONS for o in found[name][:size]]
    await prefetch(rt, [o.attributed_to for o in shown] + [u for u, _ in sources + relaying], names)
    for name, _, size in SECTIONS:
        cards = await _cards(rt, found[name][:size], viewer, names)
        data[name] = models.alerts_first(cards) if name == "alerts" else cards
        data[name + "_more"] = len(found[name]) > size
    data["relays_from"] = [{**await person(rt, u, names), "kinds": k} for u, k in sources]
    data["relayed_by"] = [{**await person(rt, u, names), "kinds": k} for u, k in relaying]
    data["is_member"] = viewer is not None and await member_store.is_member(rt.store, cid, viewer)
    return data


async def community_lapses(rt: Runtime, actor: LocalActor) -> float | None:
    """When the community page's public sections next change by themselves (an event
    starts, an alert or offer expires, a poll closes): its cached rendering lapses then."""
    cid = rt.urls.actor(actor.slug)
    now = rt.clock.now()
    moments = [
        await listings.next_change(rt.store, lst, cid, now)
        for _, lst, _ in SECTIONS
        if lst.leaves is not None
    ]
    return min((m for m in moments if m is not None), default=None)


async def profile(rt: Runtime, actor: LocalActor, after: Cursor | None) -> dict[str, Any]:
    uri = rt.urls.actor(actor.slug)
    found = await listings.by_author(rt.store, uri, size=LIST_SIZE + 1, after=after)
    shown = found[:LIST_SIZE]
    return {
        "actor": actor_info(rt, actor),
        "followers": await follow_store.count(rt.store, followee=uri),
        "posts": await _cards(rt, [o for _, o in shown], None, {}),
        "first": after is None,
        "next_after": shown[-1][0] if len(found) > LIST_SIZE else None,
    }


async def item(rt: Runtime, stored: StoredObject, viewer: str | None) -> dict[str, Any]:
    """The page of one object (the caller has checked `visible`)."""
    names: dict[str, Any] = {}
    await prefetch(rt, [stored.attributed_to, stored.community_uri or ""], names)
    # The event's participantCount is kept current by every RSVP change (outbox/events.py).
    c = models.card(stored, rt.clock.now())
    c["author"] = await person(rt, stored.attributed_to, names)
    data: dict[str, Any] = {"item": c}
    if stored.community_uri:
        data["community"] = await person(rt, stored.community_uri, names)
    if stored.kind == "report":
        data["history"] = await report_history(rt, stored, viewer, names)
    if stored.kind == "event" and viewer is not None:
        mine = await event_store.get(rt.store, stored.uri, viewer)
        data["my_rsvp"] = mine.state if mine is not None else None
    if stored.kind == "poll" and viewer is not None:
        data["my_vote"] = await poll_store.has_voted(rt.store, stored.uri, viewer)
    return data


async def report_history(
    rt: Runtime, stored: StoredObject, viewer: str | None, names: dict[str, Any]
) -> list[dict[str, Any]]:
    """Opened, then each status reply the viewer may see, then the current status."""
    from datetime import UTC, datetime

    history = [{"status": "open", "at": datetime.fromtimestamp(stored.published, UTC), "by": None}]
    for reply in await replies(rt.store, stored.uri):
        status = reply.document.get("reportStatus")
        if not isinstance(status, str) or not await visible(rt, reply, viewer):
            continue
        history.append(
            {
                "status": status,
                "at": datetime.fromtimestamp(reply.published, UTC),
                "by": await person(rt, reply.attributed_to, names),
            }
        )
    current = stored.document.get("reportStatus") or "open"
    if history[-1]["status"] != current:
        at = stored.updated or stored.published
        history.append({"status": current, "at": datetime.fromtimestamp(at, UTC), "by": None})
    return history
