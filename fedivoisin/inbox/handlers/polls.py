"""Inbox side of polls: FEP-9967 votes on our questions, from remote and local voters.

A vote is addressed to the poll's author only; the community hook never announces votes
(`outbox/polls.is_vote`), so a community's poll does not boost its voters' ballots.
"""

from __future__ import annotations

from typing import Any

from ...outbox import polls
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
    await polls.record_vote(ctx.rt, question, ctx.actor, obj)


def register() -> None:
    content.CREATE_HOOKS.insert(0, on_create)
