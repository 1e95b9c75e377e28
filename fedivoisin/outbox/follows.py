"""A local actor following, unfollowing, approving or rejecting: shared by CLI and C2S."""

from __future__ import annotations

from typing import Any

from ..errors import Conflict, InvalidActivity, NotFound, RemoteError
from ..remote import get_actor, resolve_handle
from ..runtime import Runtime
from ..store import activities as activity_store
from ..store import follows as follow_store
from ..store.actors import LocalActor
from .publish import new_id, publish


async def follow(rt: Runtime, actor: LocalActor, target: str) -> dict[str, Any]:
    """Follow `target` (handle or actor URL): pending until the target Accepts."""
    try:
        target_uri = await resolve_handle(rt, target)
    except RemoteError as exc:
        raise NotFound(f"cannot find {target}: {exc}", field="object") from None
    me = rt.urls.actor(actor.slug)
    if target_uri == me:
        raise InvalidActivity("an actor cannot follow itself", field="object")
    inbox = shared = None
    if not rt.urls.is_local(target_uri):
        remote = await get_actor(rt, target_uri)
        inbox, shared = remote.inbox, remote.shared_inbox
    activity_id = new_id(rt)
    await follow_store.upsert(
        rt.store,
        me,
        target_uri,
        "pending",
        activity_id,
        rt.clock.now(),
        inbox=inbox,
        shared_inbox=shared,
    )
    return await publish(
        rt, actor, {"id": activity_id, "type": "Follow", "object": target_uri, "to": [target_uri]}
    )


async def unfollow(rt: Runtime, actor: LocalActor, target_uri: str) -> dict[str, Any]:
    me = rt.urls.actor(actor.slug)
    existing = await follow_store.get(rt.store, me, target_uri)
    if existing is None:
        raise NotFound(f"{actor.slug} does not follow {target_uri}", field="object")
    original: dict[str, Any] | str = existing.activity_uri or target_uri
    if existing.activity_uri:
        stored = await activity_store.get_activity(rt.store, existing.activity_uri)
        if stored is not None:
            original = {k: v for k, v in stored.document.items() if k != "@context"}
    await follow_store.remove(rt.store, me, target_uri)
    if not isinstance(original, dict):
        original = {
            "id": existing.activity_uri,
            "type": "Follow",
            "actor": me,
            "object": target_uri,
        }
    return await publish(rt, actor, {"type": "Undo", "object": original, "to": [target_uri]})


async def pending(rt: Runtime, actor: LocalActor) -> list[follow_store.Follow]:
    return await follow_store.followers(rt.store, rt.urls.actor(actor.slug), state="pending")


async def _request(rt: Runtime, actor: LocalActor, who: str) -> follow_store.Follow:
    """Find a pending request by follower URI, handle, or Follow activity id."""
    me = rt.urls.actor(actor.slug)
    f = await follow_store.by_activity(rt.store, who)
    if f is None or f.followee != me:
        f = await follow_store.get(rt.store, who, me)
    if f is None and "@" in who and not who.startswith("http"):
        try:
            uri = await resolve_handle(rt, who)
        except RemoteError:
            uri = None
        f = await follow_store.get(rt.store, uri, me) if uri else None
    if f is None:
        raise NotFound(f"no follow request from {who}", field="object")
    return f


async def answer(rt: Runtime, actor: LocalActor, who: str, *, accept: bool) -> dict[str, Any]:
    f = await _request(rt, actor, who)
    me = rt.urls.actor(actor.slug)
    if f.state != "pending" and accept:
        raise Conflict(f"{f.follower} already follows {actor.slug}")
    follow_obj: dict[str, Any] = {
        "id": f.activity_uri,
        "type": "Follow",
        "actor": f.follower,
        "object": me,
    }
    if accept:
        await follow_store.set_state(rt.store, f.follower, me, "accepted")
    else:
        await follow_store.remove(rt.store, f.follower, me)
    return await publish(
        rt,
        actor,
        {"type": "Accept" if accept else "Reject", "object": follow_obj, "to": [f.follower]},
        extra_recipients=[f.follower],
    )
