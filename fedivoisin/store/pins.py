"""Pinned statuses (Mastodon's pin/unpin, ActivityPub's `featured` collection)."""

from __future__ import annotations

from .db import Store
from .mastodon import StatusRow, _status

MAX_PINS = 5


async def pin(store: Store, actor_uri: str, object_uri: str, now: float) -> None:
    await store.execute(
        "INSERT INTO pins (actor_uri, object_uri, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (actor_uri, object_uri) DO NOTHING",
        (actor_uri, object_uri, now),
    )


async def unpin(store: Store, actor_uri: str, object_uri: str) -> None:
    await store.execute(
        "DELETE FROM pins WHERE actor_uri = ? AND object_uri = ?", (actor_uri, object_uri)
    )


async def count(store: Store, actor_uri: str) -> int:
    row = await store.fetchone("SELECT count(*) AS n FROM pins WHERE actor_uri = ?", (actor_uri,))
    return int(row["n"]) if row else 0


async def pinned_rows(store: Store, actor_uri: str) -> list[StatusRow]:
    """The actor's pinned statuses still standing, most recently pinned first."""
    rows = await store.fetchall(
        "SELECT s.* FROM pins p JOIN statuses s ON s.object_uri = p.object_uri"
        " AND coalesce(s.announce_uri, '') = '' JOIN objects o ON o.uri = p.object_uri"
        " WHERE p.actor_uri = ? AND o.deleted IS NULL ORDER BY p.id DESC",
        (actor_uri,),
    )
    return [_status(r) for r in rows]


async def pinned_among(store: Store, actor_uri: str, object_uris: list[str]) -> set[str]:
    if not object_uris:
        return set()
    marks = ", ".join("?" for _ in object_uris)
    rows = await store.fetchall(
        f"SELECT object_uri FROM pins WHERE actor_uri = ? AND object_uri IN ({marks})",
        (actor_uri, *object_uris),
    )
    return {r["object_uri"] for r in rows}
