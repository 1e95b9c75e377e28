"""The durable inbox queue: a row per received activity, written before the 202.

The UNIQUE activity id makes redelivery idempotent; the worker claims pending rows, so a
crash between 202 and processing loses nothing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .db import Store


@dataclass(frozen=True)
class Received:
    id: int
    activity_uri: str
    signer: str
    actor_uri: str
    recipient: str | None
    body: bytes
    attempts: int


def _row(r: sqlite3.Row) -> Received:
    return Received(
        r["id"],
        r["activity_uri"],
        r["signer"],
        r["actor_uri"],
        r["recipient"],
        bytes(r["body"]),
        r["attempts"],
    )


async def enqueue(
    store: Store,
    *,
    activity_uri: str,
    signer: str,
    actor_uri: str,
    recipient: str | None,
    body: bytes,
    now: float,
) -> bool:
    n = await store.execute(
        "INSERT OR IGNORE INTO received"
        " (activity_uri, signer, actor_uri, recipient, body, received_at, next_try)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (activity_uri, signer, actor_uri, recipient, body, now, now),
    )
    return n > 0


async def due(store: Store, now: float, limit: int = 50) -> list[Received]:
    rows = await store.fetchall(
        "SELECT * FROM received WHERE state = 'pending' AND next_try <= ? ORDER BY id LIMIT ?",
        (now, limit),
    )
    return [_row(r) for r in rows]


async def mark_done(store: Store, row_id: int) -> None:
    await store.execute("UPDATE received SET state = 'done', body = x'' WHERE id = ?", (row_id,))


async def mark_retry(store: Store, row_id: int, error: str, next_try: float, give_up: bool) -> None:
    await store.execute(
        "UPDATE received SET attempts = attempts + 1, error = ?, next_try = ?,"
        " state = CASE WHEN ? THEN 'failed' ELSE state END WHERE id = ?",
        (error[:500], next_try, int(give_up), row_id),
    )


async def counts(store: Store) -> dict[str, int]:
    rows = await store.fetchall("SELECT state, count(*) AS n FROM received GROUP BY state")
    return {r["state"]: r["n"] for r in rows}
