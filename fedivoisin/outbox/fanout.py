"""Activity → the inboxes it must reach (remote rows) and the local actors it reaches."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ..errors import RemoteError
from ..protocol.addressing import Target, addressees, fold_inboxes
from ..protocol.documents import PUBLIC
from ..remote import get_actor
from ..runtime import Runtime
from ..store import follows as follow_store

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
        rows = await follow_store.followers(rt.store, rt.urls.actor(slug))
        return [(f.follower, f.inbox, f.shared_inbox) for f in rows]
    if uri == rt.urls.members(slug):
        from ..store import members as member_store

        rows2 = await member_store.members(rt.store, rt.urls.actor(slug))
        # Personal inboxes, not shared ones: the receiving server cannot expand our members
        # collection, so it must learn from the inbox which of its users is addressed.
        return [(m.member, m.inbox or m.shared_inbox, None) for m in rows2]
    return None


async def plan(
    rt: Runtime, sender_uri: str, activity: dict[str, Any], extra: list[str] | None = None
) -> Plan:
    out = Plan()
    triples: list[tuple[str, str | None, str | None]] = []
    for uri in [*addressees(activity), *(extra or [])]:
        if uri == PUBLIC or uri == sender_uri:
            continue
        members = await collection_members(rt, uri)
        if members is not None:
            triples.extend(members)
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
        triples.append((actor.uri, actor.inbox, actor.shared_inbox))
    local_triples = [t for t in triples if rt.urls.is_local(t[0])]
    for actor_uri, _i, _s in local_triples:
        slug = rt.urls.slug_of(actor_uri)
        if slug and slug not in out.local:
            out.local.append(slug)
    remote = [t for t in triples if not rt.urls.is_local(t[0])]
    out.remote = fold_inboxes(remote, exclude=[sender_uri])
    return out
