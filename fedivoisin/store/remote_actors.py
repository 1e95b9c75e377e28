"""Cache of remote actors and their keys (refreshed from their origin only)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson

from .db import Store


@dataclass(frozen=True)
class RemoteActor:
    uri: str
    type: str
    host: str
    preferred_username: str | None
    name: str | None
    inbox: str | None
    shared_inbox: str | None
    followers: str | None
    key_id: str | None
    public_key_pem: str | None
    document: dict[str, Any]
    fetched_at: float
    gone: bool = False


def _row(r: sqlite3.Row) -> RemoteActor:
    return RemoteActor(
        uri=r["uri"],
        type=r["type"],
        host=r["host"],
        preferred_username=r["preferred_username"],
        name=r["name"],
        inbox=r["inbox"],
        shared_inbox=r["shared_inbox"],
        followers=r["followers"],
        key_id=r["key_id"],
        public_key_pem=r["public_key_pem"],
        document=orjson.loads(r["document"]),
        fetched_at=r["fetched_at"],
        gone=bool(r["gone"]),
    )


async def get(store: Store, uri: str) -> RemoteActor | None:
    r = await store.fetchone("SELECT * FROM remote_actors WHERE uri = ?", (uri,))
    return _row(r) if r else None


async def by_key(store: Store, key_id: str) -> RemoteActor | None:
    r = await store.fetchone("SELECT * FROM remote_actors WHERE key_id = ?", (key_id,))
    return _row(r) if r else None


async def many(store: Store, uris: list[str]) -> list[RemoteActor]:
    out: list[RemoteActor] = []
    for i in range(0, len(uris), 500):
        chunk = uris[i : i + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = await store.fetchall(f"SELECT * FROM remote_actors WHERE uri IN ({marks})", chunk)
        out.extend(_row(r) for r in rows)
    return out


async def save(store: Store, a: RemoteActor) -> None:
    await store.execute(
        "INSERT INTO remote_actors (uri, type, host, preferred_username, name, inbox,"
        " shared_inbox, followers, key_id, public_key_pem, document, fetched_at, gone)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)"
        " ON CONFLICT(uri) DO UPDATE SET type = excluded.type,"
        " preferred_username = excluded.preferred_username, name = excluded.name,"
        " inbox = excluded.inbox, shared_inbox = excluded.shared_inbox,"
        " followers = excluded.followers, key_id = excluded.key_id,"
        " public_key_pem = excluded.public_key_pem, document = excluded.document,"
        " fetched_at = excluded.fetched_at, gone = 0",
        (
            a.uri,
            a.type,
            a.host,
            a.preferred_username,
            a.name,
            a.inbox,
            a.shared_inbox,
            a.followers,
            a.key_id,
            a.public_key_pem,
            orjson.dumps(a.document).decode(),
            a.fetched_at,
        ),
    )


async def mark_gone(store: Store, uri: str) -> None:
    await store.execute("UPDATE remote_actors SET gone = 1 WHERE uri = ?", (uri,))


async def delete(store: Store, uri: str) -> None:
    await store.execute("DELETE FROM remote_actors WHERE uri = ?", (uri,))
