"""What a page shows of a stored object, as plain values: pure functions, no I/O.

Views (views.py) fetch rows and decide visibility; these functions turn one object into a
dict the templates read. Dates stay `datetime`s (the template formats them per locale, in
the event's zone); text is plain (stored HTML is never rendered as HTML: it comes from
other servers and would need a sanitiser; paragraphs are kept).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from ...protocol.vocab import ParsedObject, Place, parse_object
from ...protocol.vocab_render import place_text
from ...store.activities import StoredObject
from ..routes.feeds import plain_text

SEVERITY_RANK = {"Extreme": 0, "Severe": 1, "Moderate": 2, "Minor": 3, "Unknown": 4}


def paragraphs(html: str | None) -> list[str]:
    return [line for line in plain_text(html).splitlines() if line.strip()]


def _bare(text: str) -> str:
    """Text without the leading symbol our Mastodon rendering adds (📦, ⚠️…)."""
    i = 0
    while i < len(text) and not text[i].isalnum():
        i += 1
    return text[i:].strip().lower()


def without_repeats(lines: list[str], *shown: str | None) -> list[str]:
    """Drop the lines that repeat what the page already shows (the title, the instruction:
    the content carries them for Mastodon, which shows nothing else)."""
    known = {_bare(s) for s in shown if s}
    return [line for line in lines if _bare(line) not in known]


def osm_link(place: Place | None) -> str | None:
    """An OpenStreetMap link: the point when we have coordinates, else an address search."""
    if place is None:
        return None
    if place.latitude is not None and place.longitude is not None:
        lat, lon = f"{place.latitude:.5f}", f"{place.longitude:.5f}"
        return f"https://www.openstreetmap.org/?{urlencode({'mlat': lat, 'mlon': lon})}#map=18/{lat}/{lon}"
    text = address_text(place) or place.name
    if not text:
        return None
    return "https://www.openstreetmap.org/search?query=" + quote(text)


def address_text(place: Place | None) -> str:
    if place is None or place.address is None:
        return ""
    a = place.address
    if a.text:
        return a.text
    town = " ".join(p for p in (a.postal_code, a.locality) if p)
    return ", ".join(p for p in (a.street_address, town, a.country) if p)


def title_of(parsed: ParsedObject) -> str:
    if parsed.name:
        return plain_text(parsed.name)
    if parsed.alert is not None and parsed.alert.headline:
        return parsed.alert.headline
    text = plain_text(parsed.content)
    first = text.splitlines()[0] if text else ""
    return (first[:79] + "…") if len(first) > 80 else first


def _dt(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


_PARSED: OrderedDict[bytes, ParsedObject] = OrderedDict()
PARSED_CACHE = 4096


def parsed_of(stored: StoredObject) -> ParsedObject:
    """parse_object of a stored document, remembered by a digest of the document itself
    (any change, even within one clock tick, is a new key): a community page shows the
    same few dozen objects to every visitor, and parsing is most of its cost.
    ParsedObject is immutable, so sharing it is safe."""
    key = hashlib.blake2b(orjson.dumps(stored.document), digest_size=16).digest()
    found = _PARSED.get(key)
    if found is None:
        found = _PARSED[key] = parse_object(stored.document)
        if len(_PARSED) > PARSED_CACHE:
            _PARSED.popitem(last=False)
    else:
        _PARSED.move_to_end(key)
    return found


def card(stored: StoredObject, now: float, *, participants: int | None = None) -> dict[str, Any]:
    """One object as the templates show it, in lists and on its own page."""
    parsed = parsed_of(stored)
    place = parsed.location
    out: dict[str, Any] = {
        "uri": stored.uri,
        "url": stored.uri,  # the same URL: browsers get the page, servers the AS2 document
        "kind": stored.kind,
        "type": stored.type,
        "title": title_of(parsed),
        "summary": plain_text(parsed.summary),
        "paragraphs": paragraphs(parsed.content),
        "published": datetime.fromtimestamp(stored.published, UTC),
        "author": stored.attributed_to,
        "public": stored.public,
        "place": None,
        "tz": None,
    }
    if parsed.event is not None:
        ev = parsed.event
        place = ev.location or place
        taken = participants if participants is not None else (ev.participant_count or 0)
        out.update(
            start=_dt(ev.start),
            end=_dt(ev.end),
            tz=ev.timezone or "UTC",
            capacity=ev.capacity,
            participants=taken,
            places_left=None if ev.capacity is None else max(ev.capacity - taken, 0),
            join_mode=(ev.join_mode or "free").lower(),
            cancelled=ev.cancelled,
            status=ev.event_status,
        )
    if parsed.proposal is not None:
        pr = parsed.proposal
        out.update(
            purpose=pr.purpose or "offer",
            action=pr.action,
            resource=pr.resource,
            status=pr.status,
            expires=_dt(pr.expires),
        )
    if parsed.alert is not None:
        al = parsed.alert
        place = al.area or place
        expires = _dt(al.expires)
        out.update(
            severity=al.severity or "Unknown",
            urgency=al.urgency,
            headline=al.headline,
            instruction=plain_text(al.instruction),
            categories=list(al.categories),
            exercise=al.is_exercise,
            expires=expires,
            expired=expires is not None and expires.timestamp() <= now,
            cancelled=al.msg_type == "Cancel",
        )
    if parsed.poll is not None:
        po = parsed.poll
        nowdt = datetime.fromtimestamp(now, UTC)
        out.update(
            options=[{"name": o.name, "votes": o.votes or 0} for o in po.options],
            multiple=po.multiple,
            closes=_dt(po.end_time),
            closed=po.is_closed(nowdt),
            voters=po.voters_count,
        )
    if parsed.report is not None:
        rp = parsed.report
        out.update(
            category=rp.service_name or rp.service_code,
            status=rp.report_status or "open",
        )
    out["paragraphs"] = without_repeats(out["paragraphs"], out["title"], out.get("instruction"))
    if parsed.event is not None:
        out["summary"] = ""  # the date and place line written for Mastodon: shown as facts
    if place is not None:
        out["place"] = {
            "name": place.name,
            "text": place_text(place),
            "address": address_text(place),
            "osm": osm_link(place),
        }
    return out


def alerts_first(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Active alerts, the most severe first (CAP severity order), then newest."""
    return sorted(
        cards,
        key=lambda c: (
            SEVERITY_RANK.get(c.get("severity", "Unknown"), 4),
            -c["published"].timestamp(),
        ),
    )
