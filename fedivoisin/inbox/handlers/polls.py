"""Inbox side of polls: FEP-9967 votes on our questions, from remote and local voters,
and the RSVP poll (outbox/rsvp.py) for people whose server cannot send `Join`.

A vote is addressed to the poll's author only; the community hook never announces votes
(`outbox/polls.is_vote`), so a community's poll does not boost its voters' ballots.
"""

from __future__ import annotations

from typing import Any

from ...outbox import polls, rsvp
from ...protocol.addressing import ref
from ...store import activities as activity_store
from ..context import Ctx
from . import content


async def on_create(ctx: Ctx, obj: dict[str, Any]) -> None:
    if not polls.is_vote(obj):
        return
    question = await activity_store.get_object(ctx.rt.store, ref(obj.get("inReplyTo")) or "")
    if question is None or not question.local or question.kind != "poll":
        return
    if await polls.record_vote(ctx.rt, question, ctx.actor, obj):
        await rsvp.on_vote(ctx.rt, question, ctx.actor, obj.get("name"))


async def on_note_about_event(ctx: Ctx, obj: dict[str, Any]) -> None:
    """A remote Note replying to (or linking, to its organiser) one of our events: offer
    its author the RSVP poll, since Mastodon-style servers cannot send `Join`."""
    if ctx.local_origin or obj.get("type") != "Note" or polls.is_vote(obj):
        return
    event = await rsvp.event_asked_about(ctx.rt, obj)
    if event is not None:
        await rsvp.offer(ctx.rt, event, ctx.actor, ref(obj.get("id")))


def register() -> None:
    content.CREATE_HOOKS.insert(0, on_create)
    content.CREATE_HOOKS.append(on_note_about_event)
