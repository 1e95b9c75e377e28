"""Follow, Accept, Reject, Undo: the follow lifecycle (pending → accepted; removed)."""

from __future__ import annotations

from typing import Any

from ...errors import RemoteError
from ...outbox.publish import publish
from ...protocol.addressing import ref
from ...remote import get_actor
from ...store import actor_blocks as actor_block_store
from ...store import actors as actor_store
from ...store import follows as follow_store
from ...store.actors import LocalActor
from ..context import Ctx, Ignored, Refused

# Extensions (groups, events) register hooks here instead of being imported: inbox stays
# the only place that knows the lifecycle.
FOLLOW_HOOKS: list[Any] = []
ACCEPT_HOOKS: list[Any] = []
REJECT_HOOKS: list[Any] = []
UNDO_HOOKS: list[Any] = []


async def local_target(ctx: Ctx, uri: str | None) -> LocalActor:
    slug = ctx.rt.urls.slug_of(uri or "")
    if slug is None or uri != ctx.rt.urls.actor(slug):
        raise Ignored(f"{uri} is not a local actor")
    actor = await actor_store.get_actor(ctx.rt.store, slug)
    if actor is None:
        raise Ignored(f"{uri} is not a local actor")
    return actor


async def _inboxes(ctx: Ctx, uri: str) -> tuple[str | None, str | None]:
    if ctx.rt.urls.is_local(uri):
        return None, None
    try:
        remote = await get_actor(ctx.rt, uri)
    except RemoteError as exc:
        raise Ignored(f"cannot fetch follower {uri}: {exc}") from None
    return remote.inbox, remote.shared_inbox


def bare(activity: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in activity.items() if k not in ("@context", "signature", "proof")}


async def send_accept(ctx: Ctx, actor: LocalActor, follow: dict[str, Any], follower: str) -> None:
    await publish(ctx.rt, actor, {"type": "Accept", "object": bare(follow), "to": [follower]})


async def on_follow(ctx: Ctx) -> None:
    target = await local_target(ctx, ctx.object_id)
    target_uri = ctx.rt.urls.actor(target.slug)
    if await actor_block_store.blocks(ctx.rt.store, target_uri, ctx.actor):
        # Blocked by the target (issue 17): refused, never pending, whatever the hooks say.
        await publish(
            ctx.rt, target, {"type": "Reject", "object": bare(ctx.activity), "to": [ctx.actor]}
        )
        return
    for hook in FOLLOW_HOOKS:
        if await hook(ctx, target):
            return
    inbox, shared = await _inboxes(ctx, ctx.actor)
    target_uri = ctx.rt.urls.actor(target.slug)
    existing = await follow_store.get(ctx.rt.store, ctx.actor, target_uri)
    now = ctx.rt.clock.now()
    if target.manually_approves and not (existing and existing.state == "accepted"):
        await follow_store.upsert(
            ctx.rt.store,
            ctx.actor,
            target_uri,
            "pending",
            ctx.id,
            now,
            inbox=inbox,
            shared_inbox=shared,
        )
        return
    await follow_store.upsert(
        ctx.rt.store,
        ctx.actor,
        target_uri,
        "accepted",
        ctx.id,
        now,
        inbox=inbox,
        shared_inbox=shared,
    )
    await send_accept(ctx, target, ctx.activity, ctx.actor)


async def _find_follow(ctx: Ctx) -> tuple[str, str] | None:
    """(follower, followee) for the Follow named by this Accept/Reject's object."""
    obj = ctx.object
    if isinstance(obj, dict) and obj.get("type") == "Follow":
        follower, followee = ref(obj.get("actor")), ref(obj.get("object"))
        if follower and followee:
            return follower, followee
    oid = ref(obj)
    if oid:
        f = await follow_store.by_activity(ctx.rt.store, oid)
        if f:
            return f.follower, f.followee
    return None


async def _answered_follow(ctx: Ctx, hooks: list[Any], verb: str) -> tuple[str, str] | None:
    """(follower, followee) of the Follow this Accept/Reject answers; None when a hook
    (events, communities) handled it. Only the followed actor may answer."""
    for hook in hooks:
        if await hook(ctx):
            return None
    pair = await _find_follow(ctx)
    if pair is None:
        raise Ignored(f"{verb} of an unknown request")
    if pair[1] != ctx.actor:
        raise Refused(f"only the followed actor can {verb.lower()} a follow")
    return pair


async def on_accept(ctx: Ctx) -> None:
    pair = await _answered_follow(ctx, ACCEPT_HOOKS, "Accept")
    if pair and not await follow_store.set_state(ctx.rt.store, *pair, "accepted"):
        raise Ignored("no pending follow to accept")


async def on_reject(ctx: Ctx) -> None:
    pair = await _answered_follow(ctx, REJECT_HOOKS, "Reject")
    if pair:
        await follow_store.remove(ctx.rt.store, *pair)


async def on_undo(ctx: Ctx) -> None:
    obj = ctx.object
    inner_type = obj.get("type") if isinstance(obj, dict) else None
    inner_actor = ref(obj.get("actor")) if isinstance(obj, dict) else None
    if inner_actor is not None and inner_actor != ctx.actor:
        raise Refused("an actor can only undo its own activities")
    for hook in UNDO_HOOKS:
        if await hook(ctx):
            return
    if inner_type == "Follow" or inner_type is None:
        followee = ref(obj.get("object")) if isinstance(obj, dict) else None
        if followee is None and ctx.object_id:
            f = await follow_store.by_activity(ctx.rt.store, ctx.object_id)
            followee = f.followee if f and f.follower == ctx.actor else None
        if followee is None:
            raise Ignored("Undo of something we do not know")
        await follow_store.remove(ctx.rt.store, ctx.actor, followee)
        return
    raise Ignored(f"Undo({inner_type}) recorded only")
