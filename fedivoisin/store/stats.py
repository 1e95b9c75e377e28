"""Rows and bytes per table (`fedivoisin db stats`).

Bytes come from SQLite's `dbstat` virtual table when the library has it (exact: every page
of the table and of its indexes); otherwise they are estimated from the average stored
length of a sample of rows times the row count (the output says which). A PostgreSQL
backend would use pg_table_size / pg_indexes_size.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .db import Store

SAMPLE = 2000


@dataclass(frozen=True)
class TableStats:
    table: str
    rows: int
    table_bytes: int
    index_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.table_bytes + self.index_bytes


async def tables(store: Store) -> list[str]:
    if store.dialect == "postgres":
        rows = await store.fetchall(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
    else:
        rows = await store.fetchall(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    return [r[0] for r in rows]


async def columns(store: Store, table: str) -> list[str]:
    """Column names of one table (generated ones included), on either engine."""
    if store.dialect == "postgres":
        rows = await store.fetchall(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        return [r[0] for r in rows]
    return [r["name"] for r in await store.fetchall(f'PRAGMA table_xinfo("{table}")')]


async def table_stats(store: Store) -> tuple[list[TableStats], str]:
    """Per table: rows, bytes of the table and of its indexes; and the method used."""
    names = await tables(store)
    counts = {}
    for name in names:
        r = await store.fetchone(f'SELECT count(*) FROM "{name}"')
        counts[name] = int(r[0]) if r else 0
    if store.dialect == "postgres":
        out = []
        for name in names:
            r = await store.fetchone(
                "SELECT pg_table_size(CAST(? AS regclass)), pg_indexes_size(CAST(? AS regclass))",
                (name, name),
            )
            out.append(TableStats(name, counts[name], int(r[0]), int(r[1])) if r else None)
        return [t for t in out if t], "pg_table_size / pg_indexes_size"
    try:
        pages = await store.fetchall(
            "SELECT s.name, coalesce(m.tbl_name, s.name) AS tbl, m.type, sum(s.pgsize)"
            " FROM dbstat s LEFT JOIN sqlite_schema m ON m.name = s.name GROUP BY s.name"
        )
    except sqlite3.OperationalError:
        return await _estimate(store, names, counts), "estimate (no dbstat: sampled row sizes)"
    table_bytes = dict.fromkeys(names, 0)
    index_bytes = dict.fromkeys(names, 0)
    for _, tbl, kind, size in pages:
        if tbl not in table_bytes:
            continue
        if kind == "index":
            index_bytes[tbl] += int(size)
        else:
            table_bytes[tbl] += int(size)
    out = [TableStats(n, counts[n], table_bytes[n], index_bytes[n]) for n in names]
    return out, "dbstat (exact page sizes)"


async def _estimate(store: Store, names: list[str], counts: dict[str, int]) -> list[TableStats]:
    out = []
    for name in names:
        cols = [r[1] for r in await store.fetchall(f'PRAGMA table_info("{name}")')]
        if not cols or not counts[name]:
            out.append(TableStats(name, counts[name], 0, 0))
            continue
        length = " + ".join(f'coalesce(length(CAST("{c}" AS BLOB)), 0)' for c in cols)
        r = await store.fetchone(
            f'SELECT avg({length}) FROM (SELECT * FROM "{name}" LIMIT {SAMPLE})'
        )
        avg = float(r[0] or 0) if r else 0.0
        out.append(TableStats(name, counts[name], int(avg * counts[name]), 0))
    return out


def render(stats: list[TableStats], method: str) -> str:
    """The table `fedivoisin db stats` prints."""
    lines = [f"{'table':<22}{'rows':>12}{'table bytes':>16}{'index bytes':>16}{'total':>16}"]
    for s in sorted(stats, key=lambda s: -s.total_bytes):
        lines.append(
            f"{s.table:<22}{s.rows:>12,}{s.table_bytes:>16,}{s.index_bytes:>16,}"
            f"{s.total_bytes:>16,}"
        )
    total = sum(s.total_bytes for s in stats)
    lines.append(f"{'total':<22}{sum(s.rows for s in stats):>12,}{'':>16}{'':>16}{total:>16,}")
    lines.append(f"bytes: {method}")
    return "\n".join(lines)
