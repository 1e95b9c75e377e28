"""Imported sources → vocabulary objects: iCalendar VEVENTs become Events, feed entries News.

Pure: bytes in, objects out (no ids, no addressing: the outbox adds those). Why libraries:
iCalendar (RFC 5545: folding, escaping, time zones, VALUE=DATE, DURATION) and the feed
formats (RSS 0.9x-2.0, RSS 1.0, Atom 0.3/1.0, their date formats and encodings, and HTML in
entries that must be sanitised) are each a swamp of edge cases that `icalendar` and
`feedparser` have handled for years. feedparser does not read JSON Feed, so a JSON Feed is
rewritten as Atom and goes through the same parser and the same HTML sanitiser.

Each item carries `digest`, the hash of exactly what we would publish: a source that
re-stamps DTSTAMP or re-orders its entries on every request changes nothing, and any
change a reader would see is an Update.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from xml.etree import ElementTree as ET

import orjson

NAME_MAX = 300
SUMMARY_MAX = 500
CONTENT_MAX = 50_000
UNTITLED = "Sans titre"
ATOM = "http://www.w3.org/2005/Atom"


class SourceError(ValueError):
    """The document is not a calendar / feed we can read (the import's status says why)."""


@dataclass(frozen=True)
class SourceItem:
    uid: str  # ICS UID (+ RECURRENCE-ID), feed guid / id / link
    obj: dict[str, Any]  # the vocabulary object, without id, author or addressing
    item_time: float | None  # event end (or start), entry date: used by the removal rules
    digest: str = ""


@dataclass
class Parsed:
    items: list[SourceItem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "uid: reason"


def digest_of(obj: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _item(uid: str, obj: dict[str, Any], item_time: float | None) -> SourceItem:
    return SourceItem(uid, obj, item_time, digest_of(obj))


# -- text helpers ------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def plain(text: str, *, is_html: bool = True) -> str:
    """HTML (or text) → one line of plain text without angle brackets (names, summaries)."""
    if is_html:
        text = html.unescape(_TAG.sub(" ", text))
    text = _SPACE.sub(" ", text).strip()
    return text.replace("<", "‹").replace(">", "›")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def name_of(text: str, fallback: str = UNTITLED, *, is_html: bool = True) -> str:
    return clip(plain(text, is_html=is_html), NAME_MAX) or fallback


def text_to_html(text: str) -> str:
    """Plain text (an ICS DESCRIPTION) → paragraphs, lines kept, everything escaped."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
        if p
    )


def http_url(value: Any) -> str | None:
    text = str(value or "").strip()
    if re.match(r"^https?://\S+$", text) and len(text) <= 2048:
        return text
    return None


# -- iCalendar ---------------------------------------------------------------------------


def parse_calendar(body: bytes) -> Parsed:
    """Every VEVENT of an iCalendar document; unreadable events are skipped with a reason."""
    from icalendar import Calendar

    try:
        cal = Calendar.from_ical(body)
    except Exception as exc:  # icalendar raises ValueError, KeyError, IndexError…
        raise SourceError(f"not an iCalendar document: {_short(exc)}") from None
    if getattr(cal, "name", "") != "VCALENDAR":
        raise SourceError("not an iCalendar document: no VCALENDAR")
    default_tz = _zone(str(cal.get("X-WR-TIMEZONE", ""))) or UTC
    out = Parsed()
    for component in cal.walk("VEVENT"):
        uid = str(component.get("UID", "")).strip()
        try:
            if not uid:
                raise ValueError("no UID")
            rid = component.get("RECURRENCE-ID")
            if rid is not None:
                uid += "#" + rid.to_ical().decode()
            obj, end = _event(component, default_tz)
        except Exception as exc:
            out.skipped.append(f"{uid or '(no UID)'}: {_short(exc)}")
            continue
        out.items.append(_item(uid, obj, end))
    return out


def _event(component: Any, default_tz: tzinfo) -> tuple[dict[str, Any], float]:
    if component.get("DTSTART") is None:
        raise ValueError("no DTSTART")
    start_raw = component.decoded("DTSTART")
    zone = _zone_of(component, "DTSTART", start_raw) or default_tz
    start = _as_datetime(start_raw, zone)
    end: datetime | None = None
    if component.get("DTEND") is not None:
        end = _as_datetime(component.decoded("DTEND"), zone)
    elif component.get("DURATION") is not None:
        duration = component.decoded("DURATION")
        if isinstance(duration, timedelta):
            end = start + duration
    elif not isinstance(start_raw, datetime):
        end = start + timedelta(days=1)  # RFC 5545: an all-day event lasts the day
    obj: dict[str, Any] = {
        "type": "Event",
        "name": name_of(str(component.get("SUMMARY", "")), is_html=False),
        "startTime": _iso(start),
    }
    if end is not None and end > start:
        obj["endTime"] = _iso(end)
    key = getattr(zone, "key", None)
    if isinstance(key, str) and _zone(key) is not None:
        obj["timezone"] = key
    elif zone is UTC:
        obj["timezone"] = "UTC"
    description = str(component.get("DESCRIPTION", "")).strip()
    content = text_to_html(description)
    if content:
        obj["content"] = clip(content, CONTENT_MAX)
    place = _place(component)
    if place:
        obj["location"] = place
    url = http_url(component.get("URL"))
    if url:
        obj["url"] = url
        obj["joinMode"] = "external"  # participation is handled where the event comes from
        obj["externalParticipationUrl"] = url
    status = str(component.get("STATUS", "")).strip().upper()
    if status == "CANCELLED":
        obj["eventStatus"] = "EventCancelled"
        obj["status"] = "CANCELLED"
    elif status == "TENTATIVE":
        obj["eventStatus"] = "EventTentative"
    else:
        obj["eventStatus"] = "EventScheduled"
    return obj, (end or start).timestamp()


def _place(component: Any) -> dict[str, Any] | None:
    place: dict[str, Any] = {"type": "Place"}
    location = plain(str(component.get("LOCATION", "")), is_html=False)
    if location:
        place["name"] = clip(location, 200)
    geo = component.get("GEO")
    lat, lon = getattr(geo, "latitude", None), getattr(geo, "longitude", None)
    if isinstance(lat, float | int) and isinstance(lon, float | int):
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            place["latitude"], place["longitude"] = float(lat), float(lon)
    return place if len(place) > 1 else None


def _zone(name: str) -> tzinfo | None:
    name = name.strip()
    if not name:
        return None
    if name.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        return UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _zone_of(component: Any, prop: str, value: Any) -> tzinfo | None:
    """The IANA zone of a property: its TZID when IANA knows it, else the value's tzinfo."""
    tzid = component[prop].params.get("TZID") if prop in component else None
    zone = _zone(str(tzid)) if tzid else None
    if zone is not None:
        return zone
    if isinstance(value, datetime) and value.tzinfo is not None:
        key = getattr(value.tzinfo, "key", None)
        if isinstance(key, str) and _zone(key) is not None:
            return _zone(key)
        if value.utcoffset() == timedelta(0):
            return UTC
        return value.tzinfo
    return None


def _as_datetime(value: Any, zone: tzinfo) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(0), zone)
    raise ValueError(f"not a date: {value!r}")


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# -- feeds (RSS, Atom, JSON Feed) ----------------------------------------------------------


def parse_feed(body: bytes, *, content_type: str = "", base_url: str = "") -> Parsed:
    """Every entry of an RSS, Atom or JSON Feed document, as News (FEP-b2b8 Articles)."""
    import feedparser

    if _is_json(body, content_type):
        body = json_feed_to_atom(body)
        content_type = "application/atom+xml"
    headers = {"content-type": content_type or "application/xml"}
    if base_url:
        headers["content-location"] = base_url
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True)
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = parsed.get("bozo_exception") or "no RSS, Atom or JSON Feed found"
        raise SourceError(f"not a feed: {_short(reason)}")
    out = Parsed()
    for entry in parsed.entries:
        try:
            uid, obj, when = _news(entry)
        except Exception as exc:
            out.skipped.append(f"{entry.get('id', '(no id)')}: {_short(exc)}")
            continue
        out.items.append(_item(uid, obj, when))
    return out


def _news(entry: Any) -> tuple[str, dict[str, Any], float | None]:
    link = http_url(entry.get("link"))
    title = str(entry.get("title", ""))
    summary_html = str(entry.get("summary", ""))
    contents = entry.get("content") or []
    content_html = str(contents[0].get("value", "")) if contents else ""
    content = content_html or summary_html
    if not (title.strip() or content.strip() or link):
        raise ValueError("empty entry")
    uid = str(entry.get("id") or link or "").strip()
    if not uid:
        uid = "sha256:" + hashlib.sha256((title + "\n" + content).encode()).hexdigest()
    text = plain(content)
    name = name_of(title, fallback=clip(text, 80) or UNTITLED)
    lede = plain(summary_html) if content_html and summary_html else text
    obj: dict[str, Any] = {
        "type": "Article",
        "kind": "News",
        "name": name,
        "summary": clip(lede or name, SUMMARY_MAX),
        "content": clip(content.strip(), CONTENT_MAX) or f"<p>{html.escape(name)}</p>",
    }
    if link:
        obj["url"] = link
    parsed_time = entry.get("published_parsed") or entry.get("updated_parsed")
    when = float(calendar.timegm(parsed_time)) if parsed_time else None
    return uid, obj, when


def _is_json(body: bytes, content_type: str) -> bool:
    return "json" in content_type.lower() or body.lstrip()[:1] == b"{"


def json_feed_to_atom(body: bytes) -> bytes:
    """JSON Feed 1.0/1.1 → an equivalent Atom document (feedparser then sanitises it)."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise SourceError(f"not a feed: invalid JSON ({_short(exc)})") from None
    version = doc.get("version") if isinstance(doc, dict) else None
    items = doc.get("items") if isinstance(doc, dict) else None
    if not (isinstance(version, str) and "jsonfeed.org/version/" in version):
        raise SourceError("not a feed: JSON without a JSON Feed 'version'")
    if not isinstance(items, list):
        raise SourceError("not a feed: JSON Feed without 'items'")
    feed = ET.Element("feed", xmlns=ATOM)
    ET.SubElement(feed, "title").text = str(doc.get("title", ""))
    for item in items:
        if not isinstance(item, dict):
            continue
        entry = ET.SubElement(feed, "entry")
        for key, tag in (("id", "id"), ("title", "title")):
            if item.get(key) is not None:
                ET.SubElement(entry, tag).text = str(item[key])
        if isinstance(item.get("url"), str):
            ET.SubElement(entry, "link", href=item["url"], rel="alternate")
        for key, tag in (("date_published", "published"), ("date_modified", "updated")):
            if isinstance(item.get(key), str):
                ET.SubElement(entry, tag).text = item[key]
        if isinstance(item.get("summary"), str):
            ET.SubElement(entry, "summary", type="text").text = item["summary"]
        if isinstance(item.get("content_html"), str):
            ET.SubElement(entry, "content", type="html").text = item["content_html"]
        elif isinstance(item.get("content_text"), str):
            ET.SubElement(entry, "content", type="html").text = text_to_html(item["content_text"])
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _short(exc: Any) -> str:
    text = str(exc).strip().replace("\n", " ") or type(exc).__name__
    return clip(text, 200)
