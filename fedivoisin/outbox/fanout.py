"""Activity → the inboxes it must reach (remote rows) and the local actors it reaches."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ..errors import RemoteError
from ..protocol.addressing import Target, addressees, fold_inboxes, ref
from ..protocol.documents import PUBLIC
from ..remote import get_actor
from ..runtime import Runtime
from ..store import follows as follow_store
from ..store import mastodon as mastodon_store

log = logging.getLogger("fedivoisin.outbox")


@dataclass
class Plan:
    remote: list[Target] = field(default_factory=list)
    local: list[str] = field(default_factory=list)  # local actor slugs to hand it to


async def collection_members(
    rt: Runtime, uri: str
) -> list[tuple[str, str | None, str | None]] | None:
    """Expand one of OUR collections (followers, members) to (actor, inbox, shared_inbox)."""
    slug = rt.urls.slug_of(uri)
    if slug is None:
        return None
    if uri == rt.urls.followers(slug):
        return await follow_store.follower_inboxes(rt.store, rt.urls.actor(slug))
    if uri == rt.urls.members(slug):
        from ..store import members as member_store

        rows2 = await member_store.members(rt.store, rt.urls.actor(slug))
        return [(m.member, m.inbox, m.shared_inbox) for m in rows2]
    return None


def members_only(rt: Runtime, targets: list[str]) -> bool:
    """Addressed to a members collection and to nothing broader (Public, followers)."""
    if PUBLIC in targets or any(rt.urls.slug_of(t) and t.endswith("/followers") for t in targets):
        return False
    return any(rt.urls.slug_of(t) and t.endswith("/members") for t in targets)


async def plan(
    rt: Runtime, sender_uri: str, activity: dict[str, Any], extra: list[str] | None = None
) -> Plan:
    out = Plan()
    targets = [*addressees(activity), *(extra or [])]
    by_actor: dict[str, tuple[str | None, str | None]] = {}
    for uri in targets:
        if uri == PUBLIC or uri == sender_uri:
            continue
        members = await collection_members(rt, uri)
        if members is not None:
            for actor, inbox, shared in members:
                by_actor.setdefault(actor, (inbox, shared))
            continue
        if rt.urls.is_local(uri):
            slug = rt.urls.slug_of(uri)
            if slug and uri == rt.urls.actor(slug) and slug not in out.local:
                out.local.append(slug)
            continue
        try:
            actor = await get_actor(rt, uri)
        except RemoteError as exc:
            log.info("not delivering to %s: %s", uri, exc)
            continue
        by_actor.setdefault(actor.uri, (actor.inbox, actor.shared_inbox))
    # Members-only posts go to personal inboxes: the receiving server cannot expand our
    # members collection, so it must learn from the inbox which of its users is addressed.
    personal = members_only(rt, targets)
    remote: list[tuple[str, str | None, str | None]] = []
    for actor_uri, (inbox, shared) in by_actor.items():
        if rt.urls.is_local(actor_uri):
            slug = rt.urls.slug_of(actor_uri)
            if slug and slug not in out.local:
                out.local.append(slug)
            continue
        remote.append(
            (actor_uri, inbox or shared, None) if personal else (actor_uri, inbox, shared)
        )
    out.remote = fold_inboxes(remote, exclude=[sender_uri])
    if activity.get("type") == "Update":
        # Our residents who favourited, reblogged or replied to an edited status hear of
        # the edit (Mastodon's `update` notification), followers of its author or not.
        obj = ref(activity.get("object"))
        for uri in await mastodon_store.local_interactors(rt.store, obj or "", rt.urls.origin):
            slug = rt.urls.slug_of(uri)
            if slug and uri == rt.urls.actor(slug) and uri != sender_uri and slug not in out.local:
                out.local.append(slug)
    return out
