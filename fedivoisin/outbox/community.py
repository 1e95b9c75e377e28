"""What a community (a FEP-1b12 Group) does: announce posts, manage members, moderate, relay.

Shared by the inbox hooks (a member's post arrives), the C2S API (a moderator acts) and the
CLI (an admin acts), so there is one implementation of each rule.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ..errors import Forbidden, InvalidInput, NotFound, RemoteError
from ..protocol.addressing import addressees, is_public, ref
from ..protocol.documents import PUBLIC
from ..remote import get_actor, resolve_handle
from ..runtime import Runtime
from ..store import activities as activity_store
from ..store import actors as actor_store
from ..store import follows as follow_store
from ..store import members as member_store
from ..store import relays as relay_store
from ..store.actors import LocalActor
from . import webhooks
from .publish import publish


async def membership_changed(
    rt: Runtime, community: LocalActor, member: str, state: str, role: str | None = None
) -> None:
    """The `membership.changed` webhook event for the community."""
    data: dict[str, Any] = {"member": member, "state": state}
    if role is not None:
        data["role"] = role
    await webhooks.emit(rt, rt.urls.actor(community.slug), "membership.changed", data)


KIND_NAMES = {
    "events": "event",
    "alerts": "alert",
    "offers": "proposal",
    "requests": "proposal",
    "news": "news",
    "polls": "poll",
    "reports": "report",
    "posts": "note",
}
MODERATING = ("owner", "moderator")


async def community_actor(rt: Runtime, uri: str) -> LocalActor | None:
    slug = rt.urls.slug_of(uri)
    if slug is None or uri != rt.urls.actor(slug):
        return None
    actor = await actor_store.get_actor(rt.store, slug)
    return actor if actor is not None and actor.is_community else None


async def require_community(rt: Runtime, slug: str) -> LocalActor:
    actor = await actor_store.require_actor(rt.store, slug)
    if not actor.is_community:
        raise InvalidInput(f"{slug} is not a community", field="community")
    return actor


def members_only(rt: Runtime, community: LocalActor, obj: dict[str, Any]) -> bool:
    return rt.urls.members(community.slug) in addressees(obj) and not is_public(obj)


async def announce(
    rt: Runtime, community: LocalActor, obj: dict[str, Any], *, role: str | None = None
) -> dict[str, Any] | None:
    """Announce the object itself (Mastodon shows a boost), once per community.

    Public posts go to Public + followers (+ members); members-only posts to members only.
    The wrapped Create stays dereferenceable at its id for FEP-1b12 peers (Lemmy)."""
    oid = obj["id"]
    if not await relay_store.claim(rt.store, rt.urls.actor(community.slug), oid, rt.clock.now()):
        return None
    return await _publish_announce(rt, community, obj, oid, role=role)


async def reannounce(
    rt: Runtime, activity: dict[str, Any], obj: dict[str, Any], *, skip: Collection[str]
) -> int:
    """Re-announce an Update or Delete of `obj` from every local community that announced
    it, so count changes (RSVPs, votes, report status) and cancellations reach their
    followers (issue 15 item 5). Once per community and activity (`relayed` claims the
    activity id too) and never back to the community that sent it: loop-free."""
    aid = activity.get("id")
    oid = obj.get("id")
    if not isinstance(aid, str) or not isinstance(oid, str):
        return 0
    done = 0
    for cid in await relay_store.announcers(rt.store, oid):
        if cid in skip:
            continue
        community = await community_actor(rt, cid)
        if community is None:
            continue
        if not await relay_store.claim(rt.store, cid, aid, rt.clock.now()):
            continue
        bare = {k: v for k, v in activity.items() if k not in ("@context", "signature", "proof")}
        if await _publish_announce(rt, community, obj, bare):
            done += 1
    return done


async def _publish_announce(
    rt: Runtime,
    community: LocalActor,
    obj: dict[str, Any],
    announced: str | dict[str, Any],
    *,
    role: str | None = None,
) -> dict[str, Any] | None:
    """THE one path creating a community's Announce (of an object, or of an Update/Delete
    of one): its audience follows `obj`'s (public, members-only or followers-only)."""
    if members_only(rt, community, obj):
        to, cc = [rt.urls.members(community.slug)], []
    elif is_public(obj):
        to = [PUBLIC]
        cc = [rt.urls.followers(community.slug), rt.urls.members(community.slug)]
    else:
        to, cc = [rt.urls.followers(community.slug), rt.urls.members(community.slug)], []
    activity: dict[str, Any] = {
        "type": "Announce",
        "object": announced,
        "to": to,
        "cc": cc,
        "audience": rt.urls.actor(community.slug),
    }
    if role:
        activity["memberRole"] = role
    author = ref(obj.get("attributedTo"))
    extra = [author] if author and author != rt.urls.actor(community.slug) else None
    return await publish(rt, community, activity, extra_recipients=extra, store_object=False)


# -- membership


async def resolve_actor(rt: Runtime, who: str) -> str:
    """A local slug, a handle or an actor URL → actor URI."""
    if "@" not in who and not who.startswith(("http://", "https://")):
        await actor_store.require_actor(rt.store, who)
        return rt.urls.actor(who)
    try:
        return await resolve_handle(rt, who)
    except RemoteError as exc:
        raise NotFound(f"cannot find {who}: {exc}", field="actor") from None


async def _inboxes(rt: Runtime, uri: str) -> tuple[str | None, str | None]:
    if rt.urls.is_local(uri):
        return None, None
    remote = await get_actor(rt, uri)
    return remote.inbox, remote.shared_inbox


async def add_member(
    rt: Runtime,
    community: LocalActor,
    who: str,
    *,
    role: str = "member",
    state: str = "accepted",
    may_alert: bool = False,
    title: str | None = None,
    activity_uri: str | None = None,
) -> str:
    """Add (or update) a member, local or remote; returns the member's actor URI."""
    if role not in ("owner", "moderator", "member"):
        raise InvalidInput("role must be owner, moderator or member", field="role")
    uri = await resolve_actor(rt, who)
    inbox, shared = await _inboxes(rt, uri)
    cid = rt.urls.actor(community.slug)
    await member_store.upsert(
        rt.store,
        cid,
        uri,
        now=rt.clock.now(),
        role=role,
        state=state,
        inbox=inbox,
        shared_inbox=shared,
        activity_uri=activity_uri,
    )
    await member_store.set_fields(
        rt.store, cid, uri, role=role, may_alert=int(may_alert), title=title
    )
    await membership_changed(rt, community, uri, state, role)
    return uri


async def approve_member(
    rt: Runtime, community: LocalActor, who: str, *, accept: bool
) -> dict[str, Any]:
    cid = rt.urls.actor(community.slug)
    uri = await resolve_actor(rt, who)
    m = await member_store.get(rt.store, cid, uri)
    if m is None or m.state != "pending":
        raise NotFound(f"no pending membership request from {who}", field="actor")
    join = {"id": m.activity_uri, "type": "Join", "actor": uri, "object": cid}
    if accept:
        await member_store.set_fields(rt.store, cid, uri, state="accepted")
    else:
        await member_store.remove(rt.store, cid, uri)
    await membership_changed(rt, community, uri, "accepted" if accept else "rejected")
    return await publish(
        rt,
        community,
        {"type": "Accept" if accept else "Reject", "object": join, "to": [uri]},
        store_object=False,
    )


async def ban_member(rt: Runtime, community: LocalActor, who: str) -> dict[str, Any]:
    """Remove and ban: a Block from the community, federated to the banned actor."""
    cid = rt.urls.actor(community.slug)
    uri = await resolve_actor(rt, who)
    await member_store.upsert(rt.store, cid, uri, now=rt.clock.now(), state="banned")
    await member_store.set_fields(rt.store, cid, uri, state="banned")
    await follow_store.remove(rt.store, uri, cid)
    await membership_changed(rt, community, uri, "banned")
    return await publish(
        rt, community, {"type": "Block", "object": uri, "to": [uri]}, store_object=False
    )


async def may_moderate(rt: Runtime, community: LocalActor, actor_uri: str) -> bool:
    if actor_uri == rt.urls.actor(community.slug):
        return True
    m = await member_store.get(rt.store, rt.urls.actor(community.slug), actor_uri)
    return m is not None and m.state == "accepted" and m.role in MODERATING


async def may_alert(rt: Runtime, community: LocalActor, actor_uri: str) -> bool:
    if await may_moderate(rt, community, actor_uri):
        return True
    m = await member_store.get(rt.store, rt.urls.actor(community.slug), actor_uri)
    return m is not None and m.state == "accepted" and m.may_alert


async def remove_post(
    rt: Runtime, community: LocalActor, object_uri: str, *, by: str
) -> dict[str, Any]:
    """Moderator removal: Remove (FEP-1b12) + Delete from the community + Undo of its boost."""
    if not await may_moderate(rt, community, by):
        raise Forbidden("only the community's moderators can remove posts")
    cid = rt.urls.actor(community.slug)
    stored = await activity_store.get_object(rt.store, object_uri)
    if stored is None or stored.community_uri != cid:
        raise NotFound(f"{object_uri} is not a post of {community.slug}", field="object")
    await activity_store.mark_object_deleted(rt.store, object_uri, rt.clock.now())
    audience = [PUBLIC, rt.urls.followers(community.slug), rt.urls.members(community.slug)]
    author = stored.attributed_to
    extra = [author] if author != cid else None
    removed = await publish(
        rt,
        community,
        {
            "type": "Remove",
            "object": object_uri,
            "target": rt.urls.outbox(community.slug),
            "to": audience,
            "audience": cid,
        },
        extra_recipients=extra,
        store_object=False,
    )
    await retract(rt, community, object_uri, extra=extra)
    return removed


async def retract(
    rt: Runtime, community: LocalActor, object_uri: str, *, extra: list[str] | None = None
) -> None:
    """Delete (for FEP-1b12 peers, which accept it from the group) + Undo of the boost (for
    Mastodon, which only lets the author delete)."""
    cid = rt.urls.actor(community.slug)
    audience = [PUBLIC, rt.urls.followers(community.slug), rt.urls.members(community.slug)]
    await publish(
        rt,
        community,
        {
            "type": "Delete",
            "object": {"id": object_uri, "type": "Tombstone"},
            "to": audience,
            "audience": cid,
        },
        extra_recipients=extra,
        store_object=False,
    )
    announce_uri = await _announce_of(rt, cid, object_uri)
    if announce_uri:
        await publish(
            rt,
            community,
            {
                "type": "Undo",
                "object": {
                    "id": announce_uri,
                    "type": "Announce",
                    "actor": cid,
                    "object": object_uri,
                },
                "to": audience,
            },
            store_object=False,
        )


async def _announce_of(rt: Runtime, cid: str, object_uri: str) -> str | None:
    row = await rt.store.fetchone(
        "SELECT uri FROM activities WHERE actor_uri = ? AND type = 'Announce' AND object_uri = ?",
        (cid, object_uri),
    )
    return row["uri"] if row else None


# -- the territory mesh


def parse_kinds(raw: str) -> list[str]:
    kinds = [k.strip().lower() for k in raw.split(",") if k.strip()]
    bad = [k for k in kinds if k not in KIND_NAMES]
    if not kinds or bad:
        raise InvalidInput(
            f"kinds must be a comma-separated list of {', '.join(KIND_NAMES)}", field="kinds"
        )
    return sorted({KIND_NAMES[k] for k in kinds})


async def add_relay(rt: Runtime, community: LocalActor, source: str, kinds: list[str]) -> str:
    """Follow another community (any instance, any implementation) and relay chosen kinds."""
    from .follows import follow

    try:
        source_uri = await resolve_handle(rt, source)
    except RemoteError as exc:
        raise NotFound(f"cannot find {source}: {exc}", field="source") from None
    cid = rt.urls.actor(community.slug)
    if source_uri == cid:
        raise InvalidInput("a community cannot relay itself", field="source")
    await relay_store.add(rt.store, cid, source_uri, kinds, rt.clock.now())
    existing = await follow_store.get(rt.store, cid, source_uri)
    if existing is None:
        await follow(rt, community, source_uri)
    return source_uri


async def relay(rt: Runtime, source: str, obj: dict[str, Any], kind: str) -> int:
    """A followed community published or announced `obj`: relay it where configured."""
    if not is_public(obj):
        return 0  # members-only and private posts never leave their community
    relaying = await relay_store.relaying(rt.store, source)  # read once per batch
    if not relaying:
        return 0  # nobody relays this source: the silence checks below are not needed
    from .domain_policies import actor_silenced

    author = ref(obj.get("attributedTo")) or source
    if await actor_silenced(rt, source) or await actor_silenced(rt, author):
        return 0  # a silenced account or domain reaches its followers only, never the mesh
    done = 0
    for community_uri, kinds in relaying:
        if kind not in kinds:
            continue
        community = await community_actor(rt, community_uri)
        if community is None:
            continue
        f = await follow_store.get(rt.store, community_uri, source)
        if f is None or f.state != "accepted":
            continue
        if await announce(rt, community, obj):
            done += 1
    return done
