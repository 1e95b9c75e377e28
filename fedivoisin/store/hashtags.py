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


async def index(store: Store, object_uri: str, doc: dict[str, Any]) -> None:
    names = names_of(doc)
    await store.execute("DELETE FROM object_hashtags WHERE object_uri = ?", (object_uri,))
    if names:
        await store.executemany(
            "INSERT INTO object_hashtags (object_uri, tag) VALUES (?, ?)"
            " ON CONFLICT (tag, object_uri) DO NOTHING",
            [(object_uri, n) for n in names],
        )


async def backfill(store: Store) -> int:
    """Index the objects stored before the index existed (once: when it is empty)."""
    if await store.fetchone("SELECT 1 FROM object_hashtags LIMIT 1") is not None:
        return 0
    done = 0
    rows = await store.fetchall(
        "SELECT uri, document FROM objects WHERE document LIKE ?", ("%Hashtag%",)
    )
    from .activities import decode_document

    for r in rows:
        doc = decode_document(r["document"])
        if isinstance(doc, dict) and names_of(doc):
            await index(store, r["uri"], doc)
            done += 1
    return done


async def search(store: Store, prefix: str, limit: int) -> list[tuple[str, int]]:
    """Tags starting with `prefix`, the most used first: (name, objects)."""
    like = prefix.lower().replace("%", "").replace("_", "\\_") + "%"
    rows = await store.fetchall(
        "SELECT tag, count(*) AS n FROM object_hashtags WHERE tag LIKE ? ESCAPE '\\'"
        " GROUP BY tag ORDER BY n DESC, tag LIMIT ?",
        (like, limit),
    )
    return [(r["tag"], int(r["n"])) for r in rows]
