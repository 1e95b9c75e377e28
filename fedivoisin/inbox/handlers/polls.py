"""Inbox side of polls: FEP-9967 votes on our questions, from remote and local voters.

Runs first among the Create hooks: a vote is addressed to the poll's author only, and when
that author is a community the community hook would otherwise announce the vote to its
followers; claiming the vote as already relayed keeps every community from boosting it.
"""

from __future__ import annotations

from typing import Any

from ...outbox import community as cm
from ...outbox import polls
from ...protocol.addressing import addressees, ref
from ...store import activities as activity_store
from ...store import relays as relay_store
from ..context import Ctx
from . import content


async def on_create(ctx: Ctx, obj: dict[str, Any]) -> None:
    if not polls.is_vote(obj):
        return
    for uri in addressees(obj):
        if await cm.community_actor(ctx.rt, uri) is not None:
            await relay_store.claim(ctx.rt.store, uri, obj["id"], ctx.rt.clock.now())
    question = await activity_store.get_object(ctx.rt.store, ref(obj.get("inReplyTo")) or "")
    if question is None or not question.local or question.kind != "poll":
        return
    await polls.record_vote(ctx.rt, question, ctx.actor, obj)


def register() -> None:
    content.CREATE_HOOKS.insert(0, on_create)
