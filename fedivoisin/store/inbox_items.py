"""What each local actor received (listed by GET {actor}/inbox for its token holder)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import versions
from .activities import (
    ACTIVITY_COLUMNS,
    INSERT_ACTIVITY,
    decode_document,
    embed_object,
    insert_activity,
)
from .db import Store

#: Owners listed by one statement (SQLite allows 32,766 parameters).
_CHUNK = 500


async def add_many(store: Store, owners: Sequence[str], activity_uri: str, now: float) -> None:
    """List a stored activity in each owner's inbox (once; by its integer id, migration
    129), one statement per 500 owners.

    Why not a statement per owner: a neighbour followed by the whole building reaches every
    resident; one statement each cost the inbox worker ~40 µs per resident on SQLite and a
    round trip on PostgreSQL (docs/performance.md, "Inbox processing", session 14)."""
    for start in range(0, len(owners), _CHUNK):
        chunk = owners[start : start + _CHUNK]
        rows = ", ".join("(?)" for _ in chunk)
        await store.execute(
            "INSERT OR IGNORE INTO inbox_items (owner, activity_id, received_at)"
            f" SELECT v.column1, a.id, ? FROM (VALUES {rows}) AS v, activities a"
            " WHERE a.uri = ?",
            (now, *chunk, activity_uri),
        )


async def record(
    store: Store, activity: tuple[Any, ...], owners: Sequence[str], now: float
) -> None:
    """Store a received activity (`activities.activity_row`) and list it for `owners`.

    PostgreSQL, up to 500 owners: one statement (the activity's INSERT as a data-modifying
    CTE). Why: every statement of the inbox worker is a round trip costing ~0.25 ms of the
    worker's CPU (psycopg, the event loop), about as much as the rest of processing a row
    (docs/performance.md, "Scale-out on PostgreSQL", session 15). SQLite has no
    data-modifying CTEs and no round trips: the two statements as before.

    The listing takes the new row's id from the CTE, or the stored one's when the activity
    was there already (the statement's snapshot precedes its own insert). When that finds
    nothing (a concurrent insert of the same activity, committed after the snapshot) or
    the owners were listed already, `add_many` lists again: a no-op for those listed."""
    uri = activity[0]
    if store.dialect == "sqlite" or not owners or len(owners) > _CHUNK:
        await insert_activity(store, activity)
        await add_many(store, owners, uri, now)
        return
    rows = ", ".join("(?)" for _ in owners)
    insert = INSERT_ACTIVITY.replace("INSERT OR IGNORE INTO", "INSERT INTO", 1)
    listed = await store.execute(
        f"WITH new AS ({insert} ON CONFLICT DO NOTHING RETURNING id)"
        " INSERT INTO inbox_items (owner, activity_id, received_at)"
        f" SELECT v.column1, a.id, ? FROM (VALUES {rows}) AS v,"
        " (SELECT id FROM new UNION ALL SELECT id FROM activities WHERE uri = ?) AS a"
        " ON CONFLICT DO NOTHING",
        (*activity, now, *owners, uri),
    )
    if not listed:
        await add_many(store, owners, uri, now)


async def page(
    store: Store, owner: str, *, max_id: int | None, size: int
) -> list[tuple[int, dict[str, Any]]]:
    """Newest first, keyset-paged by the listing's id (below `max_id`)."""
    sql = (
        f"SELECT i.id AS item_id, {ACTIVITY_COLUMNS} FROM inbox_items i"
        " JOIN activities a ON a.id = i.activity_id WHERE i.owner = ?"
    )
    params: list[Any] = [owner]
    if max_id is not None:
        sql += " AND i.id < ?"
        params.append(max_id)
    rows = await store.fetchall(sql + " ORDER BY i.id DESC LIMIT ?", (*params, size))
    return [
        (int(r["item_id"]), embed_object(decode_document(r["document"]), r["object_document"]))
        for r in rows
    ]


async def documents(store: Store, owner: str) -> list[dict[str, Any]]:
    """Everything the owner received, oldest first (account export)."""
    rows = await store.fetchall(
        f"SELECT {ACTIVITY_COLUMNS} FROM inbox_items i JOIN activities a"
        " ON a.id = i.activity_id WHERE i.owner = ? ORDER BY i.id",
        (owner,),
    )
    return [embed_object(decode_document(r["document"]), r["object_document"]) for r in rows]


async def count(store: Store, owner: str) -> int:
    """From the counter the triggers keep (migration 050)."""
    return await versions.counter(store, owner, "inbox")
