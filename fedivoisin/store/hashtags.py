"""The hashtag index (object_hashtags): filled whenever an object is stored or replaced
(store/activities.py::upsert_object), read by tag timelines, streaming and search."""

from __future__ import annotations

from typing import Any

from .db import Store

MAX_TAGS = 50  # per object: a document with 10,000 tags indexes the first 50


def names_of(doc: dict[str, Any]) -> list[str]:
    """The Hashtag names of a document, lower-cased, without '#', each once."""
    tags = doc.get("tag")
    items = tags if isinstance(tags, list) else [tags]
    out: list[str] = []
    for t in items:
        if isinstance(t, dict) and t.get("type") == "Hashtag" and isinstance(t.get("name"), str):
            name = t["name"].strip().lstrip("#").lower()[:100]
            if name and name not in out:
                out.append(name)
    return out[:MAX_TAGS]


def values(names: list[str]) -> str:
    """The names as a row source (`v.column1`) for one INSERT of every tag of an object."""
    return "(VALUES " + ", ".join("(?)" for _ in names) + ") AS v"


#: After a source aliased `o` with the object's id, and `values(names)`.
INSERT = "INSERT INTO object_hashtags (object_id, tag) SELECT o.id, v.column1 FROM "
ON_CONFLICT = " ON CONFLICT (tag, object_id) DO NOTHING"


async def index(store: Store, object_uri: str, doc: dict[str, Any], *, new: bool = False) -> None:
    """Replace the object's hashtag rows (`new`: it has none yet, nothing to delete). Rows
    name the object by `objects.id` (migration 130), found by the same statements; all
    its tags in one statement (an executemany was a transaction of its own, and on
    PostgreSQL a round trip per tag)."""
    names = names_of(doc)
    if not new:
        await store.execute(
            "DELETE FROM object_hashtags WHERE object_id = (SELECT id FROM objects WHERE uri = ?)",
            (object_uri,),
        )
    if names:
        await store.execute(
            f"{INSERT}objects o, {values(names)} WHERE o.uri = ?{ON_CONFLICT}",
            (*names, object_uri),
        )


async def backfill(store: Store) -> int:
    """Index the objects stored before the index existed, once per database: a marker in
    `instance_settings` says it was done (an instance with no hashtag at all used to scan
    every object at every start-up; with received documents compressed that scan would
    decompress them all)."""
    from . import instance_settings

    if await instance_settings.get(store, BACKFILLED) is not None:
        return 0
    if await store.fetchone("SELECT 1 FROM object_hashtags LIMIT 1") is not None:
        await instance_settings.put(store, BACKFILLED, "1")
        return 0
    done = await _backfill(store)
    await instance_settings.put(store, BACKFILLED, "1")
    return done


#: The `instance_settings` key recording that `backfill` ran.
BACKFILLED = "hashtags_backfilled"


async def _backfill(store: Store) -> int:
    from .activities import decode_document

    # JSON text is filtered in SQL; a received object's compressed document (SQLite,
    # store/activities.object_document_value) can only be read here.
    where = "document LIKE ?"
    if store.dialect != "postgres":
        where = "(typeof(document) = 'blob' OR document LIKE ?)"
    done, last = 0, 0
    while True:  # keyset batches: constant memory on a large table
        rows = await store.fetchall(
            f"SELECT id, uri, document FROM objects WHERE id > ? AND {where} ORDER BY id LIMIT 500",
            (last, "%Hashtag%"),
        )
        if not rows:
            return done
        for r in rows:
            doc = decode_document(r["document"])
            if isinstance(doc, dict) and names_of(doc):
                await index(store, r["uri"], doc)
                done += 1
        last = int(rows[-1]["id"])


async def search(store: Store, prefix: str, limit: int) -> list[tuple[str, int]]:
    """Tags starting with `prefix`, the most used first: (name, objects)."""
    like = prefix.lower().replace("%", "").replace("_", "\\_") + "%"
    rows = await store.fetchall(
        "SELECT tag, count(*) AS n FROM object_hashtags WHERE tag LIKE ? ESCAPE '\\'"
        " GROUP BY tag ORDER BY n DESC, tag LIMIT ?",
        (like, limit),
    )
    return [(r["tag"], int(r["n"])) for r in rows]
