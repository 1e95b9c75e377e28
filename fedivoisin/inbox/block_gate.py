"""The inbox side of personal blocks (issue 17 item 2), run before any handler: a Like,
Announce, EmojiReact or Join of something a local actor owns, from an actor that local
actor blocks, is dropped without a trace (a Join is answered with a Reject, as a Follow
is, so the remote side does not wait forever). Replies are refused by the Create, Update
and Announce handlers once the object is known (`blocking.reply_blocked`); mentions by
the worker, which never counts a blocker among an activity's local recipients."""

from __future__ import annotations

from ..outbox import blocking
from ..outbox.publish import publish
from ..store import actors as actor_store
from .context import Ctx, Refused


def _bare(ctx: Ctx) -> dict[str, object]:
    return {k: v for k, v in ctx.activity.items() if k not in ("@context", "signature", "proof")}


async def check(ctx: Ctx) -> None:
    if ctx.type not in blocking.ON_OBJECT:
        return
    blocker = await blocking.blocker_of(
        ctx.rt, ctx.actor, ctx.object_id, community=ctx.type == "Join"
    )
    if blocker is None:
        return
    if ctx.type == "Join":
        slug = ctx.rt.urls.slug_of(blocker)
        local = await actor_store.get_actor(ctx.rt.store, slug) if slug else None
        if local is not None:
            await publish(
                ctx.rt,
                local,
                {"type": "Reject", "object": _bare(ctx), "to": [ctx.actor]},
                store_object=False,
            )
    raise Refused(f"{ctx.type} of something {blocker} owns, by an actor it blocks")
