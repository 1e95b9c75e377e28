"""C2S actions on communities: join/leave, moderators' removals, bans and join approvals,
and the rule that only allowed actors may alert a community."""

from __future__ import annotations

from typing import Any

from ..errors import Forbidden, InvalidActivity, NotFound
from ..protocol.addressing import addressees, ref
from ..runtime import Runtime
from ..store.actors import LocalActor
from . import community as cm
from .publish import publish


async def _target_community(rt: Runtime, uri: str | None) -> LocalActor:
    if uri:
        uri = uri.removesuffix("/outbox").removesuffix("/members").removesuffix("/followers")
    community = await cm.community_actor(rt, uri or "")
    if community is None:
        raise NotFound("target must be a community of this server", field="target")
    return community


async def check_community_post(
    rt: Runtime, actor: LocalActor, obj: dict[str, Any], kind: str
) -> None:
    """Refuse at the API what the community would refuse: alerts from actors it does not
    allow (moderators and designated institutional members only)."""
    if kind != "alert":
        return
    for uri in addressees(obj):
        base = uri.removesuffix("/members").removesuffix("/followers")
        community = await cm.community_actor(rt, base)
        if community is None:
            continue
        if not await cm.may_alert(rt, community, rt.urls.actor(actor.slug)):
            raise Forbidden(
                f"{actor.slug} may not publish alerts to {community.slug}:"
                " only its moderators and the members it designates can",
                field="to",
            )


async def join_or_leave(rt: Runtime, actor: LocalActor, body: dict[str, Any]) -> dict[str, Any]:
    target = ref(body.get("object"))
    if not target:
        raise InvalidActivity("object is required", field="object")
    activity = {"type": body["type"], "object": target, "to": [target]}
    extra = {k: v for k, v in body.items() if k in ("cc",)}
    return await publish(rt, actor, {**activity, **extra}, store_object=False)


async def moderate(rt: Runtime, actor: LocalActor, body: dict[str, Any]) -> dict[str, Any]:
    community = await _target_community(rt, ref(body.get("target")))
    me = rt.urls.actor(actor.slug)
    if not await cm.may_moderate(rt, community, me):
        raise Forbidden(f"{actor.slug} is not a moderator of {community.slug}")
    oid = ref(body.get("object"))
    if not oid:
        raise InvalidActivity("object is required", field="object")
    if body["type"] == "Remove":
        return await cm.remove_post(rt, community, oid, by=me)
    return await cm.ban_member(rt, community, oid)


async def answer_join(
    rt: Runtime, actor: LocalActor, body: dict[str, Any]
) -> dict[str, Any] | None:
    """Accept/Reject of a pending membership, by a moderator. None if not a Join."""
    oid = ref(body.get("object"))
    if not oid:
        return None
    row = await rt.store.fetchone(
        "SELECT community, member FROM members WHERE activity_uri = ? AND state = 'pending'", (oid,)
    )
    if row is None:
        return None
    community = await cm.community_actor(rt, row["community"])
    if community is None:
        return None
    if not await cm.may_moderate(rt, community, rt.urls.actor(actor.slug)):
        raise Forbidden(f"{actor.slug} is not a moderator of {community.slug}")
    return await cm.approve_member(rt, community, row["member"], accept=body["type"] == "Accept")
