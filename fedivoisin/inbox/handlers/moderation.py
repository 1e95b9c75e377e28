"""Inbox side of moderation and moves: received `Flag`s go to the moderation queue; a
followed actor's own `Move` migrates our local followers (FEP-7628)."""

from __future__ import annotations

from ...protocol.addressing import ref
from ..context import Ctx


async def on_flag(ctx: Ctx) -> None:
    """A report from another server (any shape): into the moderation queue."""
    from ...outbox import flags

    await flags.receive(ctx.rt, ctx.activity, ctx.actor)


async def on_move(ctx: Ctx) -> None:
    """Only an actor's Move of itself counts; the target is checked by outbox.moves."""
    from ...outbox import moves

    if ctx.object_id != ctx.actor:
        return
    await moves.on_move(ctx.rt, ctx.actor, ref(ctx.activity.get("target")))
