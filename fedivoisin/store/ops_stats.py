"""Figures an operator watches (issue 17 item 5): queue depths and ages, deliveries by
state, failing domains. Read by /metrics at scrape time (cheap queries on indexed
columns) and by `fedivoisin status` (which may also afford the GROUP BY over deliveries).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from .db import Store


@dataclass(frozen=True)
class Queue:
    depth: int
    oldest: float | None  # epoch seconds of the oldest waiting item


@dataclass(frozen=True)
class FailingDomain:
    host: str
    unavailable: bool
    failure_days: int
    last_success: float | None


async def inbox_queue(store: Store) -> Queue:
    r = await store.fetchone(
        "SELECT count(*) AS n, min(received_at) AS oldest FROM received WHERE state = 'pending'"
    )
    return Queue(int(r["n"]) if r else 0, r["oldest"] if r else None)


async def delivery_queue(store: Store) -> Queue:
    r = await store.fetchone(
        "SELECT count(*) AS n, min(created_at) AS oldest FROM deliveries WHERE state = 'pending'"
    )
    return Queue(int(r["n"]) if r else 0, r["oldest"] if r else None)


async def failing_domains(store: Store) -> list[FailingDomain]:
    """Domains marked unavailable or with at least one failing day, worst first."""
    rows = await store.fetchall(
        "SELECT host, unavailable, failure_days, last_success FROM domain_health"
        " WHERE unavailable = 1 OR failure_days <> '[]' ORDER BY host"
    )
    found = [
        FailingDomain(
            r["host"],
            bool(r["unavailable"]),
            len(orjson.loads(r["failure_days"])),
            r["last_success"],
        )
        for r in rows
    ]
    return sorted(found, key=lambda d: (not d.unavailable, -d.failure_days, d.host))


async def deliveries_by_state(store: Store) -> dict[str, int]:
    """pending (never tried), retrying, delivered, failed."""
    rows = await store.fetchall(
        "SELECT CASE WHEN state = 'pending' AND attempts > 0 THEN 'retrying' ELSE state END"
        " AS s, count(*) AS n FROM deliveries"
        " GROUP BY CASE WHEN state = 'pending' AND attempts > 0 THEN 'retrying' ELSE state END"
    )
    return {r["s"]: int(r["n"]) for r in rows}


async def received_by_state(store: Store) -> dict[str, int]:
    rows = await store.fetchall("SELECT state, count(*) AS n FROM received GROUP BY state")
    return {r["state"]: int(r["n"]) for r in rows}


async def last_processed(store: Store) -> float | None:
    r = await store.fetchone("SELECT max(processed_at) AS t FROM received")
    return r["t"] if r else None


async def last_delivered(store: Store) -> float | None:
    r = await store.fetchone(
        "SELECT max(delivered_at) AS t FROM deliveries WHERE state = 'delivered'"
    )
    return r["t"] if r else None
