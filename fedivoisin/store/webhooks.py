"""Webhook subscriptions and their events. The calls are rows of the `deliveries` queue."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .db import Store
from .deliveries import queue as queue_deliveries

SENDER_PREFIX = "webhook:"


@dataclass(frozen=True)
class Webhook:
    id: int
    app_id: int | None
    owner_id: int
    owner_slug: str
    url: str
    host: str
    events: frozenset[str]
    secret: str
    previous_secret: str | None
    previous_until: float | None
    enabled: bool
    disabled_reason: str | None
    failing_since: float | None
    last_success_at: float | None
    last_failure_at: float | None
    last_error: str | None
    created_at: float
    updated_at: float

    def wants(self, event_type: str) -> bool:
        return self.enabled and ("*" in self.events or event_type in self.events)


_SELECT = "SELECT w.*, a.slug AS owner_slug FROM webhooks w JOIN actors a ON a.id = w.owner_id"


def _row(r: sqlite3.Row) -> Webhook:
    return Webhook(
        id=r["id"],
        app_id=r["app_id"],
        owner_id=r["owner_id"],
        owner_slug=r["owner_slug"],
        url=r["url"],
        host=r["host"],
        events=frozenset(r["events"].split()),
        secret=r["secret"],
        previous_secret=r["previous_secret"],
        previous_until=r["previous_until"],
        enabled=bool(r["enabled"]),
        disabled_reason=r["disabled_reason"],
        failing_since=r["failing_since"],
        last_success_at=r["last_success_at"],
        last_failure_at=r["last_failure_at"],
        last_error=r["last_error"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
    )


async def create(
    store: Store,
    *,
    app_id: int | None,
    owner_id: int,
    url: str,
    host: str,
    events: Iterable[str],
    secret: str,
    now: float,
) -> Webhook:
    wid = await store.insert(
        "INSERT INTO webhooks (app_id, owner_id, url, host, events, secret, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (app_id, owner_id, url, host, " ".join(sorted(events)), secret, now, now),
    )
    found = await get(store, wid)
    assert found is not None
    return found


async def get(store: Store, wid: int) -> Webhook | None:
    r = await store.fetchone(_SELECT + " WHERE w.id = ?", (wid,))
    return _row(r) if r else None


async def list_all(
    store: Store, *, app_id: int | None = None, owner_ids: Iterable[int] | None = None
) -> list[Webhook]:
    sql = _SELECT + " WHERE 1 = 1"
    params: list[Any] = []
    if app_id is not None:
        sql += " AND w.app_id = ?"
        params.append(app_id)
    if owner_ids is not None:
        ids = list(owner_ids)
        if not ids:
            return []
        sql += f" AND w.owner_id IN ({', '.join('?' for _ in ids)})"
        params.extend(ids)
    return [_row(r) for r in await store.fetchall(sql + " ORDER BY w.id", params)]


async def enabled_by_owner(store: Store) -> dict[str, list[Webhook]]:
    """Every enabled subscription, by owner slug (the emitter caches this a few seconds)."""
    found: dict[str, list[Webhook]] = {}
    for r in await store.fetchall(_SELECT + " WHERE w.enabled = 1 AND a.deleted_at IS NULL"):
        hook = _row(r)
        found.setdefault(hook.owner_slug, []).append(hook)
    return found


async def update(store: Store, wid: int, now: float, **fields: Any) -> Webhook | None:
    if fields:
        sets = ", ".join(f"{k} = ?" for k in fields)
        await store.execute(
            f"UPDATE webhooks SET {sets}, updated_at = ? WHERE id = ?", (*fields.values(), now, wid)
        )
    return await get(store, wid)


async def delete(store: Store, wid: int) -> bool:
    """The subscription goes, and its queued calls with it."""
    async with store.transaction():
        await store.execute(
            "DELETE FROM deliveries WHERE sender = ? AND state = 'pending'",
            (f"{SENDER_PREFIX}{wid}",),
        )
        return await store.execute("DELETE FROM webhooks WHERE id = ?", (wid,)) > 0


async def queue_event(
    store: Store,
    *,
    event_id: str,
    event_type: str,
    owner_id: int,
    body: bytes,
    hooks: list[Webhook],
    now: float,
) -> bool:
    """The event and one queued call per subscription, in one transaction. Idempotent:
    an event id seen before queues nothing (False)."""
    async with store.transaction():
        inserted = await store.execute(
            "INSERT OR IGNORE INTO webhook_events (id, type, owner_id, body, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (event_id, event_type, owner_id, body, now),
        )
        if inserted == 0:
            return False
        await queue_deliveries(
            store,
            [
                (
                    f"{SENDER_PREFIX}{h.id}:{event_id}",
                    f"{SENDER_PREFIX}{h.id}",
                    h.url,
                    h.host,
                    "[]",
                    now,
                    now,
                    None,
                )
                for h in hooks
            ],
        )
    return True


async def event_body(store: Store, event_id: str) -> bytes | None:
    r = await store.fetchone("SELECT body FROM webhook_events WHERE id = ?", (event_id,))
    return bytes(r["body"]) if r else None


async def record_outcomes(
    store: Store, successes: dict[int, float], failures: dict[int, tuple[float, str]]
) -> None:
    """Health of each subscription after a batch of calls."""
    async with store.transaction():
        for wid, at in successes.items():
            await store.execute(
                "UPDATE webhooks SET failing_since = NULL, last_success_at = ? WHERE id = ?",
                (at, wid),
            )
        for wid, (at, error) in failures.items():
            await store.execute(
                "UPDATE webhooks SET failing_since = coalesce(failing_since, ?),"
                " last_failure_at = ?, last_error = ? WHERE id = ?",
                (at, at, error[:500], wid),
            )


async def disable_failing(store: Store, before: float, now: float) -> list[int]:
    """Disable subscriptions failing since before `before`; their pending calls fail."""
    rows = await store.fetchall(
        "SELECT id FROM webhooks WHERE enabled = 1 AND failing_since IS NOT NULL"
        " AND failing_since <= ?",
        (before,),
    )
    ids = [r["id"] for r in rows]
    for wid in ids:
        async with store.transaction():
            await store.execute(
                "UPDATE webhooks SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?",
                ("failing for 3 days", now, wid),
            )
            await store.execute(
                "UPDATE deliveries SET state = 'failed', last_error = 'webhook disabled'"
                " WHERE sender = ? AND state = 'pending'",
                (f"{SENDER_PREFIX}{wid}",),
            )
    return ids


async def pending_calls(store: Store, wid: int) -> int:
    r = await store.fetchone(
        "SELECT count(*) AS n FROM deliveries WHERE sender = ? AND state = 'pending'",
        (f"{SENDER_PREFIX}{wid}",),
    )
    return int(r["n"]) if r else 0
