"""What each local actor received (listed by GET {actor}/inbox for its token holder)."""

from __future__ import annotations

from typing import Any

import orjson

from .db import Store


async def add(store: Store, owner: str, activity_uri: str, now: float) -> None:
    await store.execute(
        "INSERT OR IGNORE INTO inbox_items (owner, activity_uri, received_at) VALUES (?, ?, ?)",
        (owner, activity_uri, now),
    )


async def page(store: Store, owner: str, *, page: int, size: int) -> list[dict[str, Any]]:
    rows = await store.fetchall(
        "SELECT a.document FROM inbox_items i JOIN activities a ON a.uri = i.activity_uri"
        " WHERE i.owner = ? ORDER BY i.id DESC LIMIT ? OFFSET ?",
        (owner, size, (page - 1) * size),
    )
    return [orjson.loads(r["document"]) for r in rows]


async def count(store: Store, owner: str) -> int:
    r = await store.fetchone("SELECT count(*) AS n FROM inbox_items WHERE owner = ?", (owner,))
    return int(r["n"]) if r else 0
