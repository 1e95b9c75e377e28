"""The durable delivery queue: one row per (activity, inbox), written before we answer.

Outcomes are written in batches (one transaction per batch) because a fan-out to thousands
of inboxes would otherwise spend more time in commits than in HTTP.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

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


#: A queued row, in the order `queue` takes its values.
QUEUED_COLUMNS = (
    "activity_uri",
    "sender",
    "inbox",
    "host",
    "recipients",
    "next_try",
    "created_at",
    "expires_at",
)


async def queue(store: Store, rows: Iterable[Sequence[Any]]) -> None:
    """Queue delivery rows (QUEUED_COLUMNS); a row already queued for the same activity and
    inbox is kept as it is."""
    await store.insert_new("deliveries", QUEUED_COLUMNS, rows)


#: Due and not under anyone's lease. Portable SQL (SQLite and PostgreSQL alike); a
#: PostgreSQL store adds FOR UPDATE SKIP LOCKED to the SELECT of `claim`.
_CLAIMABLE = "state = 'pending' AND next_try <= ? AND (claimed_until IS NULL OR claimed_until <= ?)"


async def claim(
    store: Store,
    now: float,
    *,
    lease_until: float,
    worker: str,
    limit: int,
    skip_hosts: Iterable[str] = (),
) -> list[Delivery]:
    """Claim up to `limit` due rows for `worker` until `lease_until`, in one transaction.

    Nobody sends a claimed row before its lease ends: after a crash the first attempt may
    still be in flight, and sending it again would reach the peer twice.
    """
    skip = list(skip_hosts)
    sql = f"SELECT * FROM deliveries WHERE {_CLAIMABLE}"
    params: list[object] = [now, now]
    if skip:
        sql += f" AND host NOT IN ({', '.join('?' for _ in skip)})"
        params.extend(skip)
    async with store.transaction(content=False):  # the queue: no public page shows it
        sql += " ORDER BY next_try, id LIMIT ?"
        if store.dialect == "postgres":  # several worker processes: never the same row
            sql += " FOR UPDATE SKIP LOCKED"
        rows = await store.fetchall(sql, (*params, limit))
        ids = [r["id"] for r in rows]
        for chunk in _chunks(ids):
            await store.execute(
                "UPDATE deliveries SET claimed_until = ?, claimed_by = ?"
                f" WHERE id IN ({', '.join('?' for _ in chunk)})",
                (lease_until, worker, *chunk),
                content=False,
            )
    return [_row(r) for r in rows]


async def release(store: Store, ids: Iterable[int], worker: str) -> None:
    """Give back claimed rows this worker did not attempt (it is stopping)."""
    for chunk in _chunks(list(ids)):
        await store.execute(
            "UPDATE deliveries SET claimed_until = NULL, claimed_by = NULL"
            f" WHERE claimed_by = ? AND id IN ({', '.join('?' for _ in chunk)})",
            (worker, *chunk),
            content=False,
        )


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


async def next_due_time(store: Store, skip_hosts: Iterable[str] = ()) -> float | None:
    """When the next row becomes claimable (its retry time, or the end of its lease)."""
    skip = list(skip_hosts)
    sql = (
        "SELECT min(CASE WHEN claimed_until > next_try THEN claimed_until ELSE next_try END)"
        " AS t FROM deliveries WHERE state = 'pending'"
    )
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
        " last_error = ?, next_try = ?, claimed_until = NULL, claimed_by = NULL,"
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
