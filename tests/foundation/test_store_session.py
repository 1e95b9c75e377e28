"""Store.session(): one connection for a task's statements, on the suite's engine.

The inbox worker runs a received row's ~10 statements inside one session on PostgreSQL
(a pool checkout per statement cost ~7 % of its CPU). What must hold: the statements stay
autocommit (each visible to other connections at once), a transaction opened inside
the session runs on the same connection, and another task never borrows it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from fedivoisin.store.db import Store


async def _backend(store: Store) -> int:
    if store.dialect != "postgres":
        return 0
    r = await store.fetchone("SELECT pg_backend_pid()")
    assert r is not None
    return int(r[0])


async def test_a_session_keeps_one_connection_and_stays_autocommit(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "session.sqlite3")
    other = await Store.open(tmp_path / "session.sqlite3")  # another process, in effect
    try:
        await store.migrate()
        async with store.session():
            first = await _backend(store)
            await store.execute(
                "INSERT INTO instance_settings (key, value) VALUES ('session-test', '1')"
            )
            # Autocommit: another connection sees the row before the session ends.
            seen = await other.fetchone(
                "SELECT value FROM instance_settings WHERE key = 'session-test'"
            )
            assert seen is not None and seen[0] == "1"
            async with store.transaction():
                inside = await _backend(store)
                await store.execute(
                    "UPDATE instance_settings SET value = '2' WHERE key = 'session-test'"
                )
            # A child task takes its own connection, never the pinned one.
            child = await asyncio.create_task(_backend(store))
            assert await _backend(store) == first
        assert inside == first
        if store.dialect == "postgres":
            assert child != first
        r = await other.fetchone("SELECT value FROM instance_settings WHERE key = 'session-test'")
        assert r is not None and r[0] == "2"
    finally:
        await other.close()
        await store.close()


async def _synchronous_commit(store: Store) -> tuple[str, str]:
    """Its value and where it comes from ('session' once SET on the connection): the
    test cluster itself runs with synchronous_commit = off."""
    r = await store.fetchone(
        "SELECT setting, source FROM pg_settings WHERE name = 'synchronous_commit'"
    )
    assert r is not None
    return str(r[0]), str(r[1])


async def test_asynchronous_commit_stays_inside_its_session(tmp_path: Path) -> None:
    """The inbox worker's batches commit without waiting for the WAL flush; the pooled
    connection goes back to the others with PostgreSQL's durable default."""
    store = await Store.open(tmp_path / "async.sqlite3", pool_size=2)
    try:
        await store.migrate()
        if store.dialect != "postgres":
            async with store.session(asynchronous_commit=True):  # SQLite: nothing to set
                await store.execute("INSERT INTO instance_settings VALUES ('k', 'v')")
            assert await store.fetchone("SELECT 1 FROM instance_settings WHERE key = 'k'")
            return
        default = await _synchronous_commit(store)
        assert default[1] != "session"
        async with store.session(asynchronous_commit=True):
            assert await _synchronous_commit(store) == ("off", "session")
            pinned = await _backend(store)
            # Other tasks' statements keep durable commits.
            assert await asyncio.create_task(_synchronous_commit(store)) == default
        # Every pooled connection, the one the session had included, is durable again.
        seen = set()
        for _ in range(6):
            async with store.session():
                seen.add(await _backend(store))
                assert await _synchronous_commit(store) == default
        assert pinned in seen
    finally:
        await store.close()
