"""The delivery worker: signed POSTs from the durable queue, with the pure retry policy.

A bounded pool sends concurrently (bounded per domain too). Each cycle loads the activity
bodies and signing keys it needs once, then writes outcomes back in batches every
`FLUSH_EVERY` seconds and at the end, so a crash mid-fan-out re-sends at most the last
fraction of a second of deliveries (at-least-once; receivers dedupe by activity id).
`run_once()` does one deterministic cycle for tests; `run()` loops until stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from .. import processes
from ..errors import RemoteRefused
from ..protocol.addressing import strip_private
from ..remote import http
from ..runtime import Runtime
from ..signer import signers_for
from ..store import activities as activity_store
from ..store import actors as actor_store
from ..store import deliveries as dstore
from ..store import follows as follow_store
from . import webhooks
from .retry import RetryPolicy, decide

log = logging.getLogger("fedivoisin.delivery")

BATCH = 1000
FLUSH_EVERY = 0.25  # seconds between outcome writes within one cycle
MAX_BODIES = 256


@dataclass
class _Cycle:
    """What one cycle learned: outcomes (written by `_flush_while`), the rest by `_settle`."""

    results: list[dstore.Result] = field(default_factory=list)
    health: dict[str, bool] = field(default_factory=dict)  # host -> answered (True) / down
    gone: list[dstore.Delivery] = field(default_factory=list)
    rows: dict[int, dstore.Delivery] = field(default_factory=dict)  # for webhooks.after_outcomes


class DeliveryWorker:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        s = rt.settings
        self.policy = RetryPolicy(
            base_delay=s.retry_base_delay,
            max_delay=s.retry_max_delay,
            horizon=s.retry_horizon,
            jitter=s.retry_jitter,
        )
        self.bodies: OrderedDict[str, bytes] = OrderedDict()
        self.signers: dict[str, dict[str, Any]] = {}
        self.wakeup = asyncio.Event()
        rt.caches["delivery_wakeup"] = self.wakeup
        self.unavailable: set[str] = set()
        # Who holds a lease: host, pid and a nonce (a restarted pid is someone else).
        self.worker_id = processes.PROCESS_ID
        self.stopping = asyncio.Event()  # set: finish the sends in flight, start no more

    async def _body(self, uri: str) -> bytes | None:
        if uri.startswith(webhooks.SENDER_PREFIX):  # a webhook call: its event's JSON body
            return await webhooks.body_for(self.rt, uri)
        body = self.bodies.get(uri)
        if body is None:
            act = await activity_store.get_activity(self.rt.store, uri)
            if act is None:
                return None
            body = orjson.dumps(strip_private(act.document))
            self.bodies[uri] = body
            while len(self.bodies) > MAX_BODIES:
                self.bodies.popitem(last=False)
        return body

    async def _signers(self, slug: str) -> dict[str, Any] | None:
        if webhooks.is_webhook(slug):  # HMAC-signed (Standard Webhooks), not HTTP signatures
            return await webhooks.signers_for(self.rt, slug)
        hooks = self.signers.get(slug)
        if hooks is None:
            actor = await actor_store.get_actor(self.rt.store, slug, include_deleted=True)
            if actor is None:
                return None
            hooks = signers_for(self.rt.urls, actor, self.rt.clock.now)
            self.signers[slug] = hooks
        return hooks

    async def run_once(self) -> int:
        """Send every delivery that is due now; returns how many were attempted."""
        rt = self.rt
        self.unavailable = await dstore.unavailable_hosts(rt.store)
        rt.caches["unavailable_hosts"] = self.unavailable  # the inbox clears them on contact
        now = rt.clock.now()
        rows = await dstore.claim(
            rt.store,
            now,
            lease_until=now + rt.settings.delivery_lease,
            worker=self.worker_id,
            # Worker processes on PostgreSQL take smaller batches so that the others get
            # their share of one big fan-out.
            limit=BATCH if not processes.shared(rt) else max(64, 2 * rt.settings.delivery_workers),
            skip_hosts=self.unavailable,
        )
        if not rows:
            return 0
        # Load each body and each sender's keys once, before the concurrent sends: a cold
        # cache would otherwise send every coroutine of the batch to the database.
        bodies = {u: await self._body(u) for u in dict.fromkeys(d.activity_uri for d in rows)}
        hooks = {s: await self._signers(s) for s in dict.fromkeys(d.sender for d in rows)}
        cycle = _Cycle(rows={d.id: d for d in rows})
        todo = deque(rows)
        # Shared by the worker processes on PostgreSQL: a peer never sees more than the limit.
        per_host = max(1, self.rt.settings.delivery_per_domain // processes.live_workers(rt))
        busy: dict[str, int] = {}  # host -> sends in flight
        waiting: dict[str, deque[dstore.Delivery]] = {}  # host -> rows held back
        attempted: set[int] = set()

        def take() -> dstore.Delivery | None:
            while todo and not self.stopping.is_set():
                d = todo.popleft()
                if busy.get(d.host, 0) < per_host:
                    busy[d.host] = busy.get(d.host, 0) + 1
                    attempted.add(d.id)
                    return d
                waiting.setdefault(d.host, deque()).append(d)
            return None

        async def sender() -> None:
            # A fixed pool pulling from the batch: a host at its limit holds back only its
            # own rows (they return to the queue as its sends finish), never the others.
            while (d := take()) is not None:
                try:
                    await self._one(d, bodies[d.activity_uri], hooks[d.sender], cycle)
                except Exception as exc:  # one bad row must not end the cycle of the others
                    log.exception("delivery %s to %s failed", d.id, d.inbox)
                    self._retry_later(d, cycle, f"internal error: {type(exc).__name__}")
                finally:
                    busy[d.host] -= 1
                    held = waiting.get(d.host)
                    if held:
                        todo.appendleft(held.popleft())

        done = asyncio.Event()
        flusher = asyncio.create_task(self._flush_while(cycle, done))
        try:
            await asyncio.gather(
                *(sender() for _ in range(min(rt.settings.delivery_workers, len(rows))))
            )
        finally:
            done.set()
            await flusher  # writes what is left
        if len(attempted) < len(rows):  # stopping: what was not sent is free again
            await dstore.release(
                rt.store, (d.id for d in rows if d.id not in attempted), self.worker_id
            )
        await self._settle(cycle)
        return len(attempted)

    async def _one(
        self,
        d: dstore.Delivery,
        body: bytes | None,
        hooks: dict[str, Any] | None,
        cycle: _Cycle,
    ) -> None:
        rt = self.rt
        results = cycle.results
        now = rt.clock.now()
        if d.expires_at is not None and now >= d.expires_at:
            results.append(dstore.Result(d.id, "failed", None, "expired before delivery", now, now))
            return
        if body is None or hooks is None:
            results.append(dstore.Result(d.id, "failed", None, "activity or sender gone", now, now))
            return
        if not rt.federates_with(d.host):
            results.append(dstore.Result(d.id, "failed", None, "not on the allowlist", now, now))
            return
        try:
            res = await http(rt).post(d.inbox, body, signers=hooks)
        except RemoteRefused as exc:
            now = rt.clock.now()
            results.append(dstore.Result(d.id, "failed", None, str(exc), now, now))
            return
        now = rt.clock.now()
        status = res.status
        if 200 <= status < 300:
            results.append(dstore.Result(d.id, "delivered", status, None, now, now))
            cycle.health[d.host] = True
            return
        outcome = decide(
            self.policy,
            status=status,
            attempt=d.attempts + 1,
            age=now - d.created_at,
            retry_after=res.retry_after,
        )
        error = res.error or outcome.reason
        if outcome.action == "retry":
            results.append(dstore.Result(d.id, "pending", status, error, now + outcome.delay, now))
            if status == 0 or status >= 500:
                cycle.health.setdefault(d.host, False)
        else:
            results.append(dstore.Result(d.id, "failed", status, error, now, now))
            if outcome.action == "gone":
                cycle.gone.append(d)

    def _retry_later(self, d: dstore.Delivery, cycle: _Cycle, error: str) -> None:
        now = self.rt.clock.now()
        outcome = decide(self.policy, status=0, attempt=d.attempts + 1, age=now - d.created_at)
        if outcome.action == "retry":
            cycle.results.append(dstore.Result(d.id, "pending", 0, error, now + outcome.delay, now))
        else:
            cycle.results.append(dstore.Result(d.id, "failed", 0, error, now, now))

    async def _flush_while(self, cycle: _Cycle, done: asyncio.Event) -> None:
        """Write outcomes every FLUSH_EVERY seconds until `done`, then once more."""
        while True:
            finished = done.is_set()  # read before writing: later outcomes need one more pass
            batch = cycle.results[:]  # the list itself stays: senders hold on to it
            del cycle.results[: len(batch)]
            await dstore.record(self.rt.store, batch)
            _count(self.rt, cycle, batch)
            try:
                await webhooks.after_outcomes(self.rt, cycle.rows, batch)
            except Exception:  # webhooks must never hold up federation
                log.exception("webhook bookkeeping failed")
            if finished:
                return
            try:
                await asyncio.wait_for(done.wait(), FLUSH_EVERY)
            except TimeoutError:
                pass

    async def _settle(self, cycle: _Cycle) -> None:
        """Domain health, then followers whose personal inbox answered 410 Gone."""
        rt = self.rt
        now = rt.clock.now()
        await dstore.note_successes(rt.store, [h for h, ok in cycle.health.items() if ok], now)
        day = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
        threshold = rt.settings.unavailable_after_days
        for host in [h for h, ok in cycle.health.items() if not ok]:
            if await dstore.note_failure(rt.store, host, day, threshold):
                log.warning("%s failed on %d distinct days: marked unavailable", host, threshold)
        for d in cycle.gone:
            followee = rt.urls.actor(d.sender)
            for r in d.recipients:
                f = await follow_store.get(rt.store, r, followee)
                # A shared inbox answering 410 says nothing about each actor behind it.
                if f is not None and f.shared_inbox != d.inbox:
                    await follow_store.remove(rt.store, r, followee)
                    log.info("%s answered 410 Gone: %s no longer follows %s", d.inbox, r, followee)

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until `stop` or `stopping` (the latter lets the cycle under way finish its
        sends in flight and record them: the shutdown drain)."""
        rt = self.rt
        while not stop.is_set() and not self.stopping.is_set():
            try:
                n = await self.run_once()
            except Exception:  # keep the worker alive; the rows stay queued
                log.exception("delivery cycle failed")
                n = 0
            if n:
                await asyncio.sleep(0)  # SQLite calls never yield: let requests in between
                continue
            nxt = await dstore.next_due_time(rt.store, self.unavailable)
            wait = rt.settings.worker_poll_interval
            if nxt is not None:
                wait = max(0.0, min(wait, nxt - rt.clock.now()))
            self.wakeup.clear()
            try:
                await asyncio.wait_for(_first(self.wakeup, stop), timeout=max(wait, 0.01))
            except TimeoutError:
                pass


_OUTCOME = {"delivered": "delivered", "pending": "retry", "failed": "failed"}


def _count(rt: Runtime, cycle: _Cycle, batch: list[dstore.Result]) -> None:
    """Delivery outcomes by domain for /metrics (docs/operations.md)."""
    counter = rt.metrics.deliveries
    for r in batch:
        d = cycle.rows.get(r.id)
        counter.labels(_OUTCOME.get(r.state, r.state), d.host if d else "").inc()


async def _first(*events: asyncio.Event) -> None:
    tasks = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            t.cancel()
