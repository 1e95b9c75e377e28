"""Publishing an activity of a local actor: mint ids, store, then queue every delivery.

Every (activity, inbox) row is committed before publish() returns, so a crash right after a
C2S 201 still delivers everything (at-least-once; receivers dedupe by activity id).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson

from .. import processes
from ..clock import iso
from ..protocol.actors import host_of
from ..protocol.addressing import addressees, first_ref, is_public, ref, strip_private
from ..protocol.context import OUTGOING_CONTEXT
from ..runtime import Runtime
from ..signer import with_integrity_proof
from ..store import activities as activity_store
from ..store import deliveries as delivery_store
from ..store import inbox_queue
from ..store.actors import LocalActor
from . import fanout
from .expiry import derived_expiry


def new_id(rt: Runtime, what: str = "activity") -> str:
    uid = uuid.uuid4().hex
    return rt.urls.activity(uid) if what == "activity" else rt.urls.object(uid)


def wake_delivery(rt: Runtime) -> None:
    event = rt.caches.get("delivery_wakeup")
    if isinstance(event, asyncio.Event):
        event.set()
    processes.notify(rt, "fv_delivery")  # worker processes on PostgreSQL


def wake_inbox(rt: Runtime) -> None:
    event = rt.caches.get("inbox_wakeup")
    if isinstance(event, asyncio.Event):
        event.set()
    processes.notify(rt, "fv_inbox")


async def publish(
    rt: Runtime,
    actor: LocalActor,
    activity: dict[str, Any],
    *,
    extra_recipients: list[str] | None = None,
    expires_at: float | None = None,
    store_object: bool = True,
) -> dict[str, Any]:
    """Complete, store and queue an activity; returns the stored document.

    The recipients are resolved first (that may fetch remote actors); then the object, the
    activity and every delivery row are written in ONE transaction, so a crash leaves
    either nothing or an activity with all its deliveries queued. Local recipients get it
    after the commit (their inbox queue commits on its own task: inside our transaction it
    would wait for the write lock we hold).
    """
    now = rt.clock.now()
    actor_uri = rt.urls.actor(actor.slug)
    doc = {"@context": OUTGOING_CONTEXT, **{k: v for k, v in activity.items() if k != "@context"}}
    doc.setdefault("id", new_id(rt))
    doc["actor"] = actor_uri
    doc.setdefault("published", iso(now))
    obj = doc.get("object")
    if expires_at is None:
        expires_at = await derived_expiry(rt, doc)
    targets = await fanout.plan(rt, actor_uri, doc, extra_recipients)
    # FEP-8b32 (issue 15 item 4): the proof covers the final document, stored and sent as is.
    if rt.settings.integrity_proofs:
        doc = with_integrity_proof(rt.urls, actor, doc, iso(now))
    async with rt.store.transaction():
        if store_object and isinstance(obj, dict) and doc["type"] in ("Create", "Update"):
            await store_local_object(rt, obj, now)
        row = await activity_store.activity_row(
            rt.store,
            uri=doc["id"],
            actor_uri=actor_uri,
            type_=doc["type"],
            object_uri=ref(obj),
            local=True,
            public=is_public(doc),
            addressees=addressees(doc),
            document=doc,
            published=now,
        )
        await activity_store.insert_activity(rt.store, row)
        await _queue(rt, actor, doc, targets, now, expires_at)
    await _hand_to_local(rt, actor, doc, targets, now)
    _wake(rt, targets)
    return doc


async def deliver(
    rt: Runtime,
    actor: LocalActor,
    doc: dict[str, Any],
    *,
    extra_recipients: list[str] | None = None,
    expires_at: float | None = None,
) -> int:
    """Queue deliveries of an already-stored activity (also used to re-send)."""
    targets = await fanout.plan(rt, rt.urls.actor(actor.slug), doc, extra_recipients)
    now = rt.clock.now()
    if expires_at is None:
        expires_at = await derived_expiry(rt, doc)
    async with rt.store.transaction():
        n = await _queue(rt, actor, doc, targets, now, expires_at)
    await _hand_to_local(rt, actor, doc, targets, now)
    _wake(rt, targets)
    return n


async def _queue(
    rt: Runtime,
    actor: LocalActor,
    doc: dict[str, Any],
    targets: fanout.Plan,
    now: float,
    expires_at: float | None,
) -> int:
    """One delivery row per remote inbox (call inside the publishing transaction)."""
    rows = [
        (
            doc["id"],
            actor.slug,
            t.inbox,
            host_of(t.inbox),
            orjson.dumps(list(t.recipients)).decode(),
            now,
            now,
            expires_at,
        )
        for t in targets.remote
    ]
    if rows:
        await delivery_store.queue(rt.store, rows)
    return len(rows)


async def _hand_to_local(
    rt: Runtime, actor: LocalActor, doc: dict[str, Any], targets: fanout.Plan, now: float
) -> None:
    """Local recipients get the activity through their inbox queue, as if it was POSTed."""
    if not targets.local:
        return
    actor_uri = rt.urls.actor(actor.slug)
    body = orjson.dumps(strip_private(doc))
    for slug in targets.local:
        if slug == actor.slug:
            continue
        await inbox_queue.enqueue(
            rt.store,
            activity_uri=doc["id"] + "#to-" + slug,
            signer=actor_uri,
            actor_uri=actor_uri,
            recipient=slug,
            body=body,
            now=now,
        )


def _wake(rt: Runtime, targets: fanout.Plan) -> None:
    """After the commit: workers must not look for rows that are not visible yet."""
    if targets.remote:
        wake_delivery(rt)
    if targets.local:
        wake_inbox(rt)


async def store_local_object(rt: Runtime, obj: dict[str, Any], now: float) -> None:
    from ..protocol.timing import time_bounds
    from ..protocol.vocab import detect_kind

    start, end = time_bounds(obj)
    await activity_store.upsert_object(
        rt.store,
        uri=obj["id"],
        type_=str(obj.get("type")),
        kind=detect_kind(obj),
        attributed_to=ref(obj.get("attributedTo")) or "",
        local=True,
        public=is_public(obj),
        addressees=addressees(obj),
        community_uri=_community_of(rt, obj),
        in_reply_to=ref(obj.get("inReplyTo")),
        document=obj,
        published=now,
        updated=now if obj.get("updated") else None,
        start_time=start,
        end_time=end,
    )


def _community_of(rt: Runtime, obj: dict[str, Any]) -> str | None:
    return first_ref(obj.get("audience"))
