"""A received activity reaching many residents (inbox/worker.process, store/inbox_items.add_many).

A neighbour followed by the whole building reaches every resident: each follower is
listed once (by one statement per 500, on both engines), a resident who blocks the sender
is not, the webhook event goes to the subscriber only, and processing the activity again
lists nobody twice. And a batch always processes at least one row: one that stopped
before its first (its time spent on the prefetch) reported "nothing due", and the worker
slept until its next poll with the queue full.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from fedivoisin import admin
from fedivoisin.inbox.worker import InboxWorker
from fedivoisin.store import activities as activity_store
from fedivoisin.store import actor_blocks, actors, inbox_items, inbox_queue
from fedivoisin.store import follows as follow_store
from fedivoisin.store import webhooks as webhook_store
from fedivoisin.store.db import TEST_POSTGRES_ENV
from fedivoisin.store.dialect import postgres_statement
from tests.rig import Instance

X = "https://ailleurs.example/users/voisine"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
RESIDENTS = 620  # more than one statement's 500


@pytest.fixture
async def instance(instance_factory: Callable[..., Any]) -> Instance:
    """An instance without its in-process jobs: the test's worker is the only one. (With
    them, the background worker's poll could claim a queued row first: the test's worker
    then found nothing due and the listing was read before the other had written it, a
    failure of a clean-clone CI's PostgreSQL run.)"""
    inst: Instance = await instance_factory(run_jobs=False)
    return inst


async def _known_sender(inst: Instance) -> None:
    await inst.rt.store.execute(
        "INSERT INTO remote_actors (uri, type, host, preferred_username, inbox, followers,"
        " key_id, public_key_pem, document, fetched_at)"
        " VALUES (?, 'Person', 'ailleurs.example', 'voisine', ?, ?, ?, '', ?, 1.0)",
        (X, f"{X}/inbox", f"{X}/followers", f"{X}#main-key", orjson.dumps({"id": X}).decode()),
    )


async def _drain(inst: Instance) -> None:
    worker = InboxWorker(inst.rt)
    for _ in range(50):
        if not await worker.run_once():
            return
    raise AssertionError("the queue did not empty")


async def _receive(inst: Instance, n: int, *, drain: bool = True) -> str:
    aid = f"{X}/activities/{n}"
    body = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": aid,
        "type": "Create",
        "actor": X,
        "to": [PUBLIC],
        "cc": [f"{X}/followers"],
        "object": {
            "id": f"{X}/notes/{n}",
            "type": "Note",
            "attributedTo": X,
            "content": "<p>Vide-grenier dimanche</p>",
            "to": [PUBLIC],
            "cc": [f"{X}/followers"],
        },
    }
    queued = await inbox_queue.enqueue(
        inst.rt.store,
        activity_uri=aid,
        signer=X,
        actor_uri=X,
        recipient=None,
        body=orjson.dumps(body),
        now=inst.rt.clock.now(),
    )
    assert queued
    if drain:
        await _drain(inst)
    return aid


async def _listed(inst: Instance, aid: str) -> list[str]:
    rows = await inst.rt.store.fetchall(
        "SELECT i.owner FROM inbox_items i JOIN activities a ON a.id = i.activity_id"
        " WHERE a.uri = ? ORDER BY i.owner",
        (aid,),
    )
    return [r["owner"] for r in rows]


async def test_every_following_resident_is_listed_once(instance: Instance) -> None:
    rt = instance.rt
    store = rt.store
    await _known_sender(instance)
    slugs = [f"r{i:03d}" for i in range(RESIDENTS)]
    await store.executemany(
        "INSERT INTO follows (follower, followee, state, created_at)"
        " VALUES (?, ?, 'accepted', 1.0)",
        [(rt.urls.actor(s), X) for s in slugs],
    )
    await actor_blocks.add(store, rt.urls.actor("r007"), X, f"{X}#blocked", 1.0)
    # Followers are listed by their URI alone; the webhook's owner is a full account.
    await admin.create_actor(store, rt.clock, "r042", type_="Person", name="Rémi")
    subscriber = await actors.get_actor(store, "r042")
    assert subscriber is not None
    await webhook_store.create(
        store,
        app_id=None,
        owner_id=subscriber.id,
        url="https://hooks.example/fv",
        host="hooks.example",
        events=["activity.received"],
        secret="s" * 32,
        now=1.0,
    )

    aid = await _receive(instance, 1)

    expected = [s for s in slugs if s != "r007"]
    assert await _listed(instance, aid) == expected
    events = await store.fetchall(
        "SELECT owner_id FROM webhook_events WHERE type = ?", ("activity.received",)
    )
    assert [r["owner_id"] for r in events] == [subscriber.id]
    # Listing again (an activity processed twice after a lost done-mark) adds nobody.
    await inbox_items.add_many(store, slugs[:3], aid, rt.clock.now())
    assert await _listed(instance, aid) == expected
    # The counters behind each inbox's totalItems moved once per listed resident.
    counts = await store.fetchall(
        "SELECT scope, n FROM counters WHERE name = 'inbox' AND scope IN (?, ?, ?)",
        ("r000", "r007", "r619"),
    )
    assert {r["scope"]: r["n"] for r in counts} == {"r000": 1, "r619": 1}
    await follow_store.remove(store, rt.urls.actor("r000"), X)
    aid2 = await _receive(instance, 2)
    assert await _listed(instance, aid2) == expected[1:]


async def test_a_batch_past_its_time_still_processes_a_row(instance: Instance) -> None:
    await _known_sender(instance)
    alice = instance.rt.urls.actor("alice")
    await follow_store.upsert(instance.rt.store, alice, X, "accepted", None, 1.0)
    aids = [await _receive(instance, n, drain=False) for n in range(3)]
    worker = InboxWorker(instance.rt)
    worker.batch_seconds = -1.0  # every batch is over its time before it starts
    counts = [await worker.run_once() for _ in range(4)]
    # SQLite: one row per batch; PostgreSQL processes a claimed batch one row at a time,
    # with no time limit.
    assert counts == ([1, 1, 1, 0] if instance.rt.store.dialect == "sqlite" else [3, 0, 0, 0])
    for aid in aids:
        assert await _listed(instance, aid) == ["alice"]


async def _row(inst: Instance, n: int) -> tuple[object, ...]:
    aid = f"{X}/activities/{n}"
    return await activity_store.activity_row(
        inst.rt.store,
        uri=aid,
        actor_uri=X,
        type_="Announce",
        object_uri=f"{X}/notes/{n}",
        local=False,
        public=True,
        addressees=[PUBLIC],
        document={"id": aid, "type": "Announce", "actor": X, "object": f"{X}/notes/{n}"},
        published=1.0,
    )


async def test_recording_an_activity_lists_it_once_new_or_stored(instance: Instance) -> None:
    """inbox_items.record: on PostgreSQL one statement stores the activity and lists it (a
    data-modifying CTE); the listing finds the activity whether it is new or stored."""
    store = instance.rt.store
    row = await _row(instance, 1)
    await inbox_items.record(store, row, ["ana", "bob"], 1.0)
    aid = str(row[0])
    assert await _listed(instance, aid) == ["ana", "bob"]
    # Processed again (a lost done-mark), now for one more resident: stored once, each
    # resident listed once, counted once.
    await inbox_items.record(store, row, ["ana", "bob", "chloe"], 2.0)
    assert await _listed(instance, aid) == ["ana", "bob", "chloe"]
    stored = await store.fetchone("SELECT count(*) FROM activities WHERE uri = ?", (aid,))
    assert stored is not None and int(stored[0]) == 1
    counts = await store.fetchall(
        "SELECT scope, n FROM counters WHERE name = 'inbox' AND scope IN ('ana', 'bob', 'chloe')"
    )
    assert {r["scope"]: r["n"] for r in counts} == {"ana": 1, "bob": 1, "chloe": 1}
    # Nobody to list: the activity is stored all the same.
    alone = await _row(instance, 2)
    await inbox_items.record(store, alone, [], 3.0)
    assert await activity_store.get_activity(store, str(alone[0])) is not None


@pytest.mark.skipif(
    not os.environ.get(TEST_POSTGRES_ENV), reason="PostgreSQL's snapshots (SQLite: one writer)"
)
async def test_recording_an_activity_another_process_is_storing(instance: Instance) -> None:
    """The one-statement listing reads the stored activity in the statement's snapshot: an
    insert of the same activity committed by another process while the statement waited
    for it is not in it. The listing then runs again (add_many) instead of listing nobody."""
    import psycopg

    from fedivoisin.store.pg import schema_for_key

    row = await _row(instance, 3)
    schema = schema_for_key(str((instance.data_dir / "fedivoisin.sqlite3").resolve()))
    async with await psycopg.AsyncConnection.connect(os.environ[TEST_POSTGRES_ENV]) as other:
        await other.execute(f'SET search_path TO "{schema}"')
        await other.execute(postgres_statement(activity_store.INSERT_ACTIVITY), row)
        recording = asyncio.create_task(inbox_items.record(instance.rt.store, row, ["ana"], 1.0))
        await asyncio.sleep(0.5)  # the statement waits for the other's uncommitted row
        assert not recording.done()
        await other.commit()
    await asyncio.wait_for(recording, timeout=10)
    assert await _listed(instance, str(row[0])) == ["ana"]
