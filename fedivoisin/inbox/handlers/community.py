"""Inbox side of communities (FEP-1b12 groups): joins, members' posts, relays, retractions.

Registered as hooks on the generic handlers, so follow/create/announce/delete stay one
implementation each.
"""

from __future__ import annotations

import logging
from typing import Any

from ...outbox import community as cm
from ...outbox.polls import is_vote
from ...outbox.publish import publish
from ...protocol.addressing import addressees, ref
from ...protocol.vocab import detect_kind
from ...store import activities as activity_store
from ...store import actor_blocks as actor_block_store
from ...store import members as member_store
from ...store.actors import LocalActor
from ..context import Ctx, Ignored
from . import content, follow

log = logging.getLogger("fedivoisin.community")


def bare(activity: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in activity.items() if k not in ("@context", "signature", "proof")}


async def _answer(ctx: Ctx, community: LocalActor, accept: bool) -> None:
    await publish(
        ctx.rt,
        community,
        {"type": "Accept" if accept else "Reject", "object": bare(ctx.activity), "to": [ctx.actor]},
        store_object=False,
    )


async def _banned(ctx: Ctx, community: LocalActor) -> bool:
    m = await member_store.get(ctx.rt.store, ctx.rt.urls.actor(community.slug), ctx.actor)
    return m is not None and m.state == "banned"


async def on_follow(ctx: Ctx, target: LocalActor) -> bool:
    """Anyone may follow a community's public posts; in an `open` community a Follow also
    makes you a member (as Lemmy's subscribe does). Banned actors are refused."""
    if not target.is_community:
        return False
    if await _banned(ctx, target):
        await _answer(ctx, target, accept=False)
        return True
    if target.join_policy == "open":
        await cm.add_member(ctx.rt, target, ctx.actor, activity_uri=ctx.id)
    return False  # the generic handler records the follower and sends Accept


async def on_join(ctx: Ctx) -> bool:
    community = await cm.community_actor(ctx.rt, ctx.object_id or "")
    if community is None:
        return False
    cid = ctx.rt.urls.actor(community.slug)
    if await _banned(ctx, community) or community.join_policy == "invite":
        existing = await member_store.get(ctx.rt.store, cid, ctx.actor)
        if existing is None or existing.state != "accepted":
            await _answer(ctx, community, accept=False)
            return True
    if community.join_policy == "approval":
        existing = await member_store.get(ctx.rt.store, cid, ctx.actor)
        if existing is None or existing.state == "pending":
            await cm.add_member(ctx.rt, community, ctx.actor, state="pending", activity_uri=ctx.id)
            return True
    await cm.add_member(ctx.rt, community, ctx.actor, activity_uri=ctx.id)
    await _answer(ctx, community, accept=True)
    return True


async def on_leave(ctx: Ctx) -> bool:
    community = await cm.community_actor(ctx.rt, ctx.object_id or "")
    if community is None:
        return False
    cid = ctx.rt.urls.actor(community.slug)
    m = await member_store.get(ctx.rt.store, cid, ctx.actor)
    if m is not None and m.state != "banned":
        await member_store.remove(ctx.rt.store, cid, ctx.actor)
        await cm.membership_changed(ctx.rt, community, ctx.actor, "left")
    return True


async def on_undo(ctx: Ctx) -> bool:
    obj = ctx.object
    inner = obj.get("type") if isinstance(obj, dict) else None
    if inner == "Join":
        ctx.activity = {**ctx.activity, "object": ref(obj.get("object"))}
        return await on_leave(ctx)
    if inner == "Follow":
        community = await cm.community_actor(ctx.rt, ref(obj.get("object")) or "")
        if community is not None and community.join_policy == "open":
            cid = ctx.rt.urls.actor(community.slug)
            m = await member_store.get(ctx.rt.store, cid, ctx.actor)
            if m is not None and m.role == "member" and m.state == "accepted":
                await member_store.remove(ctx.rt.store, cid, ctx.actor)
                await cm.membership_changed(ctx.rt, community, ctx.actor, "left")
    return False


async def _addressed_communities(ctx: Ctx, obj: dict[str, Any]) -> list[LocalActor]:
    found: list[LocalActor] = []
    actors = ctx.rt.urls.origin + "/actors/"
    targets = [*addressees(obj), *ctx.addressees()]
    for uri in targets:
        if not uri.startswith(actors):
            continue  # not one of ours: no lookup
        if uri.endswith("/members") or uri.endswith("/followers"):
            uri = uri.rsplit("/", 1)[0]
        community = await cm.community_actor(ctx.rt, uri)
        if community is not None and community not in found:
            found.append(community)
    return found


async def _may_post(ctx: Ctx, community: LocalActor, obj: dict[str, Any], kind: str) -> str | None:
    """The member's role to show, or None when the post is refused (reason logged)."""
    rt = ctx.rt
    cid = rt.urls.actor(community.slug)
    m = await member_store.get(rt.store, cid, ctx.actor)
    if m is not None and m.state == "banned":
        return None
    if await actor_block_store.blocks(rt.store, cid, ctx.actor):
        return None  # issue 17: a community never relays an actor it blocks
    is_member = m is not None and m.state == "accepted"
    if not is_member:
        # Replies to a public post of the community are welcome from anyone not banned
        # (as comments are on Lemmy); top-level posts need membership.
        parent_uri = ref(obj.get("inReplyTo"))
        parent = await activity_store.get_object(rt.store, parent_uri) if parent_uri else None
        replying = parent is not None and parent.community_uri == cid and parent.public
        if not replying:
            log.debug(
                "%s is not a member of %s: post %s refused",
                ctx.actor,
                community.slug,
                obj.get("id"),
            )
            return None
    if kind == "alert" and not await cm.may_alert(rt, community, ctx.actor):
        log.debug("%s may not alert %s", ctx.actor, community.slug)
        return None
    if m is None:
        return "follower"
    return m.title or m.role


async def on_create(ctx: Ctx, obj: dict[str, Any]) -> None:
    if is_vote(obj):
        return  # a ballot is for the poll's author, never boosted nor relayed
    kind = detect_kind(obj)
    for community in await _addressed_communities(ctx, obj):
        cid = ctx.rt.urls.actor(community.slug)
        if ctx.actor == cid:
            continue
        role = await _may_post(ctx, community, obj, kind)
        if role is None:
            continue
        await ctx.rt.store.execute(
            "UPDATE objects SET community_uri = ? WHERE uri = ? AND community_uri IS NULL",
            (cid, obj["id"]),
        )
        await cm.announce(
            ctx.rt, community, obj, role=None if role in ("member", "follower") else role
        )
    if not ctx.local_origin or ctx.rt.urls.is_local(ctx.actor):
        await cm.relay(ctx.rt, ctx.actor, obj, kind)


async def on_announce(ctx: Ctx, obj: dict[str, Any] | None) -> None:
    inner = ctx.object if isinstance(ctx.object, dict) else {}
    passing_on = inner.get("type") in ("Update", "Delete") and isinstance(inner.get("id"), str)
    if obj is None:
        oid = ref(inner.get("object")) if passing_on else ctx.object_id
        stored = await activity_store.get_object(ctx.rt.store, oid) if oid else None
        if stored is None:
            return
        obj = stored.document
    if passing_on:
        # A relayed community's Update (RSVP count, votes, status…) or Delete: pass it on
        # to our followers, with the object as its origin serves it, never the embedded copy.
        oid = obj.get("id")
        passed = {
            "id": inner["id"],
            "type": inner["type"],
            "actor": ref(inner.get("actor")),
            "object": obj if inner["type"] == "Update" else oid,
        }
        await cm.reannounce(ctx.rt, passed, obj, skip={ctx.actor})
        return
    await cm.relay(ctx.rt, ctx.actor, obj, detect_kind(obj))


async def on_update(ctx: Ctx, fresh: dict[str, Any]) -> None:
    """An Update of an object our communities announced: they re-announce it (item 5)."""
    await cm.reannounce(ctx.rt, ctx.activity, fresh, skip={ctx.actor})


async def on_delete(ctx: Ctx, existing: Any) -> None:
    """An author deleting a community post: the community retracts its boost everywhere."""
    if existing is None or existing.community_uri is None:
        return
    community = await cm.community_actor(ctx.rt, existing.community_uri)
    if community is not None and ctx.actor != existing.community_uri:
        await cm.retract(ctx.rt, community, existing.uri)


async def reannounce_delete(ctx: Ctx, existing: Any) -> None:
    """A Delete of an object relayed by our communities (a cancelled event of another
    quartier): they re-announce it; the community the post was made in retracts instead."""
    if existing is None:
        return
    skip = {ctx.actor, *([existing.community_uri] if existing.community_uri else [])}
    bare = {"id": ctx.id, "type": "Delete", "actor": ctx.actor, "object": existing.uri}
    await cm.reannounce(ctx.rt, bare, existing.document, skip=skip)


def register() -> None:
    follow.FOLLOW_HOOKS.append(on_follow)
    follow.UNDO_HOOKS.append(on_undo)
    content.CREATE_HOOKS.append(on_create)
    content.ANNOUNCE_HOOKS.append(on_announce)
    content.DELETE_HOOKS.append(on_delete)
    content.DELETE_HOOKS.append(reannounce_delete)
    content.UPDATE_HOOKS.append(on_update)


async def on_join_activity(ctx: Ctx) -> None:
    for hook in JOIN_HOOKS:
        if await hook(ctx):
            return
    raise Ignored("Join of something that is not a local community or event")


async def on_leave_activity(ctx: Ctx) -> None:
    for hook in LEAVE_HOOKS:
        if await hook(ctx):
            return
    raise Ignored("Leave of something that is not a local community or event")


JOIN_HOOKS: list[Any] = [on_join]
LEAVE_HOOKS: list[Any] = [on_leave]
