"""Several processes on one PostgreSQL (issue 14): web processes, worker processes that
share the queues, one of them SIGKILLed; and `db copy` from SQLite to PostgreSQL.

PostgreSQL only: these run in the suite's second run (scripts/test starts a throw-away
cluster and sets FV_TEST_POSTGRES); on the SQLite run they are skipped.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench.receiver import Receiver, loopback_hosts
from fedivoisin.clock import Clock
from fedivoisin.outbox.delivery import FLUSH_EVERY
from fedivoisin.store.db import TEST_POSTGRES_ENV, Store
from fedivoisin.store.pg import schema_for_key
from tests.rig import ProcessInstance, WorkerProcess, database, wait_for

from .conftest import (
    insert_follows,
    post_note,
    seed_followers,
    seeded_rows,
    trust_sender_key,
)

pytestmark = pytest.mark.skipif(
    not os.environ.get(TEST_POSTGRES_ENV),
    reason="needs PostgreSQL: runs in the suite's PostgreSQL run (scripts/test)",
)


async def shared_database(data_dir: Path) -> str:
    """A migrated schema for this data directory and the database_url naming it, which
    every process (web, worker, CLI) is given."""
    db_path = data_dir / "fedivoisin.sqlite3"
    store = await Store.open(db_path)  # the suite's switch: creates and registers the schema
    await store.close()
    schema = schema_for_key(str(db_path.resolve()))
    base = os.environ[TEST_POSTGRES_ENV]
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


DELAY = 0.03  # each receiver answers after 30 ms: the fan-out lasts a few seconds
FOLLOWERS_PER_INBOX = 10
INBOXES = 1000


async def test_two_web_and_two_worker_processes_fan_out_while_a_worker_is_killed(
    tmp_path: Path,
) -> None:
    """10,000 followers on 1,000 shared inboxes (1,000 loopback hosts); two `serve
    --no-jobs` processes (one takes the post, the other serves reads) and two `worker`
    processes share the deliveries; one worker is SIGKILLed mid-way. Every inbox gets the
    Create, validly signed, and every delivery row ends delivered. A row is sent by one
    process at a time (FOR UPDATE SKIP LOCKED + leases); the only repeats are the sends the
    killed worker made but had not recorded (its last FLUSH_EVERY), which its successor
    cannot know were made: receivers dedupe by activity id, as real servers do."""
    data = tmp_path / "a"
    url = await shared_database(data)
    common: dict[str, Any] = {
        "database_url": url,
        "run_jobs": False,
        "delivery_workers": 8,
        "delivery_lease": 2.0,  # the killed worker's rows come back after 2 s
        "worker_poll_interval": 0.2,
    }
    web1 = ProcessInstance(data, **common)
    web2 = ProcessInstance(data, base_url=web1.base_url, **common)  # behind one proxy
    followee = await web1.community("les-lilas", "Résidence Les Lilas")
    token = await web1.token("les-lilas")
    hosts = loopback_hosts(INBOXES, first=0x070000)  # 127.7.x.y: no other test uses them
    receiver = Receiver(hosts, delay=DELAY, verify=True, keep_bodies=False)
    await receiver.start()
    workers: list[WorkerProcess] = []
    try:
        seeded = seeded_rows(receiver, INBOXES, FOLLOWERS_PER_INBOX)
        await web1.admin(lambda store, _clock: insert_follows(store, followee, seeded))
        await web1.start()
        await web2.start()
        workers = [await WorkerProcess(web1).start(), await WorkerProcess(web1).start()]
        await trust_sender_key(web2, followee, [receiver])  # web2 answers for the same origin
        create_id = await post_note(web1, "les-lilas", token, "Assemblée générale mardi")
        expected = {receiver.shared_inbox(i) for i in range(INBOXES)}

        def arrived() -> set[str]:
            return {inbox for aid, inbox in receiver.unique() if aid == create_id}

        def claimers() -> set[str]:
            rows = database.query(
                data / "fedivoisin.sqlite3",
                "SELECT DISTINCT claimed_by FROM deliveries WHERE claimed_by IS NOT NULL",
            )
            return {str(r[0]).split(":")[1] for r in rows}

        async def both_working() -> bool:
            return {str(w.pid) for w in workers} <= await asyncio.to_thread(claimers)

        await wait_for(both_working, timeout=20, interval=0.02)

        async def a_third() -> bool:
            return len(arrived()) >= INBOXES // 3

        await wait_for(a_third, timeout=30, interval=0.01)
        workers[0].kill()
        assert len(arrived()) < INBOXES, "the kill must land mid-fan-out"

        async def complete() -> bool:
            return arrived() == expected

        await wait_for(complete, timeout=60, interval=0.1)

        def states() -> Counter[str]:
            rows = database.query(
                data / "fedivoisin.sqlite3",
                "SELECT state, count(*) FROM deliveries WHERE activity_uri = ? GROUP BY state",
                create_id,
            )
            return Counter({r[0]: int(r[1]) for r in rows})

        async def all_recorded() -> bool:
            return await asyncio.to_thread(states) == Counter(delivered=INBOXES)

        await wait_for(all_recorded, timeout=15)
    finally:
        for w in workers:
            await w.stop()
        await web2.stop()
        await web1.stop()
        await receiver.stop()

    assert not receiver.rejected  # every POST validly signed by the one key
    times = Counter(p.inbox for p in receiver.accepted(create_id))
    assert set(times) == expected
    repeats = sum(n - 1 for n in times.values())
    # Only what the killed worker had sent but not yet recorded can be sent again: its
    # sends in flight plus those answered since its last outcome write (FLUSH_EVERY).
    window = common["delivery_workers"] * (FLUSH_EVERY / DELAY + 1)
    assert repeats <= window, (repeats, window)
    assert sum(times.values()) == INBOXES + repeats


async def test_db_copy_moves_a_sqlite_instance_to_postgresql_and_it_still_federates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A populated SQLite instance (a community, its key, 30 followers on a receiver, one
    delivery pending to a host that refuses) is copied with `fedivoisin db copy`, restarted
    on PostgreSQL, and federates: the receiver verifies the next post with the key it
    already had, the followers count and the pending delivery are there."""
    pg = os.environ[TEST_POSTGRES_ENV]
    data = tmp_path / "a"
    monkeypatch.delenv(TEST_POSTGRES_ENV)  # phase 1 runs on a real SQLite file
    slow = {"retry_base_delay": 3600.0, "retry_max_delay": 7200.0}
    a = ProcessInstance(data, **slow)
    followee = await a.community("les-lilas", "Résidence Les Lilas")
    token = await a.token("les-lilas")
    receiver = Receiver(loopback_hosts(3, first=0x080000), verify=True)
    await receiver.start()
    try:
        seeded: list[tuple[str, str, str | None]] = [*seeded_rows(receiver, 3, 10)]
        seeded.append(
            ("http://127.0.0.1:9/users/gone", "http://127.0.0.1:9/users/gone/inbox", None)
        )

        async def seed(store: Store, _clock: Clock) -> None:
            await seed_followers(store, followee, seeded)

        await a.admin(seed)
        await a.start()
        before = (await a.get_json(followee)).json()
        first = await post_note(a, "les-lilas", token, "Avant le déménagement")
        sqlite_file = data / "fedivoisin.sqlite3"

        def pending() -> int:
            return int(
                database.query(
                    sqlite_file,
                    "SELECT count(*) FROM deliveries WHERE state = 'pending' AND attempts > 0",
                )[0][0]
            )

        async def sent() -> bool:
            got = {inbox for aid, inbox in receiver.unique() if aid == first}
            return len(got) == 3 and await asyncio.to_thread(pending) == 1

        await wait_for(sent, timeout=20)
        await a.stop()

        # Phase 2: the copy, into the schema this data directory maps to on PostgreSQL.
        monkeypatch.setenv(TEST_POSTGRES_ENV, pg)
        url = await shared_database(data)
        copy = [sys.executable, "-m", "fedivoisin", "db", "copy"]
        copy += ["--from", f"sqlite:///{sqlite_file}", "--to", url]
        out = await asyncio.to_thread(run, copy)
        assert out.returncode == 0, out.stderr
        assert "copied" in out.stdout and "actors" in out.stdout
        again = await asyncio.to_thread(run, copy)
        assert again.returncode == 2 and "not empty" in again.stderr  # never merges twice
        assert "Traceback" not in again.stderr

        # Phase 3: the same instance on PostgreSQL.
        b = ProcessInstance(data, port=a.port, database_url=url, **slow)
        await b.start()
        try:
            after = (await b.get_json(followee)).json()
            assert after["publicKey"] == before["publicKey"]
            followers = (await b.get_json(after["followers"])).json()
            assert followers["totalItems"] == 31
            assert pending() == 1  # the queued retry came along (PostgreSQL now)
            # The token moved (post_note asserts the 201); new ids follow the old.
            second = await post_note(b, "les-lilas", token, "Après le déménagement")

            async def federated() -> bool:
                got = {inbox for aid, inbox in receiver.unique() if aid == second}
                return len(got) == 3

            await wait_for(federated, timeout=20)
        finally:
            await b.stop()
    finally:
        await receiver.stop()
    assert not receiver.rejected  # the moved key signs as before


async def test_serve_workers_runs_n_processes_on_one_port_and_replaces_a_killed_one(
    tmp_path: Path,
) -> None:
    """`fedivoisin serve --workers 2`: one port, two processes, each with the app and the
    jobs (both beat in `workers`). A post made through the port is delivered once to each
    follower's inbox; one process SIGKILLed is replaced while the port keeps answering;
    SIGTERM to the parent stops them all, each removing its row."""
    data = tmp_path / "a"
    url = await shared_database(data)
    inst = ProcessInstance(data, database_url=url, web_workers=2, worker_poll_interval=0.2)
    followee = await inst.community("les-lilas", "Résidence Les Lilas")
    token = await inst.token("les-lilas")
    receiver = Receiver(loopback_hosts(4, first=0x0A0000), verify=True)
    await receiver.start()

    def serving() -> set[int]:
        rows = database.query(data / "fedivoisin.sqlite3", "SELECT id FROM workers")
        return {int(str(r[0]).split(":")[1]) for r in rows}

    async def pids(n: int) -> bool:
        return len(await asyncio.to_thread(serving)) == n

    try:
        seeded = seeded_rows(receiver, 4, 3)
        await inst.admin(lambda store, _clock: insert_follows(store, followee, seeded))
        await inst.start()
        await wait_for(lambda: pids(2), timeout=20, interval=0.1)
        first = serving()
        assert inst.proc is not None and inst.proc.pid not in first  # the parent only supervises

        await trust_sender_key(inst, followee, [receiver])
        create_id = await post_note(inst, "les-lilas", token, "Fête des voisins samedi")
        expected = {receiver.shared_inbox(i) for i in range(4)}

        async def delivered() -> bool:
            return {inbox for aid, inbox in receiver.unique() if aid == create_id} == expected

        await wait_for(delivered, timeout=20, interval=0.05)

        killed = min(first)
        os.kill(killed, signal.SIGKILL)
        for _ in range(20):  # the port answers throughout: the other process serves
            assert (await inst.get_json(followee)).status_code == 200
            await asyncio.sleep(0.05)

        async def replaced() -> bool:
            alive = await asyncio.to_thread(serving)
            return len(alive - first) == 1 and (first - {killed}) <= alive

        await wait_for(replaced, timeout=30, interval=0.2)
        assert (await inst.get_json(followee)).status_code == 200
        database.execute(
            data / "fedivoisin.sqlite3", "DELETE FROM workers WHERE id LIKE ?", f"%:{killed}:%"
        )  # the SIGKILLed one could not remove its own row
        assert inst.proc is not None
        inst.proc.terminate()
        assert await asyncio.to_thread(inst.proc.wait, 30) == 0
        assert serving() == set(), "each process removes its row when it stops"
    finally:
        await inst.stop()
        await receiver.stop()

    assert not receiver.rejected
    times = Counter(p.inbox for p in receiver.accepted(create_id))
    assert times == Counter({inbox: 1 for inbox in expected}), times
