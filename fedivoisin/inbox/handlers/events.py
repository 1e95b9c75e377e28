"""Inbox side of event RSVP: Join/Leave/Undo(Join) of our events, and the organiser's
Accept/Reject of our residents' Joins of remote events. Registered as hooks of the generic
Join/Leave (community.JOIN_HOOKS) and Accept/Reject/Undo (follow.*_HOOKS) handlers."""

from __future__ import annotations

from ...outbox import events
from ...protocol.addressing import ref
from ...store import actors as actor_store
from ...store import events as event_store
from ..context import Ctx, Ignored
from . import community, follow


async def on_join(ctx: Ctx) -> bool:
    event = await events.local_event(ctx.rt, ctx.object_id)
    if event is None:
        return False
    slug = ctx.rt.urls.slug_of(event.attributed_to)
    organiser = await actor_store.get_actor(ctx.rt.store, slug) if slug else None
    if organiser is None:
        raise Ignored("the event's organiser is not a local actor")
    if ctx.actor == event.attributed_to:
        raise Ignored("the organiser does not join its own event")
    await events.answer_join(ctx.rt, organiser, event, ctx.actor, ctx.activity)
    return True


async def on_leave(ctx: Ctx) -> bool:
    event = await events.local_event(ctx.rt, ctx.object_id)
    if event is None:
        return False
    await events.leave(ctx.rt, event, ctx.actor)
    return True


async def on_undo(ctx: Ctx) -> bool:
    """Undo(Join) of our event is a Leave (the community hook may already have replaced the
    embedded Join by its object's id)."""
    obj = ctx.object
    if isinstance(obj, dict) and obj.get("type") == "Join":
        target = ref(obj.get("object"))
    elif isinstance(obj, str):
        target = obj
    else:
        return False
    event = await events.local_event(ctx.rt, target)
    if event is None and isinstance(obj, str):
        row = await event_store.by_join(ctx.rt.store, obj)  # Undo naming the Join by its id
        event = await events.local_event(ctx.rt, row.event_uri) if row else None
    if event is None:
        return False
    await events.leave(ctx.rt, event, ctx.actor)
    return True


async def on_accept(ctx: Ctx) -> bool:
    join_id = ctx.object_id
    return bool(join_id) and await events.remote_answer(ctx.rt, join_id, ctx.actor, accept=True)


async def on_reject(ctx: Ctx) -> bool:
    join_id = ctx.object_id
    return bool(join_id) and await events.remote_answer(ctx.rt, join_id, ctx.actor, accept=False)


def register() -> None:
    community.JOIN_HOOKS.append(on_join)
    community.LEAVE_HOOKS.append(on_leave)
    follow.UNDO_HOOKS.append(on_undo)
    follow.ACCEPT_HOOKS.append(on_accept)
    follow.REJECT_HOOKS.append(on_reject)
