"""The delivery worker: signed POSTs from the durable queue, with the pure retry policy.

A bounded pool sends concurrently (bounded per domain too); outcomes are written back in
batches. `run_once()` does one deterministic cycle for tests; `run()` loops until stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import orjson

from ..errors import RemoteRefused
from ..protocol.addressing import strip_private
from ..remote import http
from ..runtime import Runtime
from ..signer import signers_for
from ..store import activities as activity_store
from ..store import actors as actor_store
from ..store import deliveries as dstore
from ..store import follows as follow_store
from .retry import RetryPolicy, decide

log = logging.getLogger("fedivoisin.delivery")

BATCH = 1000


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
        self.sem = asyncio.Semaphore(s.delivery_workers)
        self.per_host: dict[str, asyncio.Semaphore] = {}
        self.bodies: OrderedDict[str, bytes] = OrderedDict()
        self.signers: dict[str, dict[str, Any]] = {}
        self.wakeup = asyncio.Event()
        rt.caches["delivery_wakeup"] = self.wakeup
        self.unavailable: set[str] = set()

    async def _body(self, uri: str) -> bytes | None:
        body = self.bodies.get(uri)
        if body is None:
            act = await activity_store.get_activity(self.rt.store, uri)
            if act is None:
                return None
            body = orjson.dumps(strip_private(act.document))
            self.bodies[uri] = body
            while len(self.bodies) > 256:
                self.bodies.popitem(last=False)
        return body

    async def _signers(self, slug: str) -> dict[str, Any] | None:
        hooks = self.signers.get(slug)
        if hooks is None:
            actor = await actor_store.get_actor(self.rt.store, slug)
            if actor is None:
                return None
            hooks = signers_for(self.rt.urls, actor, self.rt.clock.now)
            self.signers[slug] = hooks
        return hooks

    async def run_once(self) -> int:
        """Send every delivery that is due now; returns how many were attempted."""
        rt = self.rt
        self.unavailable = await dstore.unavailable_hosts(rt.store)
        rows = await dstore.due(rt.store, rt.clock.now(), limit=BATCH, skip_hosts=self.unavailable)
        if not rows:
            return 0
        results: list[dstore.Result] = []
        gone: list[tuple[str, list[str]]] = []
        health: dict[str, bool] = {}

        async def one(d: dstore.Delivery) -> None:
            now = rt.clock.now()
            if d.expires_at is not None and now >= d.expires_at:
                results.append(
                    dstore.Result(d.id, "failed", None, "expired before delivery", now, now)
                )
                return
            body = await self._body(d.activity_uri)
            hooks = await self._signers(d.sender)
            if body is None or hooks is None:
                results.append(
                    dstore.Result(d.id, "failed", None, "activity or sender gone", now, now)
                )
                return
            sem = self.per_host.setdefault(
                d.host, asyncio.Semaphore(rt.settings.delivery_per_domain)
            )
            async with self.sem, sem:
                try:
                    res = await http(rt).post(d.inbox, body, signers=hooks)
                    status, retry_after, error = res.status, res.retry_after, res.error
                except RemoteRefused as exc:
                    status, retry_after, error = -1, None, str(exc)
            now = rt.clock.now()
            if status == -1:
                results.append(dstore.Result(d.id, "failed", None, error, now, now))
                return
            outcome = decide(
                self.policy,
                status=status,
                attempt=d.attempts + 1,
                age=now - d.created_at,
                retry_after=retry_after,
            )
            if outcome.action == "delivered":
                results.append(dstore.Result(d.id, "delivered", status, None, now, now))
                health[d.host] = True
            elif outcome.action == "retry":
                results.append(
                    dstore.Result(
                        d.id, "pending", status, error or outcome.reason, now + outcome.delay, now
                    )
                )
                if status == 0 or status >= 500:
                    health.setdefault(d.host, False)
            else:
                results.append(
                    dstore.Result(d.id, "failed", status, error or outcome.reason, now, now)
                )
                if outcome.action == "gone":
                    gone.append((d.sender, d.recipients))

        await asyncio.gather(*(one(d) for d in rows))
        await dstore.record(rt.store, results)
        day = datetime.fromtimestamp(rt.clock.now(), UTC).strftime("%Y-%m-%d")
        for host, ok in health.items():
            if ok:
                await dstore.note_success(rt.store, host, rt.clock.now())
            elif await dstore.note_failure(rt.store, host, day, rt.settings.unavailable_after_days):
                log.warning(
                    "%s failed on %d distinct days: marked unavailable",
                    host,
                    rt.settings.unavailable_after_days,
                )
        for sender, recipients in gone:
            followee = rt.urls.actor(sender)
            for r in recipients:
                await follow_store.remove(rt.store, r, followee)
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        rt = self.rt
        while not stop.is_set():
            try:
                n = await self.run_once()
            except Exception:  # keep the worker alive; the rows stay queued
                log.exception("delivery cycle failed")
                n = 0
            if n:
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


async def _first(*events: asyncio.Event) -> None:
    tasks = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            t.cancel()
