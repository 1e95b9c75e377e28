"""Instance-wide facts stored in the database (the public origin the server serves)."""

from __future__ import annotations

from .db import Store

ORIGIN = "origin"


async def get(store: Store, key: str) -> str | None:
    row = await store.fetchone("SELECT value FROM instance_settings WHERE key = ?", (key,))
    return None if row is None else str(row["value"])


async def put(store: Store, key: str, value: str) -> None:
    await store.execute(
        "INSERT INTO instance_settings (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
