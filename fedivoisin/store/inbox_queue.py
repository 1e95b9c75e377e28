"""The durable inbox queue: a row per received activity, written before the 202.

The UNIQUE activity id makes redelivery idempotent; the worker claims pending rows, so a
crash between 202 and processing loses nothing.

Group commit: `enqueue` calls from concurrent requests are written together, one
transaction per batch (see `_GroupCommit`). Each caller still returns only after the
COMMIT that holds its row.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from dataclasses import dataclass

from .db import Store

_INSERT = (
    "INSERT OR IGNORE INTO received"
    " (activity_uri, signer, actor_uri, recipient, body, received_at, next_try)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
MAX_BATCH = 256


@dataclass(frozen=True)
class Received:
    id: int
    activity_uri: str
    signer: str
    actor_uri: str
    recipient: str | None
    body: bytes
    attempts: int
    received_at: float = 0.0


def _row(r: sqlite3.Row) -> Received:
    return Received(
        r["id"],
        r["activity_uri"],
        r["signer"],
        r["actor_uri"],
        r["recipient"],
        bytes(r["body"]),
        r["attempts"],
        float(r["received_at"]),
    )


async def enqueue(
    store: Store,
    *,
    activity_uri: str,
    signer: str,
    actor_uri: str,
    recipient: str | None,
    body: bytes,
    now: float,
) -> bool:
    """Queue one received activity; True once committed, False for a duplicate id."""
    row = (activity_uri, signer, actor_uri, recipient, body, now, now)
    return await _group_commit(store).submit(row)


class _GroupCommit:
    """Rows submitted while a commit is in flight are written together by the next one.

    Why (bench/inbox_bench.py, docs/performance.md "Inbox"): a commit per row bounded the
    accept rate (then through aiosqlite's thread hops, now through WAL writes; on
    PostgreSQL through round trips). A batch costs four statements (BEGIN, a SELECT of the
    ids already there, one executemany, COMMIT) whatever its size; a batch of one is a
    single autocommit INSERT. No batching delay is added: a lone request is committed at
    once.

    Safety: a caller's future resolves only after the COMMIT containing its row. If the
    batch fails, every caller in it gets the exception (so a peer is never told 202 for a
    rolled-back row, and retries); a caller that went away (cancelled) is simply skipped.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.waiting: list[tuple[tuple[object, ...], asyncio.Future[bool]]] = []
        self.task: asyncio.Task[None] | None = None

    async def submit(self, row: tuple[object, ...]) -> bool:
        if self.store.in_transaction():
            # The caller holds the write lock (the inbox worker's batch delivering to a
            # local inbox): the flush task would wait for it forever. Join the caller's
            # transaction instead; its COMMIT is the one that counts.
            return (await _insert_batch(self.store, [row]))[0]
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.waiting.append((row, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting[:MAX_BATCH], self.waiting[MAX_BATCH:]
            try:
                inserted = await _insert_batch(self.store, [row for row, _ in batch])
            except BaseException as exc:
                for _, future in batch:
                    if not future.done():
                        if isinstance(exc, asyncio.CancelledError):
                            future.cancel()
                        else:
                            future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    for _, future in self.waiting:
                        future.cancel()
                    self.waiting = []
                    raise
                continue
            for (_, future), ok in zip(batch, inserted, strict=True):
                if not future.done():
                    future.set_result(ok)


_BATCHERS: weakref.WeakKeyDictionary[Store, _GroupCommit] = weakref.WeakKeyDictionary()


def _group_commit(store: Store) -> _GroupCommit:
    batcher = _BATCHERS.get(store)
    if batcher is None:
        batcher = _BATCHERS[store] = _GroupCommit(store)
    return batcher


async def _insert_batch(store: Store, rows: list[tuple[object, ...]]) -> list[bool]:
    """INSERT OR IGNORE the rows in one transaction; which of them were new."""
    if len(rows) == 1:  # alone (no load): one autocommit statement is the cheapest
        return [await store.execute(_INSERT, rows[0], content=False) > 0]
    first: dict[object, int] = {}
    for i, row in enumerate(rows):
        first.setdefault(row[0], i)
    uris = list(first)
    existing: set[object] = set()
    async with store.transaction(content=False):
        for start in range(0, len(uris), 500):
            chunk = uris[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            found = await store.fetchall(
                f"SELECT activity_uri FROM received WHERE activity_uri IN ({marks})", chunk
            )
            existing.update(r[0] for r in found)
        fresh = [rows[i] for uri, i in first.items() if uri not in existing]
        if fresh:
            await store.executemany(_INSERT, fresh)  # joins the content=False transaction
    return [first[row[0]] == i and row[0] not in existing for i, row in enumerate(rows)]


#: Due rows, oldest first: the partial index received_due (migration 052) in its order.
_DUE_WHERE = "SELECT * FROM received WHERE state = 'pending' AND next_try <= ?"
_OLDEST_FIRST = " ORDER BY next_try, id LIMIT ?"
DUE = _DUE_WHERE + _OLDEST_FIRST
#: The same on PostgreSQL, where several workers share the queue: not under anyone's lease.
CLAIM = (
    _DUE_WHERE
    + " AND (claimed_until IS NULL OR claimed_until < ?)"
    + _OLDEST_FIRST
    + " FOR UPDATE SKIP LOCKED"
)
#: Run in a claim's transaction on PostgreSQL: walk received_due in its order and stop at
#: the LIMIT. A queue analysed while nearly empty (a new or idle instance) has statistics
#: saying a handful of rows; after a burst the planner then fetched every due row with a
#: bitmap scan and sorted them all, bodies included, for each claim of 50: 8 ms per claim
#: with 4,000 queued, ~170 µs of PostgreSQL time per row (docs/performance.md).
CLAIM_IN_INDEX_ORDER = (
    "SELECT set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true)"
)


async def due(
    store: Store, now: float, limit: int = 50, *, worker: str = "", lease: float = 60.0
) -> list[Received]:
    """Pending rows to process now. On PostgreSQL several worker processes share the queue:
    the rows are claimed for `worker` until now + lease (FOR UPDATE SKIP LOCKED, so two
    workers never take the same row; a killed worker's rows come back when the lease
    ends). SQLite has one process and one worker: a plain read, no claim to write."""
    if store.dialect != "postgres":
        return [_row(r) for r in await store.fetchall(DUE, (now, limit))]
    async with store.transaction(content=False):
        await store.fetchone(CLAIM_IN_INDEX_ORDER)
        rows = await store.fetchall(CLAIM, (now, now, limit))
        if rows:
            marks = ", ".join("?" for _ in rows)
            await store.execute(
                f"UPDATE received SET claimed_until = ?, claimed_by = ? WHERE id IN ({marks})",
                (now + lease, worker, *(r["id"] for r in rows)),
                content=False,
            )
    return [_row(r) for r in rows]


async def mark_done(store: Store, row_id: int, now: float) -> None:
    """A processed row keeps what deduplication and diagnostics need (ids, signer, when it
    was processed: `fedivoisin status`), never its body: the document lives once, in
    `activities`/`objects`. Old rows are deleted by the retention job (issue 13)."""
    await store.execute(
        "UPDATE received SET state = 'done', body = ?, processed_at = ? WHERE id = ?",
        (b"", now, row_id),
        content=False,
    )


async def mark_done_many(store: Store, row_ids: list[int], now: float) -> None:
    """mark_done for several rows in one statement (the PostgreSQL worker's batches)."""
    if not row_ids:
        return
    marks = ", ".join("?" for _ in row_ids)
    await store.execute(
        f"UPDATE received SET state = 'done', body = ?, processed_at = ? WHERE id IN ({marks})",
        (b"", now, *row_ids),
        content=False,
    )


async def mark_retry(store: Store, row_id: int, error: str, next_try: float, give_up: bool) -> None:
    await store.execute(
        "UPDATE received SET attempts = attempts + 1, error = ?, next_try = ?,"
        " claimed_until = NULL, claimed_by = NULL,"
        " state = CASE WHEN ? = 1 THEN 'failed' ELSE state END WHERE id = ?",
        (error[:500], next_try, int(give_up), row_id),
    )


async def counts(store: Store) -> dict[str, int]:
    rows = await store.fetchall("SELECT state, count(*) AS n FROM received GROUP BY state")
    return {r["state"]: r["n"] for r in rows}
