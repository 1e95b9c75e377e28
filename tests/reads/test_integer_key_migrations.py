"""Migrations 129 and 130 keep every inbox listing and every hashtag row when their URI
columns become integer ids (activities.id, objects.id).

An SQLite file is brought to an older version by hand (the migrations as the store applies
them), given rows the old way, then opened by the store, which migrates it: the owner
still sees the same items in the same order with the same counter, and the tag index
still finds the same posts."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from fedivoisin.store import hashtags, inbox_items
from fedivoisin.store import mastodon as mastodon_store
from fedivoisin.store.db import TEST_POSTGRES_ENV, Store, migrations, migrations_for


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
        await inbox_items.add_many(store, ["alice"], uris[1], 2.0)
        await inbox_items.add_many(store, ["alice"], uris[1], 3.0)  # listed once
        assert await inbox_items.count(store, "alice") == 3
        listed = await inbox_items.page(store, "alice", max_id=None, size=10)
        assert [doc["id"] for _, doc in listed] == [uris[1], uris[0], uris[2]]
    finally:
        await store.close()


async def test_hashtag_rows_survive_the_switch_to_object_ids(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _database_at(path, 129)
    con = sqlite3.connect(path)
    uris = [f"https://far.example/notes/{i}" for i in range(3)]
    for i, uri in enumerate(uris):
        con.execute(
            "INSERT INTO objects (uri, type, kind, attributed_to, local, public, addressees,"
            " document, published) VALUES (?, 'Note', 'note', 'https://far.example/u/a', 0, 1,"
            " '[]', ?, ?)",
            (uri, f'{{"id": "{uri}", "type": "Note"}}', 1000.0 + i),
        )
    rows = [(uris[0], "voisins"), (uris[2], "voisins"), (uris[2], "fete")]
    rows.append(("https://far.example/notes/never-stored", "voisins"))
    con.executemany("INSERT INTO object_hashtags (object_uri, tag) VALUES (?, ?)", rows)
    con.commit()
    con.close()

    store = await Store.open_sqlite(path)
    try:
        assert await hashtags.search(store, "", 10) == [("voisins", 2), ("fete", 1)]
        tagged = await mastodon_store.tagged(
            store, "voisins", mastodon_store.Page(), local_only=False
        )
        assert [s.object_uri for s in tagged] == [uris[2], uris[0]]
        # Re-indexing an object replaces its rows; a new object gets its own.
        await hashtags.index(store, uris[2], {"tag": [{"type": "Hashtag", "name": "#Fete"}]})
        await hashtags.index(
            store, uris[1], {"tag": [{"type": "Hashtag", "name": "#voisins"}]}, new=True
        )
        assert await hashtags.search(store, "", 10) == [("voisins", 2), ("fete", 1)]
        tagged = await mastodon_store.tagged(
            store, "voisins", mastodon_store.Page(), local_only=False
        )
        assert [s.object_uri for s in tagged] == [uris[1], uris[0]]
    finally:
        await store.close()


async def test_postgresql_twins_keep_listings_and_hashtags(tmp_path: Path) -> None:
    """The same upgrade on PostgreSQL (the 129/130 twins change the columns in place)."""
    url = os.environ.get(TEST_POSTGRES_ENV)
    if not url:
        pytest.skip("PostgreSQL run only (FV_TEST_POSTGRES)")
    import psycopg

    from fedivoisin.store.dialect import postgres_migration
    from fedivoisin.store.pg import PgStore

    schema = "t_upgrade_" + os.urandom(6).hex()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(f"CREATE SCHEMA {schema}")
        await conn.execute(f"SET search_path TO {schema}")
        await conn.execute(
            "CREATE TABLE schema_version (version BIGINT PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL)"
        )
        for v, name, sql in migrations_for("postgres"):
            if v > 128:
                break
            for stmt in postgres_migration(sql):
                await conn.execute(stmt)
            await conn.execute("INSERT INTO schema_version VALUES (%s, %s, 'x')", (v, name))
        act, note = "https://far.example/activities/1", "https://far.example/notes/1"
        await conn.execute(
            "INSERT INTO activities (uri, actor_uri, type, local, public, addressees, document,"
            " published) VALUES (%s, 'https://far.example/u/a', 'Create', 0, 1, '[]', %s, 1)",
            (act, f'{{"id": "{act}", "type": "Create"}}'.encode()),
        )
        await conn.execute(
            "INSERT INTO objects (uri, type, kind, attributed_to, local, public, addressees,"
            " document, published) VALUES (%s, 'Note', 'note', 'https://far.example/u/a', 0,"
            " 1, '[]', %s, 1)",
            (note, f'{{"id": "{note}", "type": "Note"}}'),
        )
        for uri in (act, "https://far.example/activities/never-stored"):
            await conn.execute(
                "INSERT INTO inbox_items (owner, activity_uri, received_at)"
                " VALUES ('alice', %s, 1)",
                (uri,),
            )
        for uri in (note, "https://far.example/notes/never-stored"):
            await conn.execute(
                "INSERT INTO object_hashtags (object_uri, tag) VALUES (%s, 'voisins')", (uri,)
            )
    store = await PgStore.connect(url, schema=schema)
    try:
        listed = await inbox_items.page(store, "alice", max_id=None, size=10)
        assert [doc["id"] for _, doc in listed] == [act]
        assert await inbox_items.count(store, "alice") == 1
        assert await hashtags.search(store, "", 10) == [("voisins", 1)]
    finally:
        await store.close()
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")
