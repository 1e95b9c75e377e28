"""The PostgreSQL backend: the same Store interface on psycopg 3 with a connection pool.

Why psycopg 3 (docs/architecture.md "Dependencies"): native asyncio, a maintained pool
(psycopg_pool), server-side parameter binding and COPY, and the Row/transaction model maps
one-to-one onto what the SQLite Store offers, so the per-table modules run unchanged. SQL is
written once (SQLite syntax) and translated by `dialect.py`.

Connections: statements outside a transaction take any pooled connection (autocommit);
`transaction()` pins one connection to the calling task (a context variable, checked
against the task so child tasks never borrow it) until COMMIT.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.adapt import Dumper, Loader
from psycopg.types.string import StrDumperUnknown
from psycopg_pool import AsyncConnectionPool

from .db import Store, migrations_for
from .dialect import postgres_migration, postgres_statement

_MIGRATION_LOCK = 0x66766D67  # "fvmg": one migrating process at a time
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Row(Sequence[Any]):
    """sqlite3.Row's behaviour: by index, by column name, keys(), dict(row)."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: tuple[str, ...], values: tuple[Any, ...]) -> None:
        self._names = names
        self._values = values

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            try:
                return self._values[self._names.index(key)]
            except ValueError:
                raise IndexError(f"no such column: {key}") from None
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def keys(self) -> list[str]:
        return list(self._names)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._names, self._values, strict=True))!r})"


def _row_factory(cursor: Any) -> Any:
    names = tuple(c.name for c in cursor.description or ())

    def make(values: Sequence[Any]) -> Row:
        return Row(names, tuple(values))

    return make


class _BoolAsInt(Dumper):
    """SQLite has no boolean: columns are integers and callers pass True/False."""

    oid = psycopg.adapters.types["int8"].oid

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


class _NumericLoader(Loader):
    """sum()/avg()/extract() give numeric; SQLite gives int or float."""

    def load(self, data: Any) -> int | float:
        d = Decimal(bytes(data).decode())
        return int(d) if d == d.to_integral_value() else float(d)


class _StrWithoutNul(StrDumperUnknown):
    """PostgreSQL text cannot hold NUL, which SQLite stores: a received string carrying one
    (junk, tests/security/test_fuzz.py) is kept with U+FFFD in its place instead of failing
    the whole activity. JSON documents are unaffected (orjson writes NUL as an escape)."""

    def dump(self, obj: str) -> Any:
        return super().dump(obj.replace("\x00", "\ufffd") if "\x00" in obj else obj)


def _configure_adapters(context: Any) -> None:
    context.adapters.register_dumper(bool, _BoolAsInt)
    context.adapters.register_dumper(str, _StrWithoutNul)
    context.adapters.register_loader("numeric", _NumericLoader)


class PgStore(Store):
    """Store on PostgreSQL. `schema` isolates one instance's tables (tests run many
    instances on one cluster); production uses the database's default search path."""

    dialect = "postgres"

    def __init__(self, pool: AsyncConnectionPool, url: str, schema: str | None) -> None:
        super().__init__(None, None)  # type: ignore[arg-type]
        self.pool = pool
        self.url = url
        self.schema = schema
        self._tx: contextvars.ContextVar[tuple[asyncio.Task[Any], Any] | None] = (
            contextvars.ContextVar(f"fv_tx_{id(self)}", default=None)
        )
        self._pinned: contextvars.ContextVar[tuple[asyncio.Task[Any], Any] | None] = (
            contextvars.ContextVar(f"fv_pin_{id(self)}", default=None)
        )

    @classmethod
    async def connect(cls, url: str, *, schema: str | None = None, pool_size: int = 10) -> PgStore:
        if schema is not None and not _SCHEMA.match(schema):
            raise ValueError(f"invalid schema name: {schema!r}")
        if schema is not None:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await conn.execute(
                    pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(pgsql.Identifier(schema))
                )

        async def configure(conn: psycopg.AsyncConnection[Any]) -> None:
            _configure_adapters(conn)
            conn.row_factory = _row_factory
            if schema is not None:
                await conn.execute(
                    pgsql.SQL("SET search_path TO {}").format(pgsql.Identifier(schema))
                )

        pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max(2, pool_size),
            kwargs={"autocommit": True},
            configure=configure,
            open=False,
            timeout=30,
        )
        await pool.open(wait=True, timeout=30)
        store = cls(pool, url, schema)
        try:
            await store.migrate()
        except BaseException:
            await pool.close()
            raise
        return store

    def checkpoint_in_background(self) -> None:
        """PostgreSQL checkpoints in its own processes."""

    async def close(self) -> None:
        await self.pool.close()

    def _current(self) -> Any:
        held = self._tx.get()
        if held is not None and held[0] is asyncio.current_task():
            return held[1]
        return None

    def in_transaction(self) -> bool:
        return self._current() is not None

    def _pinned_conn(self) -> Any:
        held = self._pinned.get()
        if held is not None and held[0] is asyncio.current_task():
            return held[1]
        return None

    @asynccontextmanager
    async def _conn(self) -> AsyncIterator[Any]:
        conn = self._current() or self._pinned_conn()
        if conn is not None:
            yield conn
            return
        async with self.pool.connection() as conn:
            yield conn

    @asynccontextmanager
    async def session(self, *, asynchronous_commit: bool = False) -> AsyncIterator[None]:
        """One pooled connection for the task's statements (still autocommit) until the
        block ends: a worker processing one inbox row runs ~10 statements, and taking a
        connection from the pool for each cost ~7 % of its CPU (bench/scale_bench.py).

        `asynchronous_commit`: its commits do not wait for the WAL flush (PostgreSQL's
        synchronous_commit = off; a crash may lose the last fraction of a second of them,
        never a later one without the earlier ones). Only for work redone from a durable
        queue when it is lost: the inbox worker's rows."""
        if self._current() is not None or self._pinned_conn() is not None:
            yield
            return
        async with self.pool.connection() as conn:
            token = self._pinned.set((asyncio.current_task(), conn))  # type: ignore[arg-type]
            try:
                if asynchronous_commit:
                    await conn.execute("SET synchronous_commit = off")
                yield
            finally:
                self._pinned.reset(token)
                if asynchronous_commit:
                    with contextlib.suppress(psycopg.Error):  # a broken one leaves the pool
                        await conn.execute("RESET synchronous_commit")

    async def migrate(self) -> int:
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            cur = await conn.execute("SELECT version FROM schema_version")
            done = {r[0] for r in await cur.fetchall()}
            current = max(done, default=0)
            for version, name, script in migrations_for("postgres"):
                if version in done:
                    continue
                for stmt in postgres_migration(script):
                    await conn.execute(stmt)
                await conn.execute(
                    "INSERT INTO schema_version VALUES (%s, %s, to_char(now(), 'YYYY-MM-DD HH24:MI:SS'))",
                    (version, name),
                )
                current = version
        return current

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Any:
        async with self._conn() as conn:
            cur = await conn.execute(postgres_statement(sql), tuple(params))
            return await cur.fetchone()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        async with self._conn() as conn:
            cur = await conn.execute(postgres_statement(sql), tuple(params))
            return list(await cur.fetchall())

    async def execute(self, sql: str, params: Iterable[Any] = (), *, content: bool = True) -> int:
        try:
            async with self._conn() as conn:
                cur = await conn.execute(postgres_statement(sql), tuple(params))
                return int(cur.rowcount)
        finally:
            if content:
                self.generation += 1

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        """The new row's id (RETURNING id): every table inserted through here has one."""
        try:
            async with self._conn() as conn:
                cur = await conn.execute(postgres_statement(sql) + " RETURNING id", tuple(params))
                row = await cur.fetchone()
                return int(row[0]) if row else 0
        finally:
            self.generation += 1

    async def executemany(
        self, sql: str, rows: Iterable[Iterable[Any]], *, content: bool = True
    ) -> None:
        batch = [tuple(r) for r in rows]
        if not batch:
            return
        async with self.transaction(content=content):
            conn = self._current()
            async with conn.cursor() as cur:
                await cur.executemany(postgres_statement(sql), batch)

    async def insert_new(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """COPY, in a savepoint: a fan-out's 1,000 delivery rows took 50–260 ms as
        pipelined INSERTs and take ~16 ms as one COPY (docs/performance.md). COPY cannot
        skip duplicates, so a batch that collides with a unique key is undone and inserted
        again with INSERT … ON CONFLICT DO NOTHING."""
        batch = [tuple(r) for r in rows]
        if not batch:
            return
        names = pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns)
        copy = pgsql.SQL("COPY {} ({}) FROM STDIN").format(pgsql.Identifier(table), names)
        async with self.transaction():
            conn = self._current()
            try:
                async with conn.transaction(), conn.cursor() as cur:
                    async with cur.copy(copy) as pipe:
                        for row in batch:
                            await pipe.write_row(row)
                return
            except psycopg.errors.UniqueViolation:
                pass
        await super().insert_new(table, columns, batch)

    @asynccontextmanager
    async def transaction(self, *, content: bool = True) -> AsyncIterator[Store]:
        """One pooled connection for the task until COMMIT; nested use is a savepoint."""
        current = self._current()
        if current is not None:
            async with current.transaction():
                yield self
            return
        pinned = self._pinned_conn()
        async with contextlib.nullcontext(pinned) if pinned else self.pool.connection() as conn:
            token = self._tx.set((asyncio.current_task(), conn))  # type: ignore[arg-type]
            try:
                async with conn.transaction():
                    yield self
            finally:
                self._tx.reset(token)
                if content:
                    self.generation += 1

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction inside transaction(): rolled back alone on error."""
        conn = self._current()
        if conn is None:
            raise RuntimeError("savepoint() outside a transaction")
        async with conn.transaction():
            yield


def schema_for_key(key: str) -> str:
    """A stable schema name for a test instance's data directory."""
    return "t_" + hashlib.sha1(key.encode()).hexdigest()[:20]


async def register_test_schema(url: str, name: str, key: str) -> None:
    """Remember which data directory a test schema stands for, so the suite drops it
    when the test that made the directory ends (tests/conftest.py)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK + 1,))
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS public.fv_test_schemas"
                " (name TEXT PRIMARY KEY, key TEXT NOT NULL)"
            )
            await conn.execute(
                "INSERT INTO public.fv_test_schemas VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (name, key),
            )
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK + 1,))


async def drop_test_schemas(url: str, key_prefix: str) -> None:
    """Drop the schemas of every data directory under key_prefix."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cur = await conn.execute("SELECT to_regclass('public.fv_test_schemas')")
        row = await cur.fetchone()
        if row is None or row[0] is None:
            return  # no test has opened a PostgreSQL store on this cluster yet
        cur = await conn.execute(
            "SELECT name FROM public.fv_test_schemas WHERE starts_with(key, %s)", (key_prefix,)
        )
        for (name,) in await cur.fetchall():
            if _SCHEMA.match(name):
                await conn.execute(
                    pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(name))
                )
                await conn.execute("DELETE FROM public.fv_test_schemas WHERE name = %s", (name,))


__all__ = ["PgStore", "Row", "drop_test_schemas", "register_test_schema", "schema_for_key"]
