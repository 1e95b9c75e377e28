"""Uploaded media rows (files are on disk under Settings.media_dir)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .db import Store


@dataclass(frozen=True)
class Media:
    id: int
    owner: str
    name: str
    content_type: str
    size: int
    width: int
    height: int
    blurhash: str | None
    description: str
    object_uri: str | None


def _row(r: sqlite3.Row) -> Media:
    return Media(
        r["id"],
        r["owner"],
        r["name"],
        r["content_type"],
        r["size"],
        r["width"],
        r["height"],
        r["blurhash"],
        r["description"],
        r["object_uri"],
    )


async def insert(
    store: Store,
    *,
    owner: str,
    name: str,
    content_type: str,
    size: int,
    width: int,
    height: int,
    blurhash: str | None,
    description: str,
    now: float,
) -> Media:
    id_ = await store.insert(
        "INSERT INTO media (owner, name, content_type, size, width, height, blurhash,"
        " description, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (owner, name, content_type, size, width, height, blurhash, description, now),
    )
    found = await get(store, id_)
    assert found is not None
    return found


async def get(store: Store, id_: int) -> Media | None:
    r = await store.fetchone("SELECT * FROM media WHERE id = ?", (id_,))
    return _row(r) if r else None


async def by_name(store: Store, name: str) -> Media | None:
    r = await store.fetchone("SELECT * FROM media WHERE name = ?", (name,))
    return _row(r) if r else None


async def describe(store: Store, id_: int, description: str) -> None:
    await store.execute("UPDATE media SET description = ? WHERE id = ?", (description, id_))


async def attach(store: Store, id_: int, object_uri: str) -> None:
    await store.execute(
        "UPDATE media SET object_uri = ? WHERE id = ? AND object_uri IS NULL", (object_uri, id_)
    )
