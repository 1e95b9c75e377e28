"""Activities and objects, local and received, with their addressees for access checks."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson

from . import hashtags, versions
from .codec import decode_document, encode_document
from .db import Store
from .lifecycle import lifecycle_of


@dataclass(frozen=True)
class StoredActivity:
    uri: str
    actor_uri: str
    type: str
    object_uri: str | None
    local: bool
    public: bool
    addressees: list[str]
    document: dict[str, Any]
    published: float


@dataclass(frozen=True)
class StoredObject:
    uri: str
    type: str
    kind: str
    attributed_to: str
    local: bool
    public: bool
    addressees: list[str]
    community_uri: str | None
    in_reply_to: str | None
    document: dict[str, Any]
    published: float
    updated: float | None
    deleted: float | None
    start_time: float | None
    end_time: float | None


def object_document_value(store: Store, doc: dict[str, Any], local: bool) -> str | bytes:
    """How `objects.document` is stored. A received object is stored like activities
    (orjson bytes, zstd with the preset dictionary when it pays: store/codec.py) on SQLite: it is most of
    what a received activity costs on disk (issue 16). Local objects stay JSON text, and
    so does every object on PostgreSQL: SQL reads them (the Mastodon API's search, the
    tombstone of a deleted account), and PostgreSQL compresses large values (TOAST)."""
    if local or store.dialect == "postgres":
        return orjson.dumps(doc).decode()
    return encode_document(doc)


def embed_object(doc: dict[str, Any], object_document: str | bytes | None) -> dict[str, Any]:
    """An activity stored with its object as a reference (object_ref) gets the current
    object row back in place of the id."""
    if object_document is not None:
        doc["object"] = decode_document(object_document)
    return doc


#: SELECT list of an activity with the object document it may refer to (alias `a`).
ACTIVITY_COLUMNS = (
    "a.*, CASE WHEN a.object_ref = 1 THEN"
    " (SELECT o.document FROM objects o WHERE o.uri = a.object_uri) END AS object_document"
)


def _activity(r: sqlite3.Row) -> StoredActivity:
    return StoredActivity(
        r["uri"],
        r["actor_uri"],
        r["type"],
        r["object_uri"],
        bool(r["local"]),
        bool(r["public"]),
        orjson.loads(r["addressees"]),
        embed_object(decode_document(r["document"]), r["object_document"]),
        r["published"],
    )


def _object(r: sqlite3.Row) -> StoredObject:
    return StoredObject(
        r["uri"],
        r["type"],
        r["kind"],
        r["attributed_to"],
        bool(r["local"]),
        bool(r["public"]),
        orjson.loads(r["addressees"]),
        r["community_uri"],
        r["in_reply_to"],
        decode_document(r["document"]),
        r["published"],
        r["updated"],
        r["deleted"],
        r["start_time"],
        r["end_time"],
    )


#: One activity row; `activity_row` gives its parameters (uri first).
INSERT_ACTIVITY = (
    "INSERT OR IGNORE INTO activities (uri, actor_uri, type, object_uri, local, public,"
    " addressees, document, published, object_ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


async def insert_activity(store: Store, row: tuple[Any, ...]) -> bool:
    """Insert an `activity_row` once; False if the activity was already stored."""
    return await store.execute(INSERT_ACTIVITY, row) > 0


async def activity_row(
    store: Store,
    *,
    uri: str,
    actor_uri: str,
    type_: str,
    object_uri: str | None,
    local: bool,
    public: bool,
    addressees: list[str],
    document: dict[str, Any],
    published: float,
    object_stored: bool = False,
) -> tuple[Any, ...]:
    """An activity's row, for `insert_activity` or for a caller that writes it with more
    (the inbox worker's `inbox_items.record`). `object_stored`: the caller has just
    stored the object row (no need to look it up).

    One copy of each document: a received Create/Update whose object we store keeps its
    object as a reference (object_ref), and readers embed the current object row. Local
    activities keep their document as published (deliveries send those exact bytes)."""
    object_ref = 0
    obj = document.get("object")
    if (
        not local
        and type_ in ("Create", "Update")
        and isinstance(obj, dict)
        and object_uri is not None
        and obj.get("id") == object_uri
        and (
            object_stored
            or await store.fetchone("SELECT 1 FROM objects WHERE uri = ?", (object_uri,))
        )
    ):
        document = {**document, "object": object_uri}
        object_ref = 1
    return (
        uri,
        actor_uri,
        type_,
        object_uri,
        int(local),
        int(public),
        orjson.dumps(addressees).decode(),
        encode_document(document),
        published,
        object_ref,
    )


async def get_activity(store: Store, uri: str) -> StoredActivity | None:
    r = await store.fetchone(f"SELECT {ACTIVITY_COLUMNS} FROM activities a WHERE a.uri = ?", (uri,))
    return _activity(r) if r else None


async def outbox_page(
    store: Store, actor_uri: str, *, public_only: bool, max_id: int | None, size: int
) -> list[tuple[int, StoredActivity]]:
    """Newest first, keyset-paged: the activities with an id below `max_id` (no OFFSET, so
    a page costs the same at any depth and never repeats or skips an item as new ones
    arrive)."""
    sql = f"SELECT {ACTIVITY_COLUMNS} FROM activities a WHERE a.actor_uri = ? AND a.local = 1"
    params: list[Any] = [actor_uri]
    if public_only:
        sql += " AND a.public = 1"
    if max_id is not None:
        sql += " AND a.id < ?"
        params.append(max_id)
    rows = await store.fetchall(sql + " ORDER BY a.id DESC LIMIT ?", (*params, size))
    return [(int(r["id"]), _activity(r)) for r in rows]


async def outbox_count(store: Store, actor_uri: str, *, public_only: bool) -> int:
    """From the counters the triggers keep (migration 050), not count(*)."""
    return await versions.counter(store, actor_uri, "outbox_public" if public_only else "outbox")


async def local_documents(store: Store, actor_uri: str) -> list[dict[str, Any]]:
    """Every activity the local actor published, oldest first (account export)."""
    rows = await store.fetchall(
        f"SELECT {ACTIVITY_COLUMNS} FROM activities a WHERE a.actor_uri = ? AND a.local = 1"
        " ORDER BY a.id",
        (actor_uri,),
    )
    return [_activity(r).document for r in rows]


async def count_local_objects(store: Store) -> int:
    r = await store.fetchone(
        "SELECT count(*) AS n FROM objects WHERE local = 1 AND public = 1 AND deleted IS NULL"
    )
    return int(r["n"]) if r else 0


async def upsert_object(
    store: Store,
    *,
    uri: str,
    type_: str,
    kind: str,
    attributed_to: str,
    local: bool,
    public: bool,
    addressees: list[str],
    community_uri: str | None,
    in_reply_to: str | None,
    document: dict[str, Any],
    published: float,
    start_time: float | None = None,
    end_time: float | None = None,
    updated: float | None = None,
    new: bool = False,
    only_new: bool = False,
) -> bool:
    """Insert or replace an object row; whether it was written. `new` says the caller has
    just read that no row exists (in the same transaction): its hashtag rows need no
    clearing first. `only_new` writes nothing when a row with this uri exists (False):
    a received `Create` tries that first, so a new object costs no lookup before it."""
    row = (
        uri,
        type_,
        kind,
        attributed_to,
        int(local),
        int(public),
        orjson.dumps(addressees).decode(),
        community_uri,
        in_reply_to,
        object_document_value(store, document, local),
        published,
        updated,
        start_time,
        end_time,
        lifecycle_of(kind, document, in_reply_to),
    )
    names = hashtags.names_of(document) if only_new and store.dialect == "postgres" else []
    if names:
        # A new object and its tags in one statement (its RETURNING id): a round trip
        # less per tagged post received (docs/performance.md, "Scale-out", session 15).
        # Tags are only inserted with a new row: some were, exactly when it was written.
        tagged = await store.execute(
            f"WITH o AS ({_INSERT_OBJECT}{_IF_NEW} RETURNING id)"
            f" {hashtags.INSERT}o, {hashtags.values(names)}{hashtags.ON_CONFLICT}",
            (*row, *names),
        )
        return tagged > 0
    written = await store.execute(_INSERT_OBJECT + (_IF_NEW if only_new else _OR_REPLACE), row)
    if only_new and not written:
        return False
    await hashtags.index(store, uri, document, new=new or only_new)
    return True


_INSERT_OBJECT = (
    "INSERT INTO objects (uri, type, kind, attributed_to, local, public, addressees,"
    " community_uri, in_reply_to, document, published, updated, start_time, end_time,"
    " lifecycle) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_IF_NEW = " ON CONFLICT(uri) DO NOTHING"
_OR_REPLACE = (
    " ON CONFLICT(uri) DO UPDATE SET type = excluded.type, kind = excluded.kind,"
    " public = excluded.public, addressees = excluded.addressees,"
    " community_uri = coalesce(excluded.community_uri, objects.community_uri),"
    " document = excluded.document, updated = excluded.updated,"
    " start_time = excluded.start_time, end_time = excluded.end_time,"
    " lifecycle = excluded.lifecycle"
)


async def get_object(store: Store, uri: str) -> StoredObject | None:
    r = await store.fetchone("SELECT * FROM objects WHERE uri = ?", (uri,))
    return _object(r) if r else None


async def mark_object_deleted(store: Store, uri: str, now: float) -> bool:
    return (
        await store.execute(
            "UPDATE objects SET deleted = ? WHERE uri = ? AND deleted IS NULL", (now, uri)
        )
        > 0
    )


async def replies(store: Store, uri: str) -> list[StoredObject]:
    rows = await store.fetchall(
        "SELECT * FROM objects WHERE in_reply_to = ? AND deleted IS NULL ORDER BY id", (uri,)
    )
    return [_object(r) for r in rows]


async def community_objects(
    store: Store,
    community_uri: str,
    *,
    kinds: tuple[str, ...],
    public_only: bool,
    page: int,
    size: int,
    where: str = "",
    params: tuple[Any, ...] = (),
    order: str = "id DESC",
) -> list[StoredObject]:
    marks = ", ".join("?" for _ in kinds)
    sql = f"SELECT * FROM objects WHERE community_uri = ? AND kind IN ({marks}) AND deleted IS NULL"
    if public_only:
        sql += " AND public = 1"
    if where:
        sql += " AND " + where
    rows = await store.fetchall(
        sql + f" ORDER BY {order} LIMIT ? OFFSET ?",
        (community_uri, *kinds, *params, size, (page - 1) * size),
    )
    return [_object(r) for r in rows]
