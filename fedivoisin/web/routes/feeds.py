"""A community for people without a fediverse account: its calendar (iCalendar, RFC 5545)
and its feed (Atom 1.0, RFC 4287). Both list public objects only.

Time zones in the calendar: an event with a `timezone` (FEP-8a8e, IANA name) keeps its wall
times with `TZID=<zone>`, and the calendar carries a VTIMEZONE for each zone it uses
(RFC 5545 §3.2.19 requires one per TZID), built from the tz database for the years the
events span; clients show the organiser's local time and still convert correctly across
daylight-saving changes. An event without a zone is written in UTC (`…Z`), never as a
floating time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import Response

from ...clock import iso
from ...protocol.vocab import ParsedObject, parse_object
from ...protocol.vocab_render import place_text
from ...runtime import Runtime
from ...store import actors as actor_store
from ...store import listings
from ...store import remote_actors as remote_store
from ...store.activities import StoredObject
from ...store.actors import LocalActor
from .. import render_cache
from ..render_cache import Rendered
from .common import runtime
from .community_collections import community_of

if TYPE_CHECKING:  # imported where used: icalendar costs ~4 MiB of idle memory
    import icalendar

MAX_CALENDAR = 500
MAX_FEED = 50
ATOM_NS = "http://www.w3.org/2005/Atom"
_BLOCKS = frozenset({"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html: str | None) -> str:
    """HTML content as plain text: paragraphs on their own lines, entities decoded."""
    if not html:
        return ""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)


def _zone(name: str | None) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _status(parsed: ParsedObject) -> str:
    event = parsed.event
    if event is not None and event.cancelled:
        return "CANCELLED"
    if event is not None and event.event_status == "EventTentative":
        return "TENTATIVE"
    return "CONFIRMED"


def vevent(stored: StoredObject) -> icalendar.Event | None:
    parsed = parse_object(stored.document)
    event = parsed.event
    if event is None or event.start is None:
        return None
    tz = _zone(event.timezone) or UTC
    import icalendar

    out = icalendar.Event()
    out.add("uid", stored.uri)
    out.add("dtstamp", datetime.fromtimestamp(stored.updated or stored.published, UTC))
    out.add("dtstart", event.start.astimezone(tz))
    if event.end is not None:
        out.add("dtend", event.end.astimezone(tz))
    out.add("summary", plain_text(parsed.name) or "Événement")
    where = place_text(event.location or parsed.location)
    if where:
        out.add("location", where)
    place = event.location or parsed.location
    if place is not None and place.latitude is not None and place.longitude is not None:
        out.add("geo", (place.latitude, place.longitude))
    description = plain_text(parsed.content)
    if description:
        out.add("description", description)
    out.add("url", parsed.url or stored.uri)
    out.add("status", _status(parsed))
    if parsed.published is not None:
        out.add("created", parsed.published.astimezone(UTC))
    if parsed.updated is not None:
        out.add("last-modified", parsed.updated.astimezone(UTC))
    return out


def calendar_of(name: str, url: str, found: list[StoredObject]) -> icalendar.Calendar:
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//fedivoisin//fedivoisin 0.1//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("source", url)
    years: list[int] = []
    for stored in found:
        component = vevent(stored)
        if component is None:
            continue
        cal.add_component(component)
        start = component.decoded("dtstart")
        years.append(start.year)
    if years:
        cal.add_missing_timezones(
            first_date=date(min(years) - 1, 1, 1), last_date=date(max(years) + 2, 1, 1)
        )
    return cal


async def calendar(request: Request) -> Response:
    """Rendered once per change of the community's events (or when one leaves the
    30-day window): the icalendar serialisation is the costly part."""
    rt = runtime(request)
    slug = request.path_params["slug"]

    async def render() -> Rendered:
        community = await community_of(request)
        cid = rt.urls.actor(community.slug)
        now = rt.clock.now()
        found = await listings.page(rt.store, listings.CALENDAR, cid, now=now, size=MAX_CALENDAR)
        expires = await listings.next_change(rt.store, listings.CALENDAR, cid, now)
        url = rt.urls.collection(community.slug, "events.ics")
        body = calendar_of(community.name, url, [o for _, o in found]).to_ical()
        return Rendered(
            body,
            "text/calendar; charset=utf-8",
            {
                "Cache-Control": "public, max-age=300",
                "Content-Disposition": f'inline; filename="{community.slug}.ics"',
            },
            expires_at=expires,
        )

    return await render_cache.respond(
        request,
        key=("events.ics", slug),
        scopes=(f"slug:{slug}", rt.urls.actor(slug)),
        render=render,
    )


# -- Atom


async def _author_name(rt: Runtime, uri: str, cache: dict[str, str]) -> str:
    if uri in cache:
        return cache[uri]
    name = uri
    slug = rt.urls.slug_of(uri)
    if slug is not None and uri == rt.urls.actor(slug):
        local = await actor_store.get_actor(rt.store, slug)
        if local is not None:
            name = local.name or slug
    else:
        remote = await remote_store.get(rt.store, uri)
        if remote is not None:
            name = remote.name or remote.preferred_username or uri
    cache[uri] = name
    return name


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def _title(parsed: ParsedObject) -> str:
    if parsed.name:
        return plain_text(parsed.name)
    text = plain_text(parsed.content)
    first = text.splitlines()[0] if text else ""
    return (first[:79] + "…") if len(first) > 80 else (first or "Publication")


async def feed(request: Request) -> Response:
    """Rendered once per change of the community's posts."""
    rt = runtime(request)
    slug = request.path_params["slug"]

    async def render() -> Rendered:
        return Rendered(
            await _feed_body(rt, await community_of(request)),
            "application/atom+xml; charset=utf-8",
            {"Cache-Control": "public, max-age=300"},
        )

    return await render_cache.respond(
        request,
        key=("feed.atom", slug),
        scopes=(f"slug:{slug}", rt.urls.actor(slug)),
        render=render,
    )


async def _feed_body(rt: Runtime, community: LocalActor) -> bytes:
    cid = rt.urls.actor(community.slug)
    found = [
        o
        for _, o in await listings.page(
            rt.store, listings.POSTS, cid, now=rt.clock.now(), size=MAX_FEED
        )
    ]
    self_url = rt.urls.collection(community.slug, "feed.atom")
    ET.register_namespace("", ATOM_NS)
    root = ET.Element(f"{{{ATOM_NS}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "fr"})
    _sub(root, "id", cid)
    _sub(root, "title", community.name)
    if community.summary:
        _sub(root, "subtitle", community.summary)
    latest = max(
        [o.updated or o.published for o in found] or [community.updated_at or community.created_at]
    )
    _sub(root, "updated", iso(latest))
    _sub(root, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(root, "link", rel="alternate", type="text/html", href=rt.urls.page(community.slug))
    author = _sub(root, "author")
    _sub(author, "name", community.name)
    _sub(author, "uri", cid)
    _sub(root, "generator", "fedivoisin")
    names: dict[str, str] = {}
    for stored in found:
        await _entry(rt, root, stored, names)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


async def _entry(
    rt: Runtime, root: ET.Element, stored: StoredObject, names: dict[str, str]
) -> None:
    parsed = parse_object(stored.document)
    entry = _sub(root, "entry")
    _sub(entry, "id", stored.uri)
    _sub(entry, "title", _title(parsed))
    published = parsed.published.timestamp() if parsed.published else stored.published
    _sub(entry, "published", iso(published))
    _sub(entry, "updated", iso(stored.updated or published))
    _sub(entry, "link", rel="alternate", type="text/html", href=parsed.url or stored.uri)
    author = _sub(entry, "author")
    _sub(author, "name", await _author_name(rt, stored.attributed_to, names))
    _sub(author, "uri", stored.attributed_to)
    _sub(entry, "category", term=stored.kind)
    summary = plain_text(parsed.summary)
    if summary:
        _sub(entry, "summary", summary, type="text")
    content: Any = parsed.content
    if content:
        _sub(entry, "content", content, type="html")
