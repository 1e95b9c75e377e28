"""Mastodon's rules for turning an incoming ActivityPub object into a status, as a pure
function, so tests can assert what a Mastodon user sees of each kind we send.

Read from mastodon/mastodon (see docs/federation.md, "What Mastodon shows"):
- `app/lib/activitypub/activity.rb`: `SUPPORTED_TYPES = %w(Note Question)`,
  `CONVERTED_TYPES = %w(Image Audio Video Article Page Event)`; anything else is dropped.
- `app/lib/activitypub/activity/create.rb`: a converted type's text is its title, its
  summary and a link to its `url` (or `id`), with no content warning and without
  `content`; a supported type's text is `content` and its `summary` the content warning.
- `app/lib/activitypub/parser/status_parser.rb`: `content` else the first `contentMap`
  value; `summary` else the first `summaryMap` value; `name` else the first `nameMap` value;
  `url_to_href(url, 'text/html')`.
- `app/lib/activitypub/parser/poll_parser.rb`: a poll is a `Question` whose `oneOf`
  (single choice) or `anyOf` (multiple) is an array; option labels are `name` (else
  `content`); it closes at `closed` or `endTime` (a poll without either is not shown as one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import unescape
from typing import Any

SUPPORTED_TYPES = frozenset({"Note", "Question"})
CONVERTED_TYPES = frozenset({"Image", "Audio", "Video", "Article", "Page", "Event"})


@dataclass(frozen=True)
class Status:
    text: str  # plain text the user reads
    spoiler_text: str  # content warning shown in front of it
    poll_options: tuple[str, ...]
    poll_multiple: bool
    poll_expires_at: str | None


def _first(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if isinstance(value, str) and value.strip():
        return value
    mapped = obj.get(key + "Map")
    if isinstance(mapped, Mapping) and mapped:
        first = next(iter(mapped.values()))
        return first if isinstance(first, str) else ""
    return ""


def _types(obj: Mapping[str, Any]) -> set[str]:
    t = obj.get("type")
    return {t} if isinstance(t, str) else {x for x in t or [] if isinstance(x, str)}


def _url(obj: Mapping[str, Any]) -> str:
    url = obj.get("url")
    if isinstance(url, str):
        return url
    for link in url if isinstance(url, list) else [url] if isinstance(url, dict) else []:
        if isinstance(link, dict) and link.get("mediaType", "text/html") == "text/html":
            return str(link.get("href", ""))
    return str(obj.get("id", ""))


def plain(html: str) -> str:
    text = re.sub(r"<br\s*/?>|</p>", "\n", html)
    return unescape(re.sub(r"<[^>]+>", "", text)).strip()


def mastodon_status(obj: Mapping[str, Any]) -> Status | None:
    """What Mastodon makes of `obj` (None: it drops it)."""
    types = _types(obj)
    if types & CONVERTED_TYPES and not types & SUPPORTED_TYPES:
        parts = [p for p in (_first(obj, "name"), _first(obj, "summary"), _url(obj)) if p]
        return Status("\n\n".join(plain(p) for p in parts), "", (), False, None)
    if not types & SUPPORTED_TYPES:
        return None
    options: tuple[str, ...] = ()
    multiple = False
    expires = None
    if "Question" in types:
        items = obj.get("anyOf") if isinstance(obj.get("anyOf"), list) else obj.get("oneOf")
        closes = obj.get("closed") if isinstance(obj.get("closed"), str) else obj.get("endTime")
        if isinstance(items, list) and isinstance(closes, str):
            multiple = isinstance(obj.get("anyOf"), list)
            options = tuple(
                str(i.get("name") or i.get("content") or "") for i in items if isinstance(i, dict)
            )
            expires = closes
    return Status(
        plain(_first(obj, "content")), plain(_first(obj, "summary")), options, multiple, expires
    )
