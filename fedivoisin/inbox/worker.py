"""The inbox worker: processes the durable `received` queue off the request path.

`run_once()` handles every due row (tests call it, or wait on the running loop). A handler
error other than Ignored is retried a few times with backoff, then the row is marked failed.
"""

from __future__ import annotations

import asyncio
import logging
import time

import orjson

from .. import processes
from ..net.offline import NetworkNeeded, offline
from ..outbox import domain_policies, webhooks
from ..outbox.publish import wake_delivery
from ..protocol.actors import host_of
from ..protocol.addressing import ref, strip_private
from ..runtime import Runtime
from ..store import activities as activity_store
from ..store import actor_blocks as actor_block_store
from ..store import deliveries, inbox_items
from ..store import follows as follow_store
from ..store import inbox_queue as queue
from ..store import mastodon as mastodon_store
from ..store import relays as relay_store
from ..store.inbox_queue import Received
from ..store.memo import batch_memo, forget
from .context import Ctx, Ignored, Refused
from .dispatch import dispatch

log = logging.getLogger("fedivoisin.inbox")

MAX_ATTEMPTS = 5
#: Longest a batch holds the write lock (and, on SQLite, the event loop) before committing,
#: and how many due rows it takes.
BATCH_SECONDS, BATCH_ROWS = 0.025, 50
#: The same in a SQLite worker process (InboxWorker.__init__).
WORKER_BATCH = (200, 0.1)
#: PostgreSQL: longest a processed row waits for its done-mark.
MARK_EVERY = 0.25


async def local_recipients(ctx: Ctx) -> list[str]:
    """Local actors this activity reaches: named ones, the personal inbox it came to, and
    local followers of the sender when it is addressed to its followers or the public."""
    rt = ctx.rt
    slugs: list[str] = []
    if ctx.recipient:
        slugs.append(ctx.recipient)
    targets = ctx.addressees()
    for uri in [*targets, ctx.object_id or ""]:
        slug = rt.urls.slug_of(uri)
        if slug and uri == rt.urls.actor(slug) and slug not in slugs:
            slugs.append(slug)
    if not ctx.local_origin:
        follower_collections = {u for u in targets if u.endswith("/followers")}
        if follower_collections or ctx.is_public() or ctx.type == "Announce":
            for f in await follow_store.following_of(rt.store, ctx.actor, prefix=rt.urls.origin):
                slug = rt.urls.slug_of(f)
                if slug and slug not in slugs:
                    slugs.append(slug)
    if ctx.type == "Update" and ctx.object_id:
        # Residents who favourited, reblogged or replied to an edited status are told
        # (Mastodon's `update` notification), followers of its author or not.
        for uri in await mastodon_store.local_interactors(rt.store, ctx.object_id, rt.urls.origin):
            slug = rt.urls.slug_of(uri)
            if slug and uri == rt.urls.actor(slug) and slug not in slugs:
                slugs.append(slug)
    return slugs


async def process(rt: Runtime, row: Received) -> str:
    """Handle one received row; returns its outcome for the metrics (done, ignored, refused)."""
    doc = orjson.loads(row.body)
    ctx = Ctx(
        rt=rt,
        activity=doc,
        signer=row.signer,
        recipient=row.recipient,
        local_origin=rt.urls.is_local(row.signer),
    )
    try:
        await dispatch(ctx)
    except Refused as reason:
        # Security fix (tests/security): recording a refused activity listed it in the
        # addressees' inboxes WITH its forged embedded object (someone else's note, a
        # takeover of an existing one, 10 000 tags). Drop it without a trace instead.
        log.debug("%s %s refused: %s", ctx.type, ctx.id, reason)
        return "refused"
    except Ignored as reason:
        log.debug("%s %s ignored: %s", ctx.type, ctx.id, reason)
        outcome = "ignored"
    else:
        outcome = "done"
    aid = ctx.id or row.activity_uri
    await _domain_is_back(rt, ctx.actor)
    # Issue 17: a local actor that blocks the sender is never a recipient (a mention does
    # not notify it, nothing lands in its inbox, streams or webhooks).
    blockers = await actor_block_store.blockers_of(rt.store, ctx.actor)
    slugs = [
        slug
        for slug in await local_recipients(ctx)
        if (owner := rt.urls.actor(slug)) != ctx.actor and owner not in blockers
    ]
    now = rt.clock.now()
    if ctx.local_origin:
        await inbox_items.add_many(rt.store, slugs, aid, now)
    else:
        obj = ctx.activity.get("object")
        activity = await activity_store.activity_row(
            rt.store,
            uri=aid,
            actor_uri=ctx.actor,
            type_=ctx.type,
            object_uri=ref(obj),
            local=False,
            public=ctx.is_public(),
            addressees=ctx.addressees(),
            document=ctx.activity,
            published=now,
            object_stored=ctx.stored_object is not None and ctx.stored_object == ref(obj),
        )
        await inbox_items.record(rt.store, activity, slugs, now)
    # After authentication and policy (a refused activity returned above).
    for slug in await webhooks.listening(rt, slugs, "activity.received"):
        await webhooks.emit(
            rt,
            rt.urls.actor(slug),
            "activity.received",
            {"activity": strip_private(ctx.activity)},
            key=aid,
        )
    return outcome


async def prefetch(rt: Runtime, rows: list[Received]) -> None:
    """The batch's per-sender questions (personal blocks, relays, silenced accounts, local
    followers), each in one query for all its senders instead of one per activity. A
    sender whose activity names another actor is simply read on its own."""
    senders = list(dict.fromkeys(r.actor_uri for r in rows if r.actor_uri))
    await actor_block_store.prefetch_blockers_of(rt.store, senders)
    await relay_store.prefetch_relaying(rt.store, senders)
    await domain_policies.prefetch_actor_silences(rt, senders)
    await follow_store.prefetch_following_of(rt.store, senders, prefix=rt.urls.origin)


async def _domain_is_back(rt: Runtime, actor: str) -> None:
    """A domain marked unavailable that talks to us again is available again (as Mastodon
    does): its queued deliveries resume."""
    down = rt.caches.get("unavailable_hosts")
    host = host_of(actor)
    if down and host in down:
        await deliveries.note_success(rt.store, host, rt.clock.now())
        down.discard(host)
        wake_delivery(rt)


class InboxWorker:
    """Processes the queue in batches (issue 14, docs/performance.md "Inbox processing").

    On SQLite a batch of due rows is processed inside ONE transaction, each row in its own
    savepoint (a row that fails is undone alone and retried later), and the processed
    rows' done-marks in one UPDATE before the COMMIT: a commit per row, with its WAL
    writes of every index page touched, cost more than the handlers themselves. A
    row whose handler needs the network (an unknown actor, a referenced object) is undone
    and processed alone after the COMMIT, so the write lock is never held across a peer's
    answer (net.offline). A batch stops after BATCH_SECONDS so the accept path is not
    held up for long. On PostgreSQL, where several workers share the queue and a long
    transaction would hold row locks across them, rows are processed one by one, a
    claimed batch on one pooled connection with asynchronous commits (see run_once) and
    the admin-only reads memoised as on SQLite.
    """

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.wakeup = asyncio.Event()
        rt.caches["inbox_wakeup"] = self.wakeup
        #: A batch's size and length. In the process that answers HTTP a batch holds the
        #: event loop, so it stays short; a SQLite worker process beside `serve --no-jobs`
        #: has no requests to keep waiting and yields the write lock to a waiter at once
        #: (store/write_turns.py), so it takes longer batches: fewer COMMITs, each
        #: writing a hot index page once for more rows (Jobs sets WORKER_BATCH).
        self.batch_rows, self.batch_seconds = BATCH_ROWS, BATCH_SECONDS

    async def run_once(self) -> int:
        """Process the due rows; returns how many were handled (0: nothing due)."""
        rt = self.rt
        rows = await queue.due(
            rt.store,
            rt.clock.now(),
            self.batch_rows,
            worker=processes.PROCESS_ID,
            lease=rt.settings.delivery_lease,
        )
        if not rows:
            return 0
        alone = rows
        handled = 0
        if rt.store.dialect == "sqlite":
            await rt.store.turns.give_way()  # another process waits to write: its turn first
            handled, alone = await self._batch(rows)
            for row in alone:
                await self._one(row)
        else:
            # The admin-only reads (silences, relays, blocks) once per claimed batch here
            # too: another process's change to them is seen from the next batch on. The
            # batch's statements commit asynchronously: what a row writes is redone from
            # its `received` row (committed durably by the accept path) if a crash loses
            # it, and its done-mark, written last, is lost with it.
            with batch_memo():
                async with rt.store.session(asynchronous_commit=True):
                    await prefetch(rt, rows)
                    await self._marked_together(rows)
        return handled + len(alone)

    async def _marked_together(self, rows: list[Received]) -> None:
        """PostgreSQL: rows processed one by one, their done-marks written together every
        MARK_EVERY seconds and at the end (one UPDATE instead of one per row). A row whose
        mark a crash loses, or whose lease ends first, is processed again, as after a
        killed worker: handlers are idempotent by activity id."""
        done: list[tuple[Received, str]] = []
        marked = time.perf_counter()
        try:
            for row in rows:
                try:
                    outcome = await process(self.rt, row)
                except Exception as exc:
                    await self._failed(row, exc)
                    continue
                done.append((row, outcome))
                if time.perf_counter() - marked > MARK_EVERY:
                    await self._mark(done)
                    done, marked = [], time.perf_counter()
        finally:
            await self._mark(done)

    async def _mark(self, done: list[tuple[Received, str]]) -> None:
        if not done:
            return
        now = self.rt.clock.now()
        await queue.mark_done_many(self.rt.store, [row.id for row, _ in done], now)
        for row, outcome in done:
            self._count(row, outcome, now)

    async def _batch(self, rows: list[Received]) -> tuple[int, list[Received]]:
        """(rows handled in the batch, rows that need the network and go alone)."""
        rt, store = self.rt, self.rt.store
        alone: list[Received] = []
        finished: list[tuple[Received, str]] = []
        started = time.perf_counter()
        async with store.transaction():
            with offline(), batch_memo():
                await prefetch(rt, rows)
                for row in rows:
                    # At least one row per batch: a batch that stopped before its first
                    # (a slow prefetch, the web process waiting) returned 0, which run()
                    # reads as "nothing due" and sleeps until the next poll.
                    tried = finished or alone
                    if tried and (
                        time.perf_counter() - started > self.batch_seconds or store.turns.wanted()
                    ):
                        break  # the rest stays pending: the next batch takes it
                    try:
                        async with store.savepoint():
                            outcome = await process(rt, row)
                    except NetworkNeeded:
                        forget()  # its savepoint is undone: so is anything it memoised
                        alone.append(row)
                        continue
                    except Exception as exc:
                        forget()
                        await self._failed(row, exc)
                        finished.append((row, ""))
                        continue
                    finished.append((row, outcome))
                # The done-marks in one statement, committed with the rows' writes.
                processed = [row.id for row, outcome in finished if outcome]
                await queue.mark_done_many(store, processed, rt.clock.now())
        now = rt.clock.now()
        for row, outcome in finished:
            if outcome:
                self._count(row, outcome, now)
        return len(finished), alone

    async def _one(self, row: Received) -> None:
        try:
            outcome = await process(self.rt, row)
        except Exception as exc:
            await self._failed(row, exc)
            return
        now = self.rt.clock.now()
        await queue.mark_done(self.rt.store, row.id, now)
        self._count(row, outcome, now)

    async def _failed(self, row: Received, exc: Exception) -> None:
        log.error("processing %s failed", row.activity_uri, exc_info=exc)
        self.rt.metrics.inbox_processed.labels("error").inc()
        give_up = row.attempts + 1 >= MAX_ATTEMPTS
        delay = self.rt.settings.retry_base_delay * (2**row.attempts)
        await queue.mark_retry(
            self.rt.store, row.id, repr(exc), self.rt.clock.now() + delay, give_up
        )

    def _count(self, row: Received, outcome: str, now: float) -> None:
        metrics = self.rt.metrics
        metrics.inbox_processed.labels(outcome).inc()
        metrics.inbox_lag.observe(max(0.0, now - row.received_at))
        metrics.inbox_last_processed.set(now)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                n = await self.run_once()
            except Exception:
                log.exception("inbox cycle failed")
                n = 0
            if n:
                await asyncio.sleep(0)  # SQLite calls never yield: let requests in between
                continue
            self.wakeup.clear()
            try:
                await asyncio.wait_for(
                    self.wakeup.wait(), timeout=self.rt.settings.worker_poll_interval
                )
            except TimeoutError:
                pass
