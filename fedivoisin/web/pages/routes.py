"""The HTML side of the server's URLs.

Actor and object pages are served on the SAME URLs as the ActivityPub ids
(`/actors/{slug}`, `/objects/{uid}`, the community collections): the AS2 routes call in
here when `negotiation.wants_activity_json` says the client is a browser. Only the home
page, the stylesheet, an event's `.ics` and the remote-interaction form have their own URLs.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ...errors import Gone, NotFound
from ...protocol.documents import AS2_CONTENT_TYPE
from ...protocol.vocab import parse_object
from ...store import activities as activity_store
from ...store import actors as actor_store
from ...store import listings
from ...store.activities import StoredObject
from ...store.actors import LocalActor
from ..routes.common import after_token, page_cursor, runtime
from . import views
from .models import title_of
from .render import gettext_for
from .responses import Built, anonymous_page, error_page, page, viewer_of

_CSS: bytes | None = None


def _feeds(rt: Any, slug: str) -> list[dict[str, str]]:
    return [
        {
            "type": "text/calendar",
            "title": "iCalendar",
            "href": rt.urls.collection(slug, "events.ics"),
        },
        {
            "type": "application/atom+xml",
            "title": "Atom",
            "href": rt.urls.collection(slug, "feed.atom"),
        },
    ]


async def home(request: Request) -> Response:
    rt = runtime(request)
    data = await views.home(rt)
    data["meta"] = {
        "title": data["instance_name"] or rt.urls.domain,
        "description": f"{rt.urls.domain}",
        "url": rt.urls.origin + "/",
        "alternate": None,
    }
    return await page(request, "home.html", data)


def _actor_meta(rt: Any, actor: LocalActor) -> dict[str, Any]:
    handle = f"@{actor.slug}@{rt.urls.domain}"
    meta: dict[str, Any] = {
        "title": actor.name or actor.slug,
        "description": actor.summary or handle,
        "url": rt.urls.page(actor.slug),
        "alternate": rt.urls.actor(actor.slug),
        "og_type": "profile",
        "creator": handle,
    }
    if actor.is_community:
        meta["feeds"] = _feeds(rt, actor.slug)
    return meta


async def actor_page(request: Request, slug: str) -> Response:
    """A community's page or a person's/organisation's profile.

    A visitor who is not signed in gets the rendering kept in the render cache, rebuilt
    when the actor's row, its objects, members, followers or relays change (content
    versions `slug:<slug>` and the actor's URI) or when a listing lapses by itself; the
    actor is read inside the render (an unknown slug raises NotFound there: nothing is
    stored)."""
    rt = runtime(request)
    viewer = await viewer_of(request)
    if viewer is None:
        # A profile's page cursor: parsed before the render so bad input is a 400.
        cursor = page_cursor(request)

        async def build() -> Built:
            actor = await actor_store.require_actor(rt.store, slug)
            if actor.is_community:
                data = await _actor_data(rt, actor, None, None)
                return "community.html", data, await views.community_lapses(rt, actor)
            return "profile.html", await _actor_data(rt, actor, None, cursor), None

        scopes = (f"slug:{slug}", rt.urls.actor(slug))
        return await anonymous_page(request, build, scopes=scopes, variant=cursor)
    actor = await actor_store.require_actor(rt.store, slug)
    if actor.is_community:
        data = await _actor_data(rt, actor, viewer, None)
        return await page(request, "community.html", data, personal=True)
    data = await _actor_data(rt, actor, viewer, page_cursor(request))
    return await page(request, "profile.html", data)


async def _actor_data(
    rt: Any, actor: LocalActor, viewer: str | None, cursor: Any
) -> dict[str, Any]:
    if actor.is_community:
        data = await views.community(rt, actor, viewer)
    else:
        data = await views.profile(rt, actor, cursor.after if cursor else None)
        next_after = data.pop("next_after")
        data["next"] = after_token(next_after) if next_after else None
    data["meta"] = _actor_meta(rt, actor)
    return data


async def object_page(request: Request, stored: StoredObject) -> Response:
    """The page of one object, when the viewer may see it; the 404 page otherwise."""
    rt = runtime(request)
    viewer = await viewer_of(request)
    if stored.deleted is not None:
        return await error_page(request, 410, "gone")
    if not await views.visible(rt, stored, viewer):
        return await error_page(request, 404, "not found")
    if viewer is None and stored.public and stored.local and stored.kind != "report":
        return await _anonymous_object_page(request, stored)
    data = await views.item(rt, stored, viewer)
    data["meta"] = object_meta(rt, data, environment_locale(request))
    return await page(
        request, "object.html", data, personal=viewer is not None or not stored.public
    )


async def _anonymous_object_page(request: Request, stored: StoredObject) -> Response:
    """A public local object's page for a visitor, rendered once per change of the object
    (its row's writes bump its community's and its author's versions). The object is read
    again after the version (inside the render), so an entry never holds content older than
    its version, nor an object that stopped being public meanwhile. Reports are left out:
    their page shows the status replies, which other rows hold."""
    rt = runtime(request)
    locale = environment_locale(request)

    async def build() -> Built:
        fresh = await activity_store.get_object(rt.store, stored.uri)
        if fresh is None or not fresh.public:
            raise NotFound("not found")
        if fresh.deleted is not None:
            raise Gone("gone")
        data = await views.item(rt, fresh, None)
        data["meta"] = object_meta(rt, data, locale)
        now = rt.clock.now()
        moments = [t for t in (fresh.start_time, fresh.end_time) if t is not None and t > now]
        return "object.html", data, min(moments, default=None)

    scopes = [s for s in (stored.community_uri, stored.attributed_to) if s]
    return await anonymous_page(request, build, scopes=scopes)


def environment_locale(request: Request) -> str:
    from .responses import locale_of

    return locale_of(request)


def object_meta(rt: Any, data: dict[str, Any], locale: str) -> dict[str, Any]:
    """Title, description and OpenGraph tags: an event's card carries its date and place."""
    from . import i18n

    c = data["item"]
    parts: list[str] = []
    og: list[tuple[str, str]] = []
    if c["kind"] == "event" and c.get("start"):
        parts.append(i18n.when(c["start"], locale, c["tz"]))
        og.append(("event:start_time", i18n.when_iso(c["start"], c["tz"])))
        if c.get("end"):
            og.append(("event:end_time", i18n.when_iso(c["end"], c["tz"])))
    if c["kind"] == "alert":
        gettext = gettext_for(locale)
        parts.append(f"{gettext('Alert')}: {c.get('severity')}")
    place = c.get("place")
    if place:
        where = ", ".join(p for p in (place["name"], place["address"]) if p)
        parts.append(where or place["text"])
    text = " ".join(c["paragraphs"])[:200]
    if text:
        parts.append(text)
    author = c["author"]
    return {
        "title": c["title"] or c["kind"],
        "description": " · ".join(parts),
        "url": c["uri"],
        "alternate": c["uri"],
        "og_type": "article",
        "og": og,
        "creator": author["handle"] or None,
        "feeds": _feeds(rt, rt.urls.slug_of(data["community"]["url"]) or "")
        if data.get("community") and rt.urls.slug_of(data["community"]["url"])
        else [],
    }


async def list_page(request: Request, name: str) -> Response:
    """A community's paged list of events, offers, alerts, news or polls; a visitor's
    rendering comes from the render cache like the community page (the community is read
    inside the render: a cached answer reads nothing)."""
    from ..routes.community_collections import community_of

    rt = runtime(request)
    viewer = await viewer_of(request)
    cursor = page_cursor(request)
    after = cursor.after if cursor else None
    locale = environment_locale(request)
    slug = request.path_params["slug"]

    async def data_for(who: str | None) -> dict[str, Any]:
        found = await community_of(request)
        items, next_after = await views.listing(rt, found, name, who, after=after)
        gettext = gettext_for(locale)
        titles = {
            "events": gettext("Upcoming events"),
            "offers": gettext("Offers and requests"),
            "alerts": gettext("Active alerts"),
            "news": gettext("Latest news"),
            "polls": gettext("Open polls"),
        }
        return {
            "actor": views.actor_info(rt, found),
            "items": items,
            "first": after is None,
            "next": after_token(next_after) if next_after else None,
            "meta": {
                "title": f"{titles[name]} · {found.name}",
                "url": rt.urls.collection(slug, name),
                "alternate": rt.urls.collection(slug, name),
                "feeds": _feeds(rt, slug),
            },
        }

    if viewer is None:

        async def build() -> Built:
            lapses = await listings.next_change(
                rt.store, views.LISTINGS[name], rt.urls.actor(slug), rt.clock.now()
            )
            return "list.html", await data_for(None), lapses

        scopes = (f"slug:{slug}", rt.urls.actor(slug))
        return await anonymous_page(request, build, scopes=scopes, variant=cursor)
    return await page(request, "list.html", await data_for(viewer), personal=True)


async def stylesheet(request: Request) -> Response:
    global _CSS
    if _CSS is None:
        from importlib.resources import files

        _CSS = files("fedivoisin.web").joinpath("templates/pages.css").read_bytes()
    return Response(_CSS, media_type="text/css", headers={"Cache-Control": "public, max-age=86400"})


async def event_ics(request: Request) -> Response:
    """One event as an iCalendar file (the page's "add to my calendar" link)."""
    from ..routes.feeds import calendar_of

    rt = runtime(request)
    uri = rt.urls.object(request.path_params["uid"].removesuffix(".ics"))
    stored = await activity_store.get_object(rt.store, uri)
    viewer = await viewer_of(request)
    if (
        stored is None
        or not stored.local
        or stored.kind != "event"
        or stored.deleted is not None
        or not await views.visible(rt, stored, viewer)
    ):
        raise NotFound("no such event")
    title = title_of(parse_object(stored.document))
    body = calendar_of(title, uri + ".ics", [stored]).to_ical()
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="event.ics"',
            "Cache-Control": "private, no-store" if not stored.public else "public, max-age=300",
            "Link": f'<{uri}>; rel="alternate"; type="{AS2_CONTENT_TYPE}"',
        },
    )
