"""Migration 129 keeps every inbox listing when the URI column becomes an activity id.

An SQLite file is brought to version 128 by hand (the migrations as the store applies
them), given listings the old way, then opened by the store, which migrates it: the owner
still sees the same items in the same order, with the same counter."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fedivoisin.store import inbox_items
from fedivoisin.store.db import Store, migrations


def _database_at(path: Path, version: int) -> None:
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL)"
    )
    for v, name, sql in migrations():
        if v > version:
            break
        con.executescript(
            f"BEGIN; {sql}\nINSERT INTO schema_version VALUES ({v}, '{name}', 'x'); COMMIT;"
        )
    con.close()


async def test_listings_survive_the_switch_to_activity_ids(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _database_at(path, 128)
    con = sqlite3.connect(path)
    uris = [f"https://far.example/activities/{i}" for i in range(3)]
    for i, uri in enumerate(uris):
        con.execute(
            "INSERT INTO activities (uri, actor_uri, type, local, public, addressees, document,"
            " published) VALUES (?, 'https://far.example/u/a', 'Create', 0, 1, '[]', ?, ?)",
            (uri, f'{{"id": "{uri}", "type": "Create"}}', 1000.0 + i),
        )
    for uri in [uris[2], uris[0], "https://far.example/activities/never-stored"]:
        con.execute(
            "INSERT INTO inbox_items (owner, activity_uri, received_at) VALUES ('alice', ?, 1)",
            (uri,),
        )
    con.commit()
    con.close()

    store = await Store.open_sqlite(path)
    try:
        listed = await inbox_items.page(store, "alice", max_id=None, size=10)
        assert [doc["id"] for _, doc in listed] == [uris[0], uris[2]]  # newest listing first
        assert await inbox_items.count(store, "alice") == 2
        await inbox_items.add(store, "alice", uris[1], 2.0)
        await inbox_items.add(store, "alice", uris[1], 3.0)  # listed once
        assert await inbox_items.count(store, "alice") == 3
        listed = await inbox_items.page(store, "alice", max_id=None, size=10)
        assert [doc["id"] for _, doc in listed] == [uris[1], uris[0], uris[2]]
    finally:
        await store.close()
