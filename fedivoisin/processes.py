"""Several processes on one PostgreSQL (issue 14, docs/deploy.md): who is alive, and
waking each other.

- Every process that runs the background jobs beats in `workers` (seen_at every few
  seconds); the delivery worker divides `delivery_per_domain` by the live ones, so the
  limit a peer sees holds across processes.
- A web process that queues inbox items or deliveries wakes the workers with NOTIFY
  (channels fv_inbox, fv_delivery); each worker LISTENs on its own connection. Without
  it a worker still finds the rows at its next poll (worker_poll_interval).
On SQLite one process runs the jobs: `serve`, or one `fedivoisin worker` beside a `serve
--no-jobs` (store/datadir.py's jobs.lock). That worker has no NOTIFY: it watches the file
for other connections' commits instead (watch, below).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from typing import Any

from .runtime import Runtime

log = logging.getLogger("fedivoisin.processes")

#: This process, as workers.id and as the claimed_by of the rows it holds.
PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
BEAT = 5.0  # seconds between heartbeats
ALIVE = 3 * BEAT  # a process not seen for this long no longer counts
CHANNELS = {"fv_inbox": "inbox_wakeup", "fv_delivery": "delivery_wakeup"}
WATCH_EVERY = 0.01  # seconds between two looks at the SQLite file (watch)


def shared(rt: Runtime) -> bool:
    return rt.store.dialect == "postgres"


async def beat(rt: Runtime, kind: str) -> int:
    """Record this process as alive; how many job-running processes are (≥ 1)."""
    now = rt.clock.now()
    await rt.store.execute(
        "INSERT INTO workers (id, kind, started_at, seen_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
        (PROCESS_ID, kind, now, now),
        content=False,
    )
    r = await rt.store.fetchone("SELECT count(*) FROM workers WHERE seen_at >= ?", (now - ALIVE,))
    live = max(1, int(r[0]) if r else 1)
    rt.caches["live_workers"] = live
    return live


async def heartbeat(rt: Runtime, kind: str, stop: asyncio.Event) -> None:
    try:
        while not stop.is_set():
            try:
                await beat(rt, kind)
            except Exception:
                log.exception("heartbeat failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=BEAT)
    finally:
        with contextlib.suppress(Exception):
            await rt.store.execute(
                "DELETE FROM workers WHERE id = ? OR seen_at < ?",
                (PROCESS_ID, rt.clock.now() - 86400),
                content=False,
            )


def live_workers(rt: Runtime) -> int:
    return int(rt.caches.get("live_workers", 1))


def notify(rt: Runtime, channel: str) -> None:
    """Wake the worker processes (fire and forget: a lost NOTIFY costs one poll interval)."""
    if not shared(rt):
        return
    pending: set[asyncio.Task[Any]] = rt.caches.setdefault("notify_tasks", set())
    if any(getattr(t, "fv_channel", None) == channel for t in pending):
        return  # one NOTIFY in flight per channel is enough
    task = asyncio.ensure_future(_notify(rt, channel))
    task.fv_channel = channel  # type: ignore[attr-defined]
    pending.add(task)
    task.add_done_callback(pending.discard)


async def _notify(rt: Runtime, channel: str) -> None:
    try:
        await rt.store.execute("SELECT pg_notify(?, '')", (channel,), content=False)
    except Exception:
        log.debug("NOTIFY %s failed", channel, exc_info=True)


async def listen(rt: Runtime, stop: asyncio.Event) -> None:
    """Set the local wake-up events when another process NOTIFYs (PostgreSQL only)."""
    import psycopg

    store: Any = rt.store
    while not stop.is_set():
        try:
            async with await psycopg.AsyncConnection.connect(store.url, autocommit=True) as conn:
                for channel in CHANNELS:
                    await conn.execute(f"LISTEN {channel}")
                while not stop.is_set():
                    async for note in conn.notifies(timeout=1.0):
                        event = rt.caches.get(CHANNELS.get(note.channel, ""))
                        if isinstance(event, asyncio.Event):
                            event.set()
        except Exception:
            log.warning("LISTEN connection lost; retrying", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)


async def watch(rt: Runtime, stop: asyncio.Event) -> None:
    """SQLite's stand-in for LISTEN, in a worker process beside `serve --no-jobs`: every
    WATCH_EVERY, `PRAGMA data_version` (no I/O) says whether another connection committed;
    if so, new `received` or `deliveries` rows (a higher id) wake that worker at once,
    instead of at its next poll. A burst's activities are then processed as they arrive
    (docs/performance.md, "Inbox processing")."""
    store = rt.store
    seen: object = None
    last: tuple[object, object] = (None, None)
    while not stop.is_set():
        try:
            version = await store.fetchone("PRAGMA data_version")
            if version is not None and version[0] != seen:
                seen = version[0]
                r = await store.fetchone(
                    "SELECT (SELECT max(id) FROM received), (SELECT max(id) FROM deliveries)"
                )
                ids = (r[0], r[1]) if r is not None else (None, None)
                for i, key in enumerate(("inbox_wakeup", "delivery_wakeup")):
                    event = rt.caches.get(key)
                    if ids[i] != last[i] and isinstance(event, asyncio.Event):
                        event.set()
                last = ids
        except Exception:
            log.warning("watching the database failed", exc_info=True)
        await asyncio.sleep(WATCH_EVERY)
