"""Event participations (FEP-8a8e RSVP): who joined which event, and in what state.

Rows for our local events are the organiser's truth (pending → accepted | rejected); rows
for remote events record our residents' own Join, answered by the remote organiser.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .db import Store


@dataclass(frozen=True)
class Participant:
    event_uri: str
    actor_uri: str
    state: str
    join_activity: str | None
    created_at: float


def _row(r: sqlite3.Row) -> Participant:
    return Participant(
        r["event_uri"], r["actor_uri"], r["state"], r["join_activity"], r["created_at"]
    )


async def get(store: Store, event_uri: str, actor_uri: str) -> Participant | None:
    r = await store.fetchone(
        "SELECT * FROM participants WHERE event_uri = ? AND actor_uri = ?", (event_uri, actor_uri)
    )
    return _row(r) if r else None


async def by_join(store: Store, join_activity: str) -> Participant | None:
    r = await store.fetchone(
        "SELECT * FROM participants WHERE join_activity = ? ORDER BY id DESC LIMIT 1",
        (join_activity,),
    )
    return _row(r) if r else None


async def upsert(
    store: Store,
    event_uri: str,
    actor_uri: str,
    state: str,
    join_activity: str | None,
    now: float,
) -> None:
    await store.execute(
        "INSERT INTO participants (event_uri, actor_uri, state, join_activity, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(event_uri, actor_uri) DO UPDATE SET"
        " state = excluded.state,"
        " join_activity = coalesce(excluded.join_activity, participants.join_activity)",
        (event_uri, actor_uri, state, join_activity, now),
    )


async def join_within_capacity(
    store: Store,
    event_uri: str,
    actor_uri: str,
    join_activity: str | None,
    now: float,
    capacity: int | None,
) -> bool:
    """Accept the participant if a place remains (capacity None = unlimited), atomically;
    False when the event is full."""
    async with store.transaction():
        if capacity is not None:
            taken = await count(store, event_uri)
            existing = await get(store, event_uri, actor_uri)
            if taken >= capacity and (existing is None or existing.state != "accepted"):
                return False
        await upsert(store, event_uri, actor_uri, "accepted", join_activity, now)
        return True


async def remove(store: Store, event_uri: str, actor_uri: str) -> Participant | None:
    """Delete the participation; returns what it was."""
    async with store.transaction():
        existing = await get(store, event_uri, actor_uri)
        if existing is not None:
            await store.execute(
                "DELETE FROM participants WHERE event_uri = ? AND actor_uri = ?",
                (event_uri, actor_uri),
            )
        return existing


async def count(store: Store, event_uri: str, state: str = "accepted") -> int:
    r = await store.fetchone(
        "SELECT count(*) AS n FROM participants WHERE event_uri = ? AND state = ?",
        (event_uri, state),
    )
    return int(r["n"]) if r else 0


async def actors(
    store: Store, event_uri: str, *, states: tuple[str, ...] = ("accepted",), limit: int = 1000
) -> list[str]:
    marks = ", ".join("?" for _ in states)
    rows = await store.fetchall(
        f"SELECT actor_uri FROM participants WHERE event_uri = ? AND state IN ({marks})"
        " ORDER BY id LIMIT ?",
        (event_uri, *states, limit),
    )
    return [r["actor_uri"] for r in rows]
