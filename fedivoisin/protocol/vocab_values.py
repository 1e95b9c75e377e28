"""Tolerant readers for the value shapes peers really send.

Why: AS2 lets almost any property be a scalar, a list, an object or a link, and servers
use all of them (Kroeg's scalar ``to``, Pixelfed's string latitudes, Fedify's nanosecond
timestamps, GoToSocial's scalar ``tag``). Every reader returns None or an empty tuple
instead of raising, so a single odd field never loses the whole object.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "as_bool",
    "as_datetime",
    "as_float",
    "as_int",
    "as_list",
    "first_id",
    "first_str",
    "ids",
    "lang_text",
    "local_name",
    "url_of",
]

_FRACTION = re.compile(r"(\.\d{6})\d+")
_PREFERRED_LANGS = ("fr", "und")


def as_list(value: Any) -> list[Any]:
    """``None`` -> [], scalar -> [scalar], list -> list (AS2 functional/non-functional)."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def first_str(value: Any) -> str | None:
    """First non-empty string of a scalar-or-list value."""
    for item in as_list(value):
        if isinstance(item, str) and item:
            return item
    return None


def first_id(value: Any) -> str | None:
    """First reference: a string id, or the ``id``/``href`` of an embedded object."""
    for item in as_list(value):
        found = ref(item)
        if found:
            return found
    return None


def ids(value: Any) -> tuple[str, ...]:
    """All references of a scalar-or-list addressing value (``to``, ``cc``, ``audience``)."""
    return tuple(r for r in (ref(item) for item in as_list(value)) if r)


def ref(item: Any) -> str | None:
    """The id of a reference: a string, or the ``id``/``href`` of an embedded object."""
    if isinstance(item, str):
        return item or None
    if isinstance(item, Mapping):
        for key in ("id", "href"):
            ref = item.get(key)
            if isinstance(ref, str) and ref:
                return ref
    return None


def url_of(value: Any) -> str | None:
    """The HTML page of ``url``: a string, a Link, or a list (text/html preferred)."""
    fallback: str | None = None
    for item in as_list(value):
        if isinstance(item, str) and item:
            return item
        if isinstance(item, Mapping):
            href = item.get("href")
            if not isinstance(href, str) or not href:
                continue
            if item.get("mediaType") in (None, "text/html"):
                return href
            fallback = fallback or href
    return fallback


def lang_text(obj: Mapping[str, Any], key: str) -> tuple[str | None, str | None]:
    """(text, language) of ``key``, else of ``keyMap`` (French, then ``und``, then first).

    Mastodon and GoToSocial send both; some servers send only ``contentMap``.
    """
    direct = obj.get(key)
    text = direct if isinstance(direct, str) else None
    mapped = obj.get(f"{key}Map")
    entries = (
        [(k, v) for k, v in mapped.items() if isinstance(k, str) and isinstance(v, str)]
        if isinstance(mapped, Mapping)
        else []
    )
    if not entries:
        return text, None
    if text is not None:
        return text, next((k for k, v in entries if v == text), None)
    for lang in _PREFERRED_LANGS:
        for k, v in entries:
            if k.lower() == lang:
                return v, k
    return entries[0][1], entries[0][0]


def as_datetime(value: Any) -> datetime | None:
    """Aware datetime from an ISO 8601 string; naive times are taken as UTC."""
    text = first_str(value)
    if text is None or len(text) > 64:
        return None
    text = text.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", text.replace("z", "Z")))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def as_float(value: Any) -> float | None:
    """Finite float from a number or numeric string (Pixelfed sends ``"45.75"``)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_int(value: Any) -> int | None:
    """Integer from an int, an integral float or a digit string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    number = as_float(value)
    if number is None or not number.is_integer() or abs(number) > 2**53:
        return None
    return int(number)


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def local_name(value: str) -> str:
    """``vf:transfer``, ``https://…/vf#transfer``, ``ValueFlows:Intent`` -> the last part."""
    for sep in ("#", "/", ":"):
        if sep in value:
            value = value.rsplit(sep, 1)[1]
    return value
