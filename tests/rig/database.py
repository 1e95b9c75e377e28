"""Read or change an instance's database from outside it, as another process would (the
CLI, a second server): a separate connection on whichever engine the suite runs on.

Tests written against this run unchanged on SQLite and on the suite's PostgreSQL run
(FV_TEST_POSTGRES), where a data directory's SQLite path names its own schema.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from fedivoisin.store.db import TEST_POSTGRES_ENV


def _postgres(path: Path) -> Any:
    import psycopg

    from fedivoisin.store.pg import _row_factory, schema_for_key

    conn = psycopg.connect(os.environ[TEST_POSTGRES_ENV], autocommit=True)
    conn.row_factory = _row_factory
    conn.execute(f'SET search_path TO "{schema_for_key(str(path.resolve()))}"')
    return conn


def query(db_path: Path, sql: str, *params: Any) -> list[Any]:
    """Rows of one SELECT (sqlite3.Row-like: by index and by column name)."""
    if os.environ.get(TEST_POSTGRES_ENV):
        from fedivoisin.store.dialect import postgres_statement

        with _postgres(db_path) as conn:
            return list(conn.execute(postgres_statement(sql), params).fetchall())
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    db.row_factory = sqlite3.Row
    try:
        return list(db.execute(sql, params))
    finally:
        db.close()


def execute(db_path: Path, sql: str, *params: Any) -> int:
    """One committed write; the number of rows it changed."""
    if os.environ.get(TEST_POSTGRES_ENV):
        from fedivoisin.store.dialect import postgres_statement

        with _postgres(db_path) as conn:
            return int(conn.execute(postgres_statement(sql), params).rowcount)
    db = sqlite3.connect(db_path, timeout=30)
    try:
        n = db.execute(sql, params).rowcount
        db.commit()
        return int(n)
    finally:
        db.close()
