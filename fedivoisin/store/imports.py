"""Imports (a community's calendar and feed subscriptions) and the item → object mapping.

The mapping is what makes importing idempotent: an item is published once, updated only
when the hash of what we publish changes, and a restart finds everything where it was.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .db import Store


@dataclass(frozen=True)
class Import:
    id: int
    community: str
    source_actor: str
    url: str
    kind: str
    every: float
    created_at: float
    next_fetch_at: float
    etag: str | None
    last_modified: str | None
    last_fetch_at: float | None
    last_status: str | None
    last_error: str | None
    last_result: str | None
    last_success_at: float | None
    items: int


@dataclass(frozen=True)
class Item:
    uid: str
    object_uri: str
    hash: str | None
    item_time: float | None
    deleted: bool


_COLUMNS = (
    "id, community, source_actor, url, kind, every, created_at, next_fetch_at, etag,"
    " last_modified, last_fetch_at, last_status, last_error, last_result, last_success_at, items"
)


def _row(r: sqlite3.Row) -> Import:
    return Import(**{k: r[k] for k in r.keys()})


async def add(
    store: Store,
    *,
    community: str,
    source_actor: str,
    url: str,
    kind: str,
    every: float,
    now: float,
) -> Import | None:
    """Insert a subscription, due now; None when the community already imports that URL."""
    known = await store.fetchone(
        "SELECT id FROM imports WHERE community = ? AND url = ?", (community, url)
    )
    if known is not None:
        return None
    row_id = await store.insert(
        "INSERT INTO imports (community, source_actor, url, kind, every, created_at,"
        " next_fetch_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (community, source_actor, url, kind, every, now, now),
    )
    return await get(store, row_id)


async def get(store: Store, import_id: int) -> Import | None:
    r = await store.fetchone(f"SELECT {_COLUMNS} FROM imports WHERE id = ?", (import_id,))
    return _row(r) if r is not None else None


async def of_community(store: Store, community: str | None = None) -> list[Import]:
    if community is None:
        rows = await store.fetchall(f"SELECT {_COLUMNS} FROM imports ORDER BY id")
    else:
        rows = await store.fetchall(
            f"SELECT {_COLUMNS} FROM imports WHERE community = ? ORDER BY id", (community,)
        )
    return [_row(r) for r in rows]


async def remove(store: Store, import_id: int) -> bool:
    return await store.execute("DELETE FROM imports WHERE id = ?", (import_id,)) > 0


async def due(store: Store, now: float, limit: int = 20) -> list[int]:
    rows = await store.fetchall(
        "SELECT id FROM imports WHERE next_fetch_at <= ?"
        " AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_fetch_at LIMIT ?",
        (now, now, limit),
    )
    return [int(r["id"]) for r in rows]


async def next_due_time(store: Store) -> float | None:
    r = await store.fetchone(
        "SELECT min(max(next_fetch_at, coalesce(lease_until, 0))) AS t FROM imports"
    )
    return float(r["t"]) if r is not None and r["t"] is not None else None


async def lease(store: Store, import_id: int, now: float, until: float) -> bool:
    """Claim an import for one fetch: the server's scheduler and `import run` never work on
    the same import at once (a lease left by a killed process expires)."""
    return (
        await store.execute(
            "UPDATE imports SET lease_until = ? WHERE id = ?"
            " AND (lease_until IS NULL OR lease_until < ?)",
            (until, import_id, now),
        )
        > 0
    )


async def finish(
    store: Store,
    import_id: int,
    *,
    now: float,
    status: str,
    error: str | None,
    result: str | None,
    etag: str | None,
    last_modified: str | None,
    succeeded: bool,
) -> None:
    """Record one fetch's outcome, schedule the next and release the lease."""
    await store.execute(
        "UPDATE imports SET lease_until = NULL, last_fetch_at = ?, last_status = ?,"
        " last_error = ?, last_result = coalesce(?, last_result), etag = ?, last_modified = ?, next_fetch_at = ? + every,"
        " last_success_at = CASE WHEN ? = 1 THEN ? ELSE last_success_at END,"
        " items = (SELECT count(*) FROM import_items WHERE import_id = ? AND deleted = 0)"
        " WHERE id = ?",
        (
            now,
            status,
            error,
            result,
            etag,
            last_modified,
            now,
            int(succeeded),
            now,
            import_id,
            import_id,
        ),
    )


async def items(store: Store, import_id: int) -> dict[str, Item]:
    rows = await store.fetchall(
        "SELECT uid, object_uri, hash, item_time, deleted FROM import_items WHERE import_id = ?",
        (import_id,),
    )
    return {
        r["uid"]: Item(r["uid"], r["object_uri"], r["hash"], r["item_time"], bool(r["deleted"]))
        for r in rows
    }


async def map_item(
    store: Store, import_id: int, uid: str, object_uri: str, item_time: float | None
) -> None:
    """Record the object id BEFORE publishing its Create: after a crash in between, the next
    fetch publishes the Create under the same id instead of minting a second object."""
    await store.execute(
        "INSERT INTO import_items (import_id, uid, object_uri, hash, item_time)"
        " VALUES (?, ?, ?, NULL, ?)"
        " ON CONFLICT(import_id, uid) DO UPDATE SET object_uri = excluded.object_uri,"
        " hash = NULL, deleted = 0, item_time = excluded.item_time",
        (import_id, uid, object_uri, item_time),
    )


async def set_hash(
    store: Store, import_id: int, uid: str, digest: str, item_time: float | None
) -> None:
    await store.execute(
        "UPDATE import_items SET hash = ?, item_time = ? WHERE import_id = ? AND uid = ?",
        (digest, item_time, import_id, uid),
    )


async def mark_deleted(store: Store, import_id: int, uid: str) -> None:
    await store.execute(
        "UPDATE import_items SET deleted = 1 WHERE import_id = ? AND uid = ?", (import_id, uid)
    )
