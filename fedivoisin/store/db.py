"""The embedded SQLite database: one connection, WAL, versioned migrations applied at start.

Why one connection: aiosqlite runs every call on one thread; SQLite allows one writer at a
time anyway, and a single connection lets concurrent requests share transactions cheaply.
The CLI opens its own connection to the same file (WAL lets it work while the server runs).
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    "PRAGMA temp_store=MEMORY",
)

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every packaged migration, in order."""
    found = []
    for entry in resources.files("fedivoisin.store").joinpath("migrations").iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text("utf-8")))
    return sorted(found)


class Store:
    """Owns the connection. SQL lives only in fedivoisin/store/."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self.db = db
        self.path = path
        # One connection is shared by every coroutine: writes are serialised so that no
        # statement of one request lands inside (or is rolled back with) another's
        # transaction. Re-entrant for the task that holds it.
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        # Bumped by every write of this process that may change content (web/render_cache
        # re-reads content versions after one; writes of the inbox queue pass content=False).
        self.generation = 0

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if self._owner is not None and self._owner is task:
            yield
            return
        async with self._lock:
            self._owner = task
            try:
                yield
            finally:
                self._owner = None

    @classmethod
    async def open(cls, path: Path) -> Store:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        new = not path.exists()
        db = await aiosqlite.connect(str(path), isolation_level=None)
        db.row_factory = sqlite3.Row
        for pragma in PRAGMAS:
            await db.execute(pragma)
        if new or path.stat().st_mode & 0o077:
            _restrict(path)
        store = cls(db, path)
        await store.migrate()
        return store

    async def close(self) -> None:
        await self.db.close()

    async def migrate(self) -> int:
        await self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        rows = await self.fetchall("SELECT version FROM schema_version")
        done = {r["version"] for r in rows}
        current = max(done, default=0)
        for version, name, sql in migrations():
            if version in done:
                continue
            # executescript commits; wrap so a failing migration leaves nothing half-applied.
            await self.db.executescript(
                "BEGIN IMMEDIATE;\n"
                + sql
                + f"\nINSERT INTO schema_version VALUES ({version}, '{name}', datetime('now'));"
                + "\nCOMMIT;"
            )
            current = version
        for suffix in ("-wal", "-shm"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                _restrict(p)
        return current

    async def schema_version(self) -> int:
        row = await self.fetchone("SELECT max(version) AS v FROM schema_version")
        return int(row["v"] or 0) if row else 0

    # Thin helpers so the per-table modules stay short.
    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        async with self.db.execute(sql, tuple(params)) as cur:
            return await cur.fetchone()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        async with self.db.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    async def execute(self, sql: str, params: Iterable[Any] = (), *, content: bool = True) -> int:
        """Run one statement in autocommit mode; returns the row count. `content=False`
        only for tables no public representation shows (the inbox queue)."""
        try:
            async with self._writing(), self.db.execute(sql, tuple(params)) as cur:
                return cur.rowcount
        finally:
            if content:
                self.generation += 1

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        try:
            async with self._writing(), self.db.execute(sql, tuple(params)) as cur:
                return int(cur.lastrowid or 0)
        finally:
            self.generation += 1

    async def executemany(
        self, sql: str, rows: Iterable[Iterable[Any]], *, content: bool = True
    ) -> None:
        batch = [tuple(r) for r in rows]
        async with self.transaction(content=content):
            await self.db.executemany(sql, batch)

    @asynccontextmanager
    async def transaction(self, *, content: bool = True) -> AsyncIterator[Store]:
        """BEGIN IMMEDIATE … COMMIT, holding the write lock. Nested use joins the outer one.
        Callers must not await unrelated network I/O inside."""
        task = asyncio.current_task()
        if self._owner is not None and self._owner is task:
            yield self
            return
        async with self._writing():
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                await self.db.execute("ROLLBACK")
                if content:
                    self.generation += 1
                raise
            await self.db.execute("COMMIT")
            if content:
                self.generation += 1


def _restrict(path: Path) -> None:
    """Private keys live in the database: owner-only permissions."""
    try:
        os.chmod(path, 0o600)
    except FileNotFoundError:
        pass
