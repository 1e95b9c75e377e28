"""Content versions and write-maintained counters (migration 050).

A scope's version is bumped by triggers whenever what a public representation of it shows
changes (objects of a community or a local author, a local actor's activities, follows,
members, the actor row itself). Cached answers (web/render_cache.py) are keyed by it: one
small primary-key read per request, shared by every process on the same database.
"""

from __future__ import annotations

from collections.abc import Sequence

from .db import Store


async def read(store: Store, scopes: Sequence[str]) -> tuple[int, float]:
    """(sum of the scopes' versions, latest change time). Each version only grows, so the
    sum grows whenever any of them does; 0 and 0.0 for scopes never written."""
    if len(scopes) == 1:
        r = await store.fetchone(
            "SELECT version, changed_at FROM content_versions WHERE scope = ?", (scopes[0],)
        )
        return (int(r[0]), float(r[1])) if r else (0, 0.0)
    marks = ", ".join("?" for _ in scopes)
    r = await store.fetchone(
        "SELECT coalesce(sum(version), 0), coalesce(max(changed_at), 0.0)"
        f" FROM content_versions WHERE scope IN ({marks})",
        tuple(scopes),
    )
    return (int(r[0]), float(r[1])) if r else (0, 0.0)


async def counter(store: Store, scope: str, name: str) -> int:
    """A total kept by the triggers (outbox, outbox_public, inbox, followers, following)."""
    r = await store.fetchone("SELECT n FROM counters WHERE scope = ? AND name = ?", (scope, name))
    return max(int(r[0]), 0) if r else 0
