"""Mastodon API entities built from our objects and actors: pure functions, no I/O.

The shapes follow docs.joinmastodon.org/entities; every field Mastodon.py's typed models
and masto.js declare as required is present (the acceptance tests check that).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ...protocol.addressing import PUBLIC, as_list, ref
from ...protocol.addressing import addressees as addressees_of
from ...protocol.vocab import parse_object
from .text import card, fallback_content, spoiler_text, strip_html

EPOCH_ISO = "1970-01-01T00:00:00.000Z"


def iso(ts: float | None) -> str:
    if ts is None:
        return EPOCH_ISO
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{int((ts % 1) * 1000):03d}Z"
    )


def iso_of(value: Any) -> str | None:
    """An AS2 xsd:dateTime as Mastodon's ISO 8601 with milliseconds and Z."""
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return iso(dt.timestamp())


@dataclass(frozen=True)
class AccountInfo:
    """What the account entity needs, gathered by `present` for local and remote actors."""

    id: int
    uri: str
    username: str
    acct: str
    display_name: str
    note: str
    url: str
    type: str
    locked: bool
    created_at: float
    followers_count: int = 0
    following_count: int = 0
    statuses_count: int = 0
    last_status_at: float | None = None
    avatar: str = ""
    header: str = ""
    fields: list[dict[str, Any]] = field(default_factory=list)


def account(a: AccountInfo, *, source: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(a.id),
        "username": a.username,
        "acct": a.acct,
        "display_name": a.display_name,
        "locked": a.locked,
        "bot": a.type in ("Service", "Application"),
        "discoverable": True,
        "indexable": False,
        "group": a.type == "Group",
        "created_at": iso(a.created_at - a.created_at % 86400),
        "note": a.note,
        "url": a.url,
        "uri": a.uri,
        "avatar": a.avatar,
        "avatar_static": a.avatar,
        "avatar_description": "",
        "header": a.header,
        "header_static": a.header,
        "header_description": "",
        "followers_count": a.followers_count,
        "following_count": a.following_count,
        "statuses_count": a.statuses_count,
        # A day, as Mastodon gives it; the creation day before any status (masto.js
        # declares it non-null).
        "last_status_at": iso(a.last_status_at or a.created_at)[:10],
        "hide_collections": False,
        "noindex": False,
        "emojis": [],
        "roles": [],
        "fields": a.fields,
        "show_media": True,
        "show_media_replies": True,
        "show_featured": True,
        "feature_approval": {
            "automatic": [],
            "manual": [],
            "current_user": "missing",
        },
    }
    if source:
        out["source"] = {
            "privacy": "public",
            "sensitive": False,
            "language": "fr",
            "note": strip_html(a.note),
            "fields": a.fields,
            "follow_requests_count": 0,
            "hide_collections": False,
            "discoverable": True,
            "indexable": False,
            "attribution_domains": [],
        }
        out["role"] = {
            "id": "-99",
            "name": "",
            "permissions": "0",
            "color": "",
            "highlighted": False,
        }
    return out


def visibility(addressed: list[str], to: list[str], followers: str | None) -> str:
    """Mastodon's four visibilities read back from our addressing."""
    if PUBLIC in to:
        return "public"
    if PUBLIC in addressed:
        return "unlisted"
    if any(u.endswith(("/followers", "/members")) for u in addressed) or (
        followers and followers in addressed
    ):
        return "private"
    return "direct"


def addressing_for(
    vis: str, followers: str, mentioned: list[str], community: str | None
) -> dict[str, list[str]]:
    """Our addressing for a Mastodon visibility (docs/mastodon-api.md "Visibility")."""
    extra = [community] if community else []
    if vis == "public":
        return {"to": [PUBLIC], "cc": [followers, *extra, *mentioned]}
    if vis == "unlisted":
        return {"to": [followers, *extra], "cc": [PUBLIC, *mentioned]}
    if vis == "private":
        return {"to": [followers, *extra], "cc": list(mentioned)}
    return {"to": list(mentioned), "cc": []}


def poll(
    doc: dict[str, Any],
    *,
    id_: int,
    tally: dict[str, int],
    voters: int,
    own: list[int] | None,
    now: float,
) -> dict[str, Any] | None:
    parsed = parse_object(doc).poll
    if parsed is None or not parsed.options:
        return None
    end = parsed.end_time.timestamp() if parsed.end_time else None
    expired = parsed.closed or (end is not None and end <= now)
    options = [
        {"title": o.name, "votes_count": tally.get(o.name, o.votes or 0)} for o in parsed.options
    ]
    return {
        "id": str(id_),
        "expires_at": iso(end) if end is not None else None,
        "expired": expired,
        "multiple": parsed.multiple,
        "votes_count": sum(o["votes_count"] for o in options),
        "voters_count": voters,
        "voted": bool(own),
        "own_votes": own or [],
        "options": options,
        "emojis": [],
    }


def media_attachments(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for i, att in enumerate(as_list(doc.get("attachment"))):
        if not isinstance(att, dict):
            continue
        url = ref(att.get("url")) if not isinstance(att.get("url"), str) else att["url"]
        if not url:
            continue
        media_type = str(att.get("mediaType") or "")
        meta: dict[str, Any] = {}
        if isinstance(att.get("width"), int) and isinstance(att.get("height"), int):
            w, h = att["width"], att["height"]
            meta = {"original": {"width": w, "height": h, "size": f"{w}x{h}", "aspect": w / h}}
        out.append(
            {
                "id": str(int.from_bytes(url.encode()[-6:], "big") % 10**12 + i),
                "type": "image" if media_type.startswith("image/") else "unknown",
                "url": url,
                "preview_url": url,
                "remote_url": None,
                "preview_remote_url": None,
                "text_url": None,
                "meta": meta,
                "description": att.get("name") if isinstance(att.get("name"), str) else None,
                "blurhash": att.get("blurhash") if isinstance(att.get("blurhash"), str) else None,
            }
        )
    return out


def hashtags(doc: dict[str, Any], tag_url: str) -> list[dict[str, Any]]:
    out = []
    for t in as_list(doc.get("tag")):
        if isinstance(t, dict) and t.get("type") == "Hashtag" and isinstance(t.get("name"), str):
            name = t["name"].lstrip("#")
            out.append({"name": name, "url": tag_url + name.lower()})
    return out


def mention_tags(doc: dict[str, Any]) -> list[str]:
    return [
        str(t["href"])
        for t in as_list(doc.get("tag"))
        if isinstance(t, dict) and t.get("type") == "Mention" and isinstance(t.get("href"), str)
    ]


def status(
    *,
    id_: int,
    doc: dict[str, Any],
    kind: str,
    account_: dict[str, Any],
    created_at: float,
    followers: str | None,
    counts: tuple[int, int, int],
    favourited: bool,
    reblogged: bool,
    in_reply_to_id: int | None,
    in_reply_to_account_id: int | None,
    mentions: list[dict[str, Any]],
    poll_: dict[str, Any] | None,
    tag_url: str,
    edited: bool,
) -> dict[str, Any]:
    addressed = addressees_of(doc)
    to = [PUBLIC if u in ("as:Public", "Public") else u for u in as_list(doc.get("to"))]
    language = None
    cmap = doc.get("contentMap")
    if isinstance(cmap, dict) and cmap:
        language = next(iter(cmap))
    url = doc.get("url") if isinstance(doc.get("url"), str) else doc.get("id")
    return {
        "id": str(id_),
        "uri": doc.get("id"),
        "url": url,
        "created_at": iso_of(doc.get("published")) or iso(created_at),
        "edited_at": iso_of(doc.get("updated")) if edited else None,
        "account": account_,
        "content": fallback_content(doc, kind),
        "visibility": visibility(addressed, [ref(u) or "" for u in to], followers),
        "sensitive": bool(doc.get("sensitive")) or bool(spoiler_text(doc, kind)),
        "spoiler_text": spoiler_text(doc, kind),
        "media_attachments": media_attachments(doc),
        "application": {"name": "fedivoisin", "website": None},
        "mentions": mentions,
        "tags": hashtags(doc, tag_url),
        "emojis": [],
        "reblogs_count": counts[1],
        "favourites_count": counts[2],
        "replies_count": counts[0],
        "quotes_count": 0,
        "tagged_collections": [],
        "in_reply_to_id": str(in_reply_to_id) if in_reply_to_id else None,
        "in_reply_to_account_id": str(in_reply_to_account_id) if in_reply_to_account_id else None,
        "reblog": None,
        "poll": poll_,
        "card": card(doc, kind),
        "language": language,
        "text": None,
        "favourited": favourited,
        "reblogged": reblogged,
        "muted": False,
        "bookmarked": False,
        "pinned": False,
        "filtered": [],
        "quote": None,
    }


def reblog_wrapper(
    *, id_: int, original: dict[str, Any], account_: dict[str, Any], created_at: float, uri: str
) -> dict[str, Any]:
    return {
        **original,
        "id": str(id_),
        "uri": uri,
        "url": None,
        "account": account_,
        "created_at": iso(created_at),
        "reblog": original,
        "content": "",
        "spoiler_text": "",
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "poll": None,
        "card": None,
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "edited_at": None,
    }


def relationship(
    id_: int,
    *,
    following: bool,
    requested: bool,
    followed_by: bool,
    requested_by: bool,
    blocking: bool,
    blocked_by: bool,
    muting: bool,
) -> dict[str, Any]:
    return {
        "id": str(id_),
        "following": following,
        "showing_reblogs": following,
        "notifying": False,
        "languages": [],
        "followed_by": followed_by,
        "blocking": blocking,
        "blocked_by": blocked_by,
        "muting": muting,
        "muting_notifications": muting,
        "requested": requested,
        "requested_by": requested_by,
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }
