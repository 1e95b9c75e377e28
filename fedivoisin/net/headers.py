"""Pure header parsing for the client: media types and Retry-After."""

from __future__ import annotations

import re
from datetime import UTC
from email.utils import parsedate_to_datetime

AS2_PROFILE = "https://www.w3.org/ns/activitystreams"
AS2_ACCEPT = f'application/activity+json, application/ld+json; profile="{AS2_PROFILE}"'
JSON_ACCEPT = "application/jrd+json, application/json"

# WebFinger (jrd+json) and NodeInfo (json) documents are plain JSON; only get_json
# accepts these, and never for documents that claim to be ActivityStreams.
_LENIENT_TYPES = frozenset(
    {"application/activity+json", "application/ld+json", "application/json", "application/jrd+json"}
)
_PARAM = re.compile(r';\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)', re.ASCII)


def parse_media_type(value: str) -> tuple[str, dict[str, str]]:
    """Split `type/subtype; k=v; k="quoted"` into a lower-case type and its parameters."""
    mime, sep, rest = value.partition(";")
    params: dict[str, str] = {}
    for m in _PARAM.finditer(sep + rest):
        raw = m.group(2).strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params.setdefault(m.group(1).lower(), raw)
    return mime.strip().lower(), params


def is_activity_media_type(value: str | None, *, lenient_json: bool = False) -> bool:
    """SECURITY.md rule 2 (Mastodon `valid_activitypub_content_type?`).

    `application/activity+json`, or `application/ld+json` whose `profile` (a space-
    separated list) names ActivityStreams. With `lenient_json`, plain JSON types too.
    """
    if not value:
        return False
    mime, params = parse_media_type(value)
    if mime == "application/activity+json":
        return True
    if mime == "application/ld+json" and AS2_PROFILE in params.get("profile", "").split():
        return True
    return lenient_json and mime in _LENIENT_TYPES


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """`Retry-After` as seconds from `now`: delta-seconds or an HTTP-date; None if absent
    or unparseable; never negative. Capping is the retry policy's business."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; "-0000" parses as naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)
