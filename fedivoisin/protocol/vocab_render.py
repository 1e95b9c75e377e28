"""Make every kind a complete, readable post in Mastodon (VOCABULARY.md §0.4, §3, §4).

Why: Mastodon ignores every extension term and shows an Event or Article as name +
summary + link only, and a Note as content only. So the date and place go into an event's
``summary``, the title into a Note's ``content``, "EXERCICE" into the CW of a drill alert,
and "ANNULÉ –" in front of a cancelled event's name. French, plain text where shown raw.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from functools import cache
from html import escape
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fedivoisin.protocol.vocab_models import Place
from fedivoisin.protocol.vocab_parse import parse_place
from fedivoisin.protocol.vocab_values import as_datetime, as_list, lang_text

__all__ = [
    "CANCELLED_PREFIX",
    "EXERCISE_SUMMARY",
    "alert_content_html",
    "complete_for_mastodon",
    "french_when",
    "mastodon_summary_for_event",
    "place_text",
]

CANCELLED_PREFIX: Final = "ANNULÉ – "
EXERCISE_SUMMARY: Final = "EXERCICE"
_WEEKDAYS: Final = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS: Final = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_PROPOSAL_ICONS: Final = {"offer": "🤝", "request": "🙋"}


@cache
def _zone(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _local(value: datetime, tz: tzinfo | None) -> datetime:
    return value.astimezone(tz) if tz is not None else value


def _hour(value: datetime) -> str:
    return f"{value.hour}h" if value.minute == 0 else f"{value.hour}h{value.minute:02d}"


def _day(value: datetime, *, short: bool, year: bool) -> str:
    weekday = _WEEKDAYS[value.weekday()]
    weekday = f"{weekday[:3]}." if short else weekday
    day = "1er" if value.day == 1 else str(value.day)
    text = f"{weekday} {day} {_MONTHS[value.month - 1]}"
    return f"{text} {value.year}" if year else text


def french_when(
    start: datetime, end: datetime | None, tz: tzinfo | None = None, *, short: bool = True
) -> str:
    """``Ven. 30 mai 2025, 19h–23h``; a multi-day range names both days.

    ``short=False`` gives the alert style without year: ``Mardi 10 juin 8h–12h``.
    """
    s = _local(start, tz)
    head = _day(s, short=short, year=short)
    head = head[:1].upper() + head[1:]
    sep = ", " if short else " "
    if end is None:
        return f"{head}{sep}{_hour(s)}"
    e = _local(end, tz)
    if e.date() == s.date():
        return f"{head}{sep}{_hour(s)}–{_hour(e)}"
    tail = _day(e, short=short, year=short and e.year != s.year)
    return f"{head}{sep}{_hour(s)} – {tail}{sep}{_hour(e)}"


def place_text(place: Place | None) -> str:
    """``Cour, 12 rue des Lilas, Lyon``: name, street and town, without repeats."""
    if place is None:
        return ""
    address = place.address
    candidates = [place.name]
    if address is not None:
        candidates += [address.street_address, address.locality, address.text]
    parts: list[str] = []
    for part in candidates:
        if part and not any(part.lower() in kept.lower() for kept in parts):
            parts.append(part.strip())
    return ", ".join(parts)


def mastodon_summary_for_event(obj: Mapping[str, Any]) -> str:
    """Plain-text date and place in the event's own time zone (Mastodon shows only this)."""
    start = as_datetime(obj.get("startTime"))
    end = as_datetime(obj.get("endTime"))
    tz_name = obj.get("timezone")
    tz = _zone(tz_name) if isinstance(tz_name, str) and tz_name else None
    location = next((p for p in as_list(obj.get("location")) if isinstance(p, Mapping)), None)
    where = place_text(parse_place(location)) if location is not None else ""
    when = french_when(start, end, tz) if start is not None else ""
    return " · ".join(part for part in (when, where) if part)


_SEVERITY_FR: Final = {
    "Extreme": "extrême",
    "Severe": "grave",
    "Moderate": "modérée",
    "Minor": "mineure",
}


def _where(obj: Mapping[str, Any]) -> str:
    location = next((p for p in as_list(obj.get("location")) if isinstance(p, Mapping)), None)
    return place_text(parse_place(location)) if location is not None else ""


def _place_in_content(out: dict[str, Any]) -> None:
    """A report's place, which Mastodon would drop with `location`, as a content line."""
    where = _where(out)
    content = out.get("content") if isinstance(out.get("content"), str) else ""
    if where and escape(where, quote=False) not in content:
        out["content"] = f"{content}<p>📍 {escape(where, quote=False)}</p>"
        out.pop("contentMap", None)


def _is_exercise(obj: Mapping[str, Any]) -> bool:
    return obj.get("alertStatus") in ("Exercise", "Test")


def alert_content_html(obj: Mapping[str, Any]) -> str:
    """Headline, when, description (the given ``content``), instruction and source as HTML."""
    name = obj.get("name") if isinstance(obj.get("name"), str) else ""
    icon = "🚨" if obj.get("severity") in ("Extreme", "Severe") else "⚠️"
    label = f"{EXERCISE_SUMMARY} – " if _is_exercise(obj) else ""
    parts = [f"<p>{icon} <strong>{escape(label + name, quote=False)}</strong></p>"]
    start = as_datetime(obj.get("startTime"))
    if start is not None:
        tz_name = obj.get("timezone")
        tz = _zone(tz_name) if isinstance(tz_name, str) and tz_name else None
        when = french_when(start, as_datetime(obj.get("endTime")), tz, short=False)
        parts.append(f"<p>{escape(when, quote=False)}.</p>")
    facts = [f"📍 {where}" for where in [_where(obj)] if where]
    severity = _SEVERITY_FR.get(str(obj.get("severity")))
    if severity:
        facts.append(f"Gravité : {severity}")
    if facts:  # Mastodon shows no CAP term nor location: say them (issue 15 item 3)
        parts.append(f"<p>{escape(' · '.join(facts), quote=False)}</p>")
    description, _ = lang_text(obj, "content")
    if description:
        parts.append(description)
    instruction = obj.get("instruction")
    if isinstance(instruction, str) and instruction and instruction not in (description or ""):
        parts.append(f"<p>👉 {escape(instruction, quote=False)}</p>")
    sender = obj.get("senderName")
    if isinstance(sender, str) and sender:
        parts.append(f"<p>Source : {escape(sender, quote=False)}</p>")
    return "".join(parts)


def _with_language(out: dict[str, Any], lang: str | None) -> None:
    """``content`` and ``contentMap`` both, so Mastodon detects the language (French by
    default) and servers reading only one of them still get the text."""
    content, found = lang_text(out, "content")
    if content is None:
        return
    out["content"] = content
    mapped = out.get("contentMap")
    if not isinstance(mapped, Mapping) or not mapped:
        out["contentMap"] = {lang or "fr": content}
    elif found is None:
        out["contentMap"] = {**mapped, (lang or "fr"): content}


def _title_in_content(out: dict[str, Any], icon: str) -> None:
    name = out.get("name")
    content = out.get("content") if isinstance(out.get("content"), str) else ""
    if isinstance(name, str) and name and escape(name, quote=False) not in content:
        out["content"] = f"<p>{icon}<strong>{escape(name, quote=False)}</strong></p>{content}"
        out.pop("contentMap", None)


def _complete_event(out: dict[str, Any]) -> None:
    cancelled = out.get("eventStatus") == "EventCancelled" or out.get("status") == "CANCELLED"
    if cancelled:
        out["eventStatus"] = "EventCancelled"
        out["status"] = "CANCELLED"
        name = out.get("name")
        if isinstance(name, str) and not name.startswith(CANCELLED_PREFIX):
            out["name"] = CANCELLED_PREFIX + name
    summary = mastodon_summary_for_event(out)
    if summary:
        out["summary"] = summary


def _complete_alert(out: dict[str, Any]) -> None:
    name = out.get("name")
    content = out.get("content") if isinstance(out.get("content"), str) else ""
    if isinstance(name, str) and escape(name, quote=False) not in content:
        out["content"] = alert_content_html(out)
        out.pop("contentMap", None)
    if _is_exercise(out):
        out["summary"] = EXERCISE_SUMMARY


def complete_for_mastodon(kind: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``obj`` whose plain AS2 fields alone make a readable post.

    Idempotent: completing twice gives the same object. ``kind`` as for validate_local.
    """
    out = dict(obj)
    _, lang = lang_text(obj, "content")
    if kind == "event":
        _complete_event(out)
    elif kind in ("proposal", "offer", "request"):
        icon = _PROPOSAL_ICONS.get(str(out.get("purpose")))
        _title_in_content(out, f"{icon} " if icon else "")
    elif kind == "alert":
        _complete_alert(out)
    elif kind == "report" or (kind == "news" and out.get("type") == "Note"):
        _title_in_content(out, "")
        if kind == "report":
            _place_in_content(out)
    _with_language(out, lang)
    return out
