"""The durable delivery queue: one row per (activity, inbox), written before we answer.

Outcomes are written in batches (one transaction per batch) because a fan-out to thousands
of inboxes would otherwise spend more time in aiosqlite hops than in HTTP.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from .db import Store


@dataclass(frozen=True)
class Delivery:
    id: int
    activity_uri: str
    sender: str
    inbox: str
    host: str
    recipients: list[str]
    attempts: int
    created_at: float
    expires_at: float | None


def _row(r: sqlite3.Row) -> Delivery:
    return Delivery(
        r["id"],
        r["activity_uri"],
        r["sender"],
        r["inbox"],
        r["host"],
        orjson.loads(r["recipients"]),
        r["attempts"],
        r["created_at"],
        r["expires_at"],
    )


def insert_rows_sql() -> str:
    return (
        "INSERT OR IGNORE INTO deliveries (activity_uri, sender, inbox, host, recipients,"
        " next_try, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )


async def due(
    store: Store,
    now: float,
    *,
    limit: int,
    skip_hosts: Iterable[str] = (),
    exclude_ids: Iterable[int] = (),
) -> list[Delivery]:
    skip = list(skip_hosts)
    excl = list(exclude_ids)
    sql = "SELECT * FROM deliveries WHERE state = 'pending' AND next_try <= ?"
    params: list[object] = [now]
    if skip:
        sql += f" AND host NOT IN ({', '.join('?' for _ in skip)})"
        params.extend(skip)
    if excl and len(excl) < 900:
        sql += f" AND id NOT IN ({', '.join('?' for _ in excl)})"
        params.extend(excl)
    rows = await store.fetchall(sql + " ORDER BY next_try, id LIMIT ?", (*params, limit))
    return [_row(r) for r in rows]


async def next_due_time(store: Store, skip_hosts: Iterable[str] = ()) -> float | None:
    skip = list(skip_hosts)
    sql = "SELECT min(next_try) AS t FROM deliveries WHERE state = 'pending'"
    if skip:
        sql += f" AND host NOT IN ({', '.join('?' for _ in skip)})"
    r = await store.fetchone(sql, skip)
    return r["t"] if r and r["t"] is not None else None


@dataclass(frozen=True)
class Result:
    id: int
    state: str  # pending | delivered | failed
    status: int | None
    error: str | None
    next_try: float
    at: float


async def record(store: Store, results: list[Result]) -> None:
    if not results:
        return
    await store.executemany(
        "UPDATE deliveries SET state = ?, attempts = attempts + 1, last_status = ?,"
        " last_error = ?, next_try = ?,"
        " delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END WHERE id = ?",
        [(r.state, r.status, r.error, r.next_try, r.state, r.at, r.id) for r in results],
    )


async def summary(store: Store) -> list[tuple[str, str, int]]:
    rows = await store.fetchall(
        "SELECT host, CASE WHEN state = 'pending' AND attempts > 0 THEN 'retrying' ELSE state END"
        " AS s, count(*) AS n FROM deliveries GROUP BY host, s ORDER BY host, s"
    )
    return [(r["host"], r["s"], r["n"]) for r in rows]


async def retry_host(store: Store, host: str, now: float) -> int:
    n = await store.execute(
        "UPDATE deliveries SET next_try = ? WHERE host = ? AND state = 'pending'", (now, host)
    )
    n += await store.execute(
        "UPDATE deliveries SET state = 'pending', next_try = ? WHERE host = ? AND state = 'failed'"
        " AND (last_status IS NULL OR last_status = 0 OR last_status >= 500 OR last_status = 429)",
        (now, host),
    )
    await store.execute(
        "UPDATE domain_health SET unavailable = 0, failure_days = '[]' WHERE host = ?", (host,)
    )
    return n


async def pending_count(store: Store) -> int:
    r = await store.fetchone("SELECT count(*) AS n FROM deliveries WHERE state = 'pending'")
    return int(r["n"]) if r else 0


# -- domain health (Mastodon-style: failing on several distinct days → unavailable)


async def unavailable_hosts(store: Store) -> set[str]:
    rows = await store.fetchall("SELECT host FROM domain_health WHERE unavailable = 1")
    return {r["host"] for r in rows}


async def note_failure(store: Store, host: str, day: str, threshold: int) -> bool:
    """Record a failing day; returns True when the host just became unavailable."""
    r = await store.fetchone(
        "SELECT failure_days, unavailable FROM domain_health WHERE host = ?", (host,)
    )
    days: list[str] = orjson.loads(r["failure_days"]) if r else []
    if day not in days:
        days = [*days, day][-30:]
    unavailable = len(days) >= threshold
    await store.execute(
        "INSERT INTO domain_health (host, failure_days, unavailable) VALUES (?, ?, ?)"
        " ON CONFLICT(host) DO UPDATE SET failure_days = excluded.failure_days,"
        " unavailable = excluded.unavailable",
        (host, orjson.dumps(days).decode(), int(unavailable)),
    )
    return unavailable and not (r and r["unavailable"])


async def note_success(store: Store, host: str, now: float) -> None:
    await store.execute(
        "INSERT INTO domain_health (host, failure_days, unavailable, last_success) VALUES (?, '[]', 0, ?)"
        " ON CONFLICT(host) DO UPDATE SET failure_days = '[]', unavailable = 0, last_success = ?",
        (host, now, now),
    )


async def note_successes(store: Store, hosts: list[str], now: float) -> None:
    """`note_success` for many hosts in one transaction (a fan-out touches thousands)."""
    if not hosts:
        return
    await store.executemany(
        "INSERT INTO domain_health (host, failure_days, unavailable, last_success)"
        " VALUES (?, '[]', 0, ?)"
        " ON CONFLICT(host) DO UPDATE SET failure_days = '[]', unavailable = 0,"
        " last_success = excluded.last_success",
        [(h, now) for h in hosts],
    )
