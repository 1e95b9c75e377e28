"""Residents can export and delete their data; deletion is federated."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from fedivoisin.store import remote_actors
from fedivoisin.store.db import TEST_POSTGRES_ENV
from tests.rig import AS2, database, wait_for

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def test_export_contains_the_residents_posts_and_follows(instance_factory: Any) -> None:
    a = await instance_factory()
    await a.person("alice")
    await a.community("les-lilas")
    t = await a.token("alice")
    await a.c2s("alice", t, {"type": "Follow", "object": a.actor("les-lilas")})
    r = await a.c2s("alice", t, {"type": "Note", "content": "Bonjour les voisins", "to": [PUBLIC]})
    note = r.json()["object"]["id"]
    async with a.http() as c:
        assert (await c.get("/actors/alice/export")).status_code == 401
        r = await c.get("/actors/alice/export", headers={"Authorization": f"Bearer {t}"})
    assert r.status_code == 200 and r.headers["cache-control"].startswith("private")
    data = r.json()
    assert data["actor"]["id"] == a.actor("alice")
    assert [o["id"] for o in data["objects"]] == [note]
    assert a.actor("les-lilas") in data["following"]


async def test_deleting_an_account_is_federated_and_erases_its_data(instance_factory: Any) -> None:
    a = await instance_factory()
    b = await instance_factory()
    await a.person("alice")
    await b.community("les-tilleuls")
    t = await a.token("alice")
    await a.c2s("alice", t, {"type": "Follow", "object": b.actor("les-tilleuls")})
    r = await a.c2s("alice", t, {"type": "Note", "content": "à supprimer", "to": [PUBLIC]})
    note = r.json()["object"]["id"]

    async def b_knows_alice() -> bool:
        return await remote_actors.get(b.rt.store, a.actor("alice")) is not None

    await wait_for(b_knows_alice, timeout=10)
    r = await a.c2s("alice", t, {"type": "Delete", "object": a.actor("alice")})
    assert r.status_code == 201, r.text

    async def b_forgot_alice() -> bool:
        return await remote_actors.get(b.rt.store, a.actor("alice")) is None

    await wait_for(b_forgot_alice, timeout=10)
    async with b.http() as c:
        followers = (await c.get("/actors/les-tilleuls/followers", headers={"Accept": AS2})).json()
        assert followers["totalItems"] == 0
    assert (await a.get_json(a.actor("alice"))).status_code == 410
    assert (await a.get_json(note)).status_code in (404, 410)
    async with a.http() as c:  # the token was revoked
        r = await c.get("/actors/alice/export", headers={"Authorization": f"Bearer {t}"})
        assert r.status_code in (401, 410)


@pytest.mark.skipif(
    not os.environ.get(TEST_POSTGRES_ENV), reason="PostgreSQL's row locks (SQLite: one writer)"
)
async def test_deleting_an_account_while_one_of_her_follows_changes(instance_factory: Any) -> None:
    """What processing an Accept of one of her follows locks, and in which order: the follows
    row, then (its trigger) her versions row. The deletion used to lock her versions row
    first (tombstoning her posts), then wait for the follows row: PostgreSQL broke the
    deadlock by aborting the deletion, a 500 (seen in CI)."""
    import psycopg

    from fedivoisin.store.pg import schema_for_key

    a = await instance_factory()
    await a.person("alice")
    await a.community("les-lilas")
    t = await a.token("alice")
    await a.c2s("alice", t, {"type": "Follow", "object": a.actor("les-lilas")})
    await a.c2s("alice", t, {"type": "Note", "content": "à supprimer", "to": [PUBLIC]})
    me = a.actor("alice")
    schema = schema_for_key(str((a.data_dir / "fedivoisin.sqlite3").resolve()))
    async with await psycopg.AsyncConnection.connect(os.environ[TEST_POSTGRES_ENV]) as other:
        await other.execute(f'SET search_path TO "{schema}"')
        await other.execute("SELECT id FROM follows WHERE follower = %s FOR UPDATE", (me,))
        deletion = asyncio.create_task(a.c2s("alice", t, {"type": "Delete", "object": me}))
        await asyncio.sleep(1.0)  # the deletion runs up to the first lock it must wait for
        await asyncio.wait_for(
            other.execute(
                "UPDATE content_versions SET version = version + 1 WHERE scope = %s", (me,)
            ),
            timeout=5,
        )
        await other.commit()
    r = await asyncio.wait_for(deletion, timeout=30)
    assert r.status_code == 201, r.text
    assert database.query(a.data_dir / "fedivoisin.sqlite3", "SELECT id FROM follows") == []
