"""The server's SQLite log is copied back into the database file by a thread of its own
(store/checkpoint.py), not inside the COMMITs of the event loop: the file is current while
the server runs, and closing the store stops the thread."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest

from fedivoisin.store.checkpoint import WAL_BOUND_PAGES
from fedivoisin.store.db import Store

pytestmark = pytest.mark.sqlite_only


def _threads_for(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"sqlite-checkpoint:{name}"]


async def test_the_log_reaches_the_database_file_without_a_checkpointing_commit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wal-thread.sqlite3"
    store = await Store.open_sqlite(path)
    store.checkpoint_in_background()
    try:
        row = store.db.execute("PRAGMA wal_autocheckpoint").fetchone()
        assert row[0] == WAL_BOUND_PAGES  # commits checkpoint only past the bound
        await store.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)")
        before = path.stat().st_size
        for _ in range(20):  # ~2,000 pages of log: far below the commits' bound
            async with store.transaction():
                store.db.executemany(
                    "INSERT INTO filler (body) VALUES (?)", [(os.urandom(4000),)] * 100
                )
        deadline = time.monotonic() + 10
        while path.stat().st_size < before + 6_000_000:
            assert time.monotonic() < deadline, "the background checkpoint never copied the log"
            await asyncio.sleep(0.02)
        assert len(_threads_for(path.name)) == 1
    finally:
        await store.close()
    assert _threads_for(path.name) == []
    reopened = await Store.open_sqlite(path)
    try:
        row = await reopened.fetchone("SELECT count(*) AS n FROM filler")
        assert row is not None and row["n"] == 2000
    finally:
        await reopened.close()


async def test_short_lived_stores_keep_sqlites_own_checkpoints(tmp_path: Path) -> None:
    """CLI commands open the store for a moment: no thread, SQLite's default bound."""
    path = tmp_path / "cli.sqlite3"
    store = await Store.open_sqlite(path)
    try:
        assert store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
        assert _threads_for(path.name) == []
    finally:
        await store.close()
