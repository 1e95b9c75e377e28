"""Taking turns at SQLite's write lock between processes (store/write_turns.py): a process
waiting for the lock is seen by the inbox worker of another, which commits its batch
early and gives way until the waiter has written."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from fedivoisin.store.db import Store
from fedivoisin.store.write_turns import GIVE_WAY_AT_MOST, WriteTurns


def test_a_waiter_is_seen_by_another_process_and_only_while_it_waits(tmp_path: Path) -> None:
    # Two open files behave as two processes do (flock is per open file).
    web, worker = WriteTurns(tmp_path / "db"), WriteTurns(tmp_path / "db")
    try:
        assert not worker.wanted()
        with web.waiting():
            with web.waiting():  # nested waits of one process: one announcement
                assert worker.wanted()
            assert worker.wanted()
            assert not web.wanted()  # a process never waits for itself
        assert not worker.wanted()
    finally:
        web.close()
        worker.close()


async def test_give_way_returns_when_the_waiter_is_done_or_after_its_bound(
    tmp_path: Path,
) -> None:
    web, worker = WriteTurns(tmp_path / "db"), WriteTurns(tmp_path / "db")
    try:
        with web.waiting():
            started = time.monotonic()
            await worker.give_way()  # a waiter that never finishes: bounded
            assert GIVE_WAY_AT_MOST <= time.monotonic() - started < GIVE_WAY_AT_MOST + 1

        async def wait_a_little() -> None:
            with web.waiting():
                await asyncio.sleep(0.03)

        waiting = asyncio.create_task(wait_a_little())
        await asyncio.sleep(0)
        started = time.monotonic()
        await worker.give_way()
        assert waiting.done() and time.monotonic() - started < GIVE_WAY_AT_MOST
    finally:
        web.close()
        worker.close()


@pytest.mark.sqlite_only
async def test_a_store_waiting_for_the_write_lock_announces_it(tmp_path: Path) -> None:
    """The announcement is made by the Store's own busy wait: while another connection
    holds the write lock, a write of the store shows as wanted to a third party."""
    path = tmp_path / "fedivoisin.sqlite3"
    store = await Store.open(path)
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    watcher = WriteTurns(path)
    try:
        other.execute("BEGIN IMMEDIATE")
        write = asyncio.create_task(
            store.execute("INSERT INTO instance_settings (key, value) VALUES ('k', 'v')")
        )
        for _ in range(200):
            await asyncio.sleep(0.005)
            if watcher.wanted():
                break
        assert watcher.wanted() and not write.done()
        other.execute("COMMIT")
        assert await asyncio.wait_for(write, 5) == 1
        assert not watcher.wanted()
    finally:
        other.close()
        watcher.close()
        await store.close()


@pytest.mark.sqlite_only
async def test_two_processes_starting_on_a_new_file_migrate_it_once(tmp_path: Path) -> None:
    """`serve --no-jobs` and its `worker` may start together on a new database: both
    must come up (each migration applied once, under <db>.migrate-lock), neither may
    fail on a table the other just created."""
    import subprocess
    import sys

    from fedivoisin.store.db import migrations

    code = (
        "import asyncio, sys\n"
        "from fedivoisin.store.db import Store\n"
        "async def main():\n"
        "    store = await Store.open(sys.argv[1])\n"
        "    await store.close()\n"
        "asyncio.run(main())\n"
    )
    for attempt in range(3):
        path = tmp_path / f"db{attempt}" / "fedivoisin.sqlite3"
        path.parent.mkdir()
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", code, str(path)],
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for p in procs:
            _, err = await asyncio.to_thread(p.communicate, timeout=120)
            assert p.returncode == 0, err
        con = sqlite3.connect(path)
        versions = [r[0] for r in con.execute("SELECT version FROM schema_version")]
        con.close()
        assert sorted(versions) == sorted(v for v, _, _ in migrations())
