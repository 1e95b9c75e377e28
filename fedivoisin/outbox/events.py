"""Event RSVP (FEP-8a8e, Mobilizon's transmogrifier): Join → Accept | Reject, Leave, and
the participant count published in the event.

`joinMode` decides: `free` accepts while `maximumAttendeeCapacity` allows (0 or absent =
unlimited), `restricted` keeps the request pending until the organiser answers through C2S
(`Accept`/`Reject` whose object is the Join id), `invite`, `external` and `none` reject. A
cancelled or deleted event rejects every Join. Each change of the number of accepted
participants publishes `Update(Event)` with `participantCount` to the event's audience, at
once (no debounce: one Update per change keeps federation deterministic).
"""

from __future__ import annotations

import logging
from typing import Any

from ..errors import Forbidden, InvalidActivity, NotFound, RemoteError
from ..protocol.actors import same_origin
from ..protocol.addressing import ref
from ..protocol.vocab import detect_kind, parse_object
from ..remote import fetch_object
from ..runtime import Runtime
from ..store import activities as activity_store
from ..store import events as event_store
from ..store import remote_actors as remote_store
from ..store.activities import StoredObject
from ..store.actors import LocalActor
from . import kinds, webhooks
from .publish import new_id, publish

log = logging.getLogger("fedivoisin.events")

REJECTING_MODES = frozenset({"invite", "external", "none"})


async def rsvp_changed(
    rt: Runtime, owner: str, event: str, participant: str, state: str, key: str | None
) -> None:
    """The `rsvp.changed` webhook event, for the organiser (or the local participant)."""
    await webhooks.emit(
        rt,
        owner,
        "rsvp.changed",
        {"event": event, "participant": participant, "state": state},
        key=f"{key}|{state}" if key else None,
    )


def bare(activity: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in activity.items() if k not in ("@context", "signature", "proof")}


async def local_event(rt: Runtime, uri: str | None) -> StoredObject | None:
    """Our own (local, undeleted) event at `uri`, else None."""
    if not uri or not rt.urls.is_local(uri):
        return None
    stored = await activity_store.get_object(rt.store, uri)
    if stored is None or not stored.local or stored.kind != "event" or stored.deleted:
        return None
    return stored


def join_mode(doc: dict[str, Any]) -> str:
    mode = doc.get("joinMode")
    return mode.lower() if isinstance(mode, str) and mode else "free"


def capacity(doc: dict[str, Any]) -> int | None:
    event = parse_object(doc).event
    return event.capacity if event is not None else None


def is_cancelled(doc: dict[str, Any]) -> bool:
    event = parse_object(doc).event
    return bool(event and event.cancelled)


# -- the organiser's side: Join requests on our events


async def answer_join(
    rt: Runtime, organiser: LocalActor, event: StoredObject, joiner: str, join: dict[str, Any]
) -> str:
    """Decide on a Join of our event; returns the participant's state."""
    state = await _answer_join(rt, organiser, event, joiner, join)
    await rsvp_changed(
        rt, rt.urls.actor(organiser.slug), event.uri, joiner, state, ref(join.get("id"))
    )
    return state


async def _answer_join(
    rt: Runtime, organiser: LocalActor, event: StoredObject, joiner: str, join: dict[str, Any]
) -> str:
    now = rt.clock.now()
    doc = event.document
    mode = join_mode(doc)
    existing = await event_store.get(rt.store, event.uri, joiner)
    join_id = ref(join.get("id"))
    if existing is not None and existing.state == "accepted":
        await _send(rt, organiser, join, joiner, accept=True)  # idempotent re-Join
        return "accepted"
    if is_cancelled(doc) or mode in REJECTING_MODES:
        await event_store.upsert(rt.store, event.uri, joiner, "rejected", join_id, now)
        await _send(rt, organiser, join, joiner, accept=False)
        return "rejected"
    if mode == "restricted":
        await event_store.upsert(rt.store, event.uri, joiner, "pending", join_id, now)
        return "pending"
    if not await event_store.join_within_capacity(
        rt.store, event.uri, joiner, join_id, now, capacity(doc)
    ):
        await event_store.upsert(rt.store, event.uri, joiner, "rejected", join_id, now)
        await _send(rt, organiser, join, joiner, accept=False)
        return "rejected"
    await _send(rt, organiser, join, joiner, accept=True)
    await publish_count(rt, event)
    return "accepted"


async def _send(
    rt: Runtime, organiser: LocalActor, join: dict[str, Any], joiner: str, *, accept: bool
) -> None:
    await publish(
        rt,
        organiser,
        {"type": "Accept" if accept else "Reject", "object": bare(join), "to": [joiner]},
        store_object=False,
    )


async def leave(rt: Runtime, event: StoredObject, actor: str) -> bool:
    """A participant leaves (Leave or Undo(Join)); True when it was a participant."""
    removed = await event_store.remove(rt.store, event.uri, actor)
    if removed is None:
        return False
    if removed.state == "accepted":
        await publish_count(rt, event)
    await rsvp_changed(rt, event.attributed_to, event.uri, actor, "left", None)
    return True


async def publish_count(rt: Runtime, event: StoredObject) -> dict[str, Any] | None:
    """Update(Event) with the current `participantCount`, when it changed."""
    fresh = await activity_store.get_object(rt.store, event.uri) or event
    count = await event_store.count(rt.store, event.uri)
    if fresh.document.get("participantCount") == count:
        return None
    organiser = await kinds.author_of(rt, fresh)
    if organiser is None:
        return None
    return await kinds.republish(
        rt, organiser, "event", fresh.document, {"participantCount": count}
    )


async def answer(rt: Runtime, actor: LocalActor, body: dict[str, Any]) -> dict[str, Any] | None:
    """C2S Accept/Reject whose object is a pending Join of one of our events; None otherwise."""
    join_id = ref(body.get("object"))
    if not join_id:
        return None
    row = await event_store.by_join(rt.store, join_id)
    if row is None:
        return None
    event = await local_event(rt, row.event_uri)
    if event is None:
        return None
    if event.attributed_to != rt.urls.actor(actor.slug):
        raise Forbidden("only the event's organiser can answer its participation requests")
    if row.state != "pending":
        raise InvalidActivity(
            f"object: this participation request is already {row.state}", field="object"
        )
    join = {"id": join_id, "type": "Join", "actor": row.actor_uri, "object": event.uri}
    accept = body["type"] == "Accept"
    now = rt.clock.now()
    if accept and not await event_store.join_within_capacity(
        rt.store, event.uri, row.actor_uri, join_id, now, capacity(event.document)
    ):
        raise InvalidActivity(
            "object: the event is full (maximumAttendeeCapacity reached)", field="object"
        )
    if not accept:
        await event_store.upsert(rt.store, event.uri, row.actor_uri, "rejected", join_id, now)
    done = await publish(
        rt,
        actor,
        {"type": "Accept" if accept else "Reject", "object": join, "to": [row.actor_uri]},
        store_object=False,
    )
    if accept:
        await publish_count(rt, event)
    state = "accepted" if accept else "rejected"
    await rsvp_changed(rt, event.attributed_to, event.uri, row.actor_uri, state, join_id)
    return done


# -- our residents' side: joining events, local or remote


async def _event_target(rt: Runtime, uri: str) -> dict[str, Any] | None:
    """The event document at `uri` (stored or fetched from its origin), None if not an event."""
    stored = await activity_store.get_object(rt.store, uri)
    if stored is not None:
        return stored.document if stored.kind == "event" and stored.deleted is None else None
    if rt.urls.is_local(uri) or not uri.startswith(("https://", "http://")):
        return None
    if await remote_store.get(rt.store, uri) is not None:
        return None  # a known actor (a group to join), not an event
    try:
        doc = await fetch_object(rt, uri)
    except RemoteError as exc:
        log.info("cannot fetch Join target %s: %s", uri, exc)
        return None
    return doc if detect_kind(doc) == "event" else None


async def join_or_leave(
    rt: Runtime, actor: LocalActor, body: dict[str, Any]
) -> dict[str, Any] | None:
    """C2S Join/Leave of an event, addressed to its organiser; None if not an event."""
    target = ref(body.get("object"))
    if not target:
        return None
    doc = await _event_target(rt, target)
    if doc is None:
        return None
    organiser = ref(doc.get("attributedTo")) or ref(doc.get("actor"))
    if not organiser:
        raise NotFound("the event has no organiser (attributedTo)", field="object")
    me = rt.urls.actor(actor.slug)
    if organiser == me:
        raise InvalidActivity("object: you organise this event", field="object")
    activity: dict[str, Any] = {
        "id": new_id(rt),
        "type": body["type"],
        "object": target,
        "to": [organiser],
    }
    if "cc" in body:
        activity["cc"] = body["cc"]
    remote = not rt.urls.is_local(target)
    if remote and body["type"] == "Join":
        await event_store.upsert(rt.store, target, me, "pending", activity["id"], rt.clock.now())
    elif remote:
        await event_store.remove(rt.store, target, me)
    return await publish(rt, actor, activity, store_object=False)


async def remote_answer(rt: Runtime, join_id: str, by: str, *, accept: bool) -> bool:
    """The organiser of a remote event answered our resident's Join. True when handled."""
    row = await event_store.by_join(rt.store, join_id)
    if row is None or not rt.urls.is_local(row.actor_uri):
        return False
    if rt.urls.is_local(row.event_uri):
        return True  # our own event: the organiser's side already recorded the answer
    stored = await activity_store.get_object(rt.store, row.event_uri)
    organiser = stored.attributed_to if stored is not None else None
    if by != organiser and not same_origin(by, row.event_uri):
        log.info("%s may not answer a Join of %s", by, row.event_uri)
        return True
    state = "accepted" if accept else "rejected"
    await event_store.upsert(rt.store, row.event_uri, row.actor_uri, state, join_id, rt.clock.now())
    await rsvp_changed(rt, row.actor_uri, row.event_uri, row.actor_uri, state, join_id)
    return True
