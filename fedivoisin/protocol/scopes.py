"""OAuth 2.0 scopes, Mastodon's grammar plus ours, as a pure function.

Mastodon clients ask for `read`, `write`, `follow`, `push` or granular `read:statuses`,
`write:media`…; a top-level scope grants every `scope:sub` under it. fedivoisin adds
`moderate`, `webhooks` and `read:indicators` (for a town hall's app). `follow` is
Mastodon's legacy alias for the follow/block/mute reads and writes.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Every scope a legacy CLI token (`fedivoisin token create`) carries: full control of
#: its own actor, as before OAuth apps existed.
LEGACY_TOKEN_SCOPES = frozenset({"read", "write", "follow", "push", "moderate", "webhooks"})

TOP_LEVEL = frozenset(
    {"read", "write", "follow", "push", "moderate", "webhooks", "admin:read", "admin:write"}
)

_FOLLOW_ALIAS = frozenset(
    {"read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes"}
)

#: Our `moderate` scope is the moderation part of Mastodon's admin scopes: the admin API's
#: reports and account actions (not domain blocks, e-mail blocks or the like).
_MODERATE_ALIAS = frozenset(
    {"admin:read:reports", "admin:write:reports", "admin:read:accounts", "admin:write:accounts"}
)


def parse_scopes(text: str | Iterable[str] | None) -> frozenset[str]:
    """'read write:statuses' / 'read,write' / a list → a set; empty means `read`."""
    if text is None:
        return frozenset({"read"})
    items = text.replace(",", " ").split() if isinstance(text, str) else list(text)
    return frozenset(s.strip() for s in items if s.strip()) or frozenset({"read"})


def scope_allows(granted: Iterable[str], needed: str) -> bool:
    """Does a token with `granted` scopes allow an operation needing `needed`?"""
    granted = set(granted)
    if needed in granted:
        return True
    head, sep, _ = needed.rpartition(":")
    # `read` grants `read:statuses`; `admin:read` grants `admin:read:accounts`.
    while sep:
        if head in granted:
            return True
        head, sep, _ = head.rpartition(":")
    if "moderate" in granted and needed in _MODERATE_ALIAS:
        return True
    return "follow" in granted and needed in _FOLLOW_ALIAS


def is_known_scope(scope: str) -> bool:
    """A top-level scope or a granular one under it (`read:statuses`)."""
    return scope in TOP_LEVEL or any(scope.startswith(t + ":") for t in TOP_LEVEL)
