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
