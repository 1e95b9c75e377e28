"""The embedded SQLite database: one connection, WAL, versioned migrations applied at start.

Why one connection: SQLite allows one writer at a time anyway, and a single connection lets
concurrent requests share transactions cheaply. The CLI opens its own connection to the
same file (WAL lets it work while the server runs).

Why statements run on the event loop's thread (issue 14, docs/performance.md "Inbox
processing"): a statement on a local, cached SQLite file takes a few microseconds, while
handing it to a database thread and back (aiosqlite) cost three thread hops of tens of
microseconds each: most of the inbox worker's time went into hops. The one wait that may be
long, another process holding the write lock, never blocks the loop: the connection has no
busy timeout and `_run` retries with asyncio.sleep until BUSY_TIMEOUT.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from ..config import sqlite_path_of
from .checkpoint import WAL_BOUND_PAGES, Checkpointer
from .write_turns import WriteTurns

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=0",  # waits are asynchronous: Store._run
    "PRAGMA temp_store=MEMORY",
)
#: How long a statement waits for another process's write lock (the CLI, a backup) before
#: it fails, as the 10 s busy_timeout used to.
BUSY_TIMEOUT = 10.0
RETRY_AT_MOST = 0.002  # seconds between two attempts at a busy write lock
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_T = TypeVar("_T")

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+(\.pg)?\.sql$")

#: Set by scripts/test for the suite's second run, on PostgreSQL: a data directory's SQLite
#: path then maps to its own schema of that cluster (not a FEDIVOISIN_ setting: tests that
#: isolate a child process from the caller's settings keep it).
TEST_POSTGRES_ENV = "FV_TEST_POSTGRES"


def migrations_for(dialect: str) -> list[tuple[int, str, str]]:
    """(version, name, sql) for every packaged migration, in order. One source of truth:
    PostgreSQL runs the same files translated (store/dialect.py), or a `NNN_name.pg.sql`
    twin where a file cannot be translated."""
    chosen: dict[int, tuple[str, str]] = {}
    for entry in resources.files("fedivoisin.store").joinpath("migrations").iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if not m:
            continue
        twin = m.group(2) is not None
        if twin and dialect != "postgres":
            continue
        version = int(m.group(1))
        if twin or version not in chosen:
            chosen[version] = (entry.name, entry.read_text("utf-8"))
    return sorted((v, name, sql) for v, (name, sql) in chosen.items())


def migrations() -> list[tuple[int, str, str]]:
    """The SQLite migrations."""
    return migrations_for("sqlite")


def is_integrity_error(exc: BaseException) -> bool:
    """A UNIQUE/NOT NULL/FOREIGN KEY violation on either engine."""
    if isinstance(exc, sqlite3.IntegrityError):
        return True
    errors = sys.modules.get("psycopg")
    return errors is not None and isinstance(exc, errors.IntegrityError)


class Store:
    """Owns the connection. SQL lives only in fedivoisin/store/ and is written once, in
    SQLite's syntax; `pg.PgStore` runs the same statements on PostgreSQL."""

    dialect = "sqlite"

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
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
        self._savepoints = 0
        self._checkpointer: Checkpointer | None = None
        self.turns = WriteTurns(path)

    async def _run(self, call: Callable[[], _T]) -> _T:
        """Run one SQLite call now; while another process holds the write lock, wait for
        it without blocking the event loop (a failed statement changed nothing: WAL
        readers never wait, and writers take the lock at BEGIN IMMEDIATE)."""
        try:
            return call()
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", None) not in (_SQLITE_BUSY, _SQLITE_LOCKED):
                raise
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BUSY_TIMEOUT
        delay = 0.0005
        with self.turns.waiting():  # the inbox worker of another process gives way
            while True:
                await asyncio.sleep(delay)
                try:
                    return call()
                except sqlite3.OperationalError as exc:
                    code = getattr(exc, "sqlite_errorcode", None)
                    if code not in (_SQLITE_BUSY, _SQLITE_LOCKED) or loop.time() >= deadline:
                        raise
                # Retry often: the other process commits early for a waiter
                # (store/write_turns.py); a failed attempt costs microseconds.
                delay = min(delay * 2, RETRY_AT_MOST)

    def _fetchall(self, sql: str, params: tuple[Any, ...]) -> list[sqlite3.Row]:
        return self.db.execute(sql, params).fetchall()

    def _fetchone(self, sql: str, params: tuple[Any, ...]) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(sql, params).fetchone()
        return row

    def _rowcount(self, sql: str, params: tuple[Any, ...]) -> int:
        return self.db.execute(sql, params).rowcount

    def _lastrowid(self, sql: str, params: tuple[Any, ...]) -> int:
        return int(self.db.execute(sql, params).lastrowid or 0)

    async def _statement(self, sql: str) -> None:
        await self._run(lambda: self.db.execute(sql))

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
    async def open(cls, where: Path | str, *, pool_size: int = 10) -> Store:
        """The database a setting names: a `postgresql://` URL, a `sqlite:///` URL or an
        SQLite file path.
        Under the test suite's PostgreSQL switch a path maps to its own schema."""
        if isinstance(where, str) and where.startswith(("postgresql://", "postgres://")):
            from .pg import PgStore

            return await PgStore.connect(where, pool_size=pool_size)
        # The setting's `sqlite:///` form too: taken as a path it made a directory "sqlite:".
        path = (isinstance(where, str) and sqlite_path_of(where)) or Path(where)
        test_url = os.environ.get(TEST_POSTGRES_ENV)
        if test_url:
            from .pg import PgStore, register_test_schema, schema_for_key

            key = str(path.resolve())
            schema = schema_for_key(key)
            await register_test_schema(test_url, schema, key)
            return await PgStore.connect(test_url, schema=schema, pool_size=pool_size)
        return await cls.open_sqlite(path)

    @classmethod
    async def open_sqlite(cls, path: Path) -> Store:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        new = not path.exists()
        # check_same_thread=False: the connection is only used from the event loop's
        # thread, but a test or a tool may open the store on one loop and close it from
        # another thread's; SQLite's serialized mode keeps that safe.
        db = sqlite3.connect(str(path), isolation_level=None, timeout=0, check_same_thread=False)
        db.row_factory = sqlite3.Row
        store = cls(db, path)
        try:
            for pragma in PRAGMAS:
                # Busy while another process creates or migrates the same new file
                # (turning WAL on needs the file to itself): waited for like any statement.
                await store._run(lambda pragma=pragma: db.execute(pragma))
            if new or path.stat().st_mode & 0o077:
                _restrict(path)
            await store.migrate()
        except BaseException:
            await store.close()
            raise
        return store

    def checkpoint_in_background(self) -> None:
        """For the long-running server (web/app.py): WAL checkpoints leave the event
        loop's thread (store/checkpoint.py). Short-lived CLI commands keep SQLite's own."""
        if self._checkpointer is not None:
            return
        self.db.execute(f"PRAGMA wal_autocheckpoint={WAL_BOUND_PAGES}")
        self._checkpointer = Checkpointer(self.path)
        self._checkpointer.start()

    async def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self.db.close()
        self.turns.close()

    async def migrate(self) -> int:
        await self._statement(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        rows = await self.fetchall("SELECT version FROM schema_version")
        done = {r["version"] for r in rows}
        current = max(done, default=0)
        if not all(version in done for version, _, _ in migrations()):
            # Two processes starting on one file (`serve --no-jobs` and its `worker`) must
            # not both apply a migration: one at a time, each reading what is left once it
            # holds the file lock (PostgreSQL: an advisory lock, store/pg.py).
            async with _file_lock(self.path.with_name(self.path.name + ".migrate-lock")):
                current = await self._apply_migrations()
        for suffix in ("-wal", "-shm"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                _restrict(p)
        return current

    async def _apply_migrations(self) -> int:
        rows = await self.fetchall("SELECT version FROM schema_version")
        done = {r["version"] for r in rows}
        current = max(done, default=0)
        for version, name, sql in migrations():
            if version in done:
                continue
            # executescript commits; wrap so a failing migration leaves nothing half-applied.
            script = (
                "BEGIN IMMEDIATE;\n"
                + sql
                + f"\nINSERT INTO schema_version VALUES ({version}, '{name}', datetime('now'));"
                + "\nCOMMIT;"
            )
            try:
                await self._run(lambda script=script: self.db.executescript(script))
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
            current = version
        return current

    async def schema_version(self) -> int:
        row = await self.fetchone("SELECT max(version) AS v FROM schema_version")
        return int(row["v"] or 0) if row else 0

    # Thin helpers so the per-table modules stay short.
    # Inside the calling task's own transaction() the write lock is held (BEGIN IMMEDIATE):
    # no statement can be busy, so the calls below skip the lock and the busy wait. The
    # inbox worker's batches run ~10 statements per activity that way (docs/performance.md
    # "Inbox processing").

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        args = tuple(params)
        if self.in_transaction():
            return self._fetchone(sql, args)
        return await self._run(lambda: self._fetchone(sql, args))

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        args = tuple(params)
        if self.in_transaction():
            return self._fetchall(sql, args)
        return await self._run(lambda: self._fetchall(sql, args))

    async def execute(self, sql: str, params: Iterable[Any] = (), *, content: bool = True) -> int:
        """Run one statement in autocommit mode; returns the row count. `content=False`
        only for tables no public representation shows (the inbox queue)."""
        args = tuple(params)
        try:
            if self.in_transaction():
                return self._rowcount(sql, args)
            async with self._writing():
                return await self._run(lambda: self._rowcount(sql, args))
        finally:
            if content:
                self.generation += 1

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        args = tuple(params)
        try:
            if self.in_transaction():
                return self._lastrowid(sql, args)
            async with self._writing():
                return await self._run(lambda: self._lastrowid(sql, args))
        finally:
            self.generation += 1

    async def executemany(
        self, sql: str, rows: Iterable[Iterable[Any]], *, content: bool = True
    ) -> None:
        batch = [tuple(r) for r in rows]
        async with self.transaction(content=content):
            self.db.executemany(sql, batch)  # inside BEGIN IMMEDIATE: never busy

    async def insert_new(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """Insert rows, skipping those that collide with a unique key (INSERT OR IGNORE):
        the bulk path of a fan-out. PostgreSQL overrides it with COPY."""
        marks = ", ".join("?" for _ in columns)
        await self.executemany(
            f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
        )

    @asynccontextmanager
    async def session(self, *, asynchronous_commit: bool = False) -> AsyncIterator[None]:
        """Keep one connection for the task's statements (PostgreSQL); SQLite has one, and
        its batches commit once anyway."""
        yield

    def in_transaction(self) -> bool:
        """Whether the calling task is inside transaction()."""
        return self._owner is not None and self._owner is asyncio.current_task()

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction inside transaction(): rolled back alone on error."""
        if not self.in_transaction():
            raise RuntimeError("savepoint() outside a transaction")
        self._savepoints += 1
        name = f"fv_sp{self._savepoints}"
        self.db.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.db.execute(f"ROLLBACK TO {name}")
            self.db.execute(f"RELEASE {name}")
            raise
        finally:
            self._savepoints -= 1
        self.db.execute(f"RELEASE {name}")

    @asynccontextmanager
    async def transaction(self, *, content: bool = True) -> AsyncIterator[Store]:
        """BEGIN IMMEDIATE … COMMIT, holding the write lock. Nested use is a savepoint of
        the outer one (its error undoes its own writes only, as it would alone). Callers
        must not await network I/O inside (the inbox worker's batches: net.offline)."""
        task = asyncio.current_task()
        if self._owner is not None and self._owner is task:
            async with self.savepoint():
                yield self
            return
        async with self._writing():
            await self._statement("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                if content:
                    self.generation += 1
                raise
            self.db.execute("COMMIT")  # WAL: the writer already holds the lock
            if content:
                self.generation += 1


@asynccontextmanager
async def _file_lock(path: Path) -> AsyncIterator[None]:
    """An exclusive flock on `path`, waited for in a thread (the kernel drops it if the
    holder dies)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _restrict(path: Path) -> None:
    """Private keys live in the database: owner-only permissions."""
    try:
        os.chmod(path, 0o600)
    except FileNotFoundError:
        pass
