"""`fedivoisin db migrate|status|copy` and `fedivoisin worker` (issue 14, docs/deploy.md).

`db copy` moves an instance from its SQLite file to PostgreSQL without losing anything:
every row of every table (ids, keys, follows, both queues, counters) is copied as is, in
one transaction, with triggers off (the counters and versions they maintain are copied
too), and the id sequences continue after the copied ids.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson

from .cli_commands import opened, settings_from
from .config import ConfigError, sqlite_path_of
from .store import stats
from .store.datadir import JOBS_LOCK_NAME, DataDirLock
from .store.db import Store, migrations_for

CHUNK = 1000


def add_commands(db: Any, sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = db.add_parser("migrate", help="apply pending migrations and print the schema version")
    common(p)
    p.set_defaults(handler=migrate)
    p = db.add_parser("status", help="engine, schema version, pending migrations, processes")
    common(p)
    p.set_defaults(handler=status)
    p = db.add_parser("copy", help="copy an instance's database, e.g. SQLite → PostgreSQL")
    p.add_argument("--from", dest="source", required=True, help="sqlite:///path/to/file")
    p.add_argument("--to", dest="target", required=True, help="postgresql://user@host/database")
    p.set_defaults(handler=copy)

    w = sub.add_parser(
        "worker", help="run the background jobs only, beside `serve --no-jobs` (docs/deploy.md)"
    )
    common(w)
    w.set_defaults(handler=worker)


def redact(url: str) -> str:
    """A database URL without its password, for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


async def migrate(args: argparse.Namespace) -> int:
    async with opened(args) as (_, store):  # opening applies what is pending
        print(f"schema version {await store.schema_version()} ({store.dialect})")
    return 0


async def status(args: argparse.Namespace) -> int:
    async with opened(args) as (settings, store):
        where = redact(settings.database_url) if settings.uses_postgres else str(settings.db_path)
        version = await store.schema_version()
        latest = max(v for v, _, _ in migrations_for(store.dialect))
        print(f"engine     {store.dialect}")
        print(f"database   {where}")
        print(f"schema     {version} (latest {latest})")
        rows = await store.fetchall("SELECT id, kind, seen_at FROM workers ORDER BY kind, id")
        print(f"processes  {len(rows)} running the jobs" if rows else "processes  none recorded")
        for r in rows:
            print(f"  {r['kind']:<7} {r['id']}")
    return 0


def _engine_target(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return url
    raise ConfigError("db copy --to: must be a postgresql:// URL")


def _sqlite_source(url: str) -> Path:
    path = sqlite_path_of(url)
    if path is None:
        raise ConfigError("db copy --from: must be sqlite:///path/to/fedivoisin.sqlite3")
    return path


async def copy(args: argparse.Namespace) -> int:
    source_path = _sqlite_source(args.source)
    target_url = _engine_target(args.target)
    if not source_path.is_file():
        raise ConfigError(f"db copy --from: no such file: {source_path}")
    src = await Store.open_sqlite(source_path)  # the file itself, whatever the environment
    try:
        dst = await Store.open(target_url)
        try:
            copied = await copy_stores(src, dst)
        finally:
            await dst.close()
    finally:
        await src.close()
    for table, n in copied.items():
        print(f"{table:<28} {n:>10,}")
    print(f"copied {sum(copied.values()):,} rows to {redact(target_url)}")
    return 0


async def copy_stores(src: Store, dst: Store) -> dict[str, int]:
    """Every row of src into the empty, migrated dst; rows per table."""
    import psycopg

    if await src.schema_version() != await dst.schema_version():
        raise ConfigError("db copy: the two databases are at different schema versions")
    r = await dst.fetchone("SELECT count(*) FROM actors")
    if r and int(r[0]) > 0:
        raise ConfigError("db copy --to: the target database is not empty (it has actors)")
    targets = await _insertable_columns(dst)
    copied: dict[str, int] = {}
    try:
        async with dst.transaction():
            # Triggers (counters, content versions, statuses) and foreign keys are off: the
            # rows they would derive are copied themselves.
            await dst.execute("SET LOCAL session_replication_role = replica")
            for table in await stats.tables(src):
                if table == "schema_version" or table not in targets:
                    continue
                copied[table] = await _copy_table(src, dst, table, targets[table])
            for table, columns in targets.items():
                if "id" in columns and columns["id"] == "bigint":
                    await dst.fetchone(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                        f" WHERE pg_get_serial_sequence('{table}', 'id') IS NOT NULL"
                    )
    except psycopg.errors.InsufficientPrivilege:
        raise ConfigError(
            "db copy: the PostgreSQL role must be allowed to SET session_replication_role"
            " (a superuser, or the database owner granted it)"
        ) from None
    return copied


async def _insertable_columns(dst: Store) -> dict[str, dict[str, str]]:
    rows = await dst.fetchall(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_generated = 'NEVER'"
        " ORDER BY table_name, ordinal_position"
    )
    out: dict[str, dict[str, str]] = {}
    for r in rows:
        out.setdefault(r[0], {})[r[1]] = r[2]
    return out


async def _copy_table(src: Store, dst: Store, table: str, target: dict[str, str]) -> int:
    names = [c for c in await stats.columns(src, table) if c in target]
    cols = ", ".join(f'"{c}"' for c in names)
    insert = f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' for _ in names)})"
    binary = [target[c] == "bytea" for c in names]
    text = [target[c] == "text" for c in names]
    n = 0
    last = None
    while True:  # keyset by rowid: constant memory on a big table
        where = "" if last is None else " WHERE rowid > ?"
        rows = await src.fetchall(
            f"SELECT rowid AS fv_rowid, {cols} FROM {table}{where} ORDER BY rowid LIMIT {CHUNK}",
            () if last is None else (last,),
        )
        if not rows:
            return n
        batch = [
            tuple(_value(v, binary[i], text[i], names[i]) for i, v in enumerate(tuple(r)[1:]))
            for r in rows
        ]
        await dst.executemany(insert, batch)
        n += len(batch)
        last = rows[-1][0]


def _value(v: Any, binary: bool, text: bool, column: str) -> Any:
    if binary and isinstance(v, str):
        return v.encode()
    if text and isinstance(v, bytes):
        if column == "document":  # a received object's compressed JSON (SQLite only)
            from .store.activities import decode_document

            return orjson.dumps(decode_document(v)).decode()
        return v.decode("utf-8", "replace")
    return v


def worker(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    # On SQLite one process runs the jobs: this one, beside a `serve --no-jobs` (their
    # shared data directory's jobs.lock says so), so processing has a core of its own.
    locks = (
        []
        if settings.uses_postgres
        else DataDirLock.acquire_all(settings.data_dir, [JOBS_LOCK_NAME])
    )
    from .logs import configure

    configure(settings.log_level, settings.log_format)
    try:
        return asyncio.run(_work(settings))
    finally:
        for lock in locks:
            lock.release()


async def _work(settings: Any) -> int:
    from .cli_commands import served_origin
    from .clock import SystemClock
    from .jobs import Jobs
    from .remote import http
    from .runtime import Runtime

    store = await Store.open(settings.database, pool_size=settings.db_pool_size)
    store.checkpoint_in_background()  # SQLite: this process writes the most
    settings = await served_origin(settings, store)
    rt = Runtime(settings=settings, store=store, clock=SystemClock())
    jobs = Jobs(rt, "worker")
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done.set)
    try:
        http(rt).warm()
        await jobs.start()
        print(f"fedivoisin worker for {settings.origin}", flush=True)
        await done.wait()
    finally:
        await jobs.stop()
        if rt.http_client is not None:
            with contextlib.suppress(Exception):
                await rt.http_client.close()
        await store.close()
    return 0
