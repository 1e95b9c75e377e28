"""Account moves (FEP-7628, docs/moderation.md "Moves"), for residents and communities.

Outgoing: the new account must first list the old one in its `alsoKnownAs` (an alias set
with `fedivoisin actor alias` on a fedivoisin instance). `move()` checks that, records
`movedTo`, sends `Move{object: old, target: new}` to the followers and moves our own local
followers at once. Incoming: a `Move` from a followed remote actor makes every local
follower follow the target, after a fresh fetch proves the target names the old actor in
its `alsoKnownAs`, then drops the follow of the old account.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from ..errors import InvalidInput, NotFound, RemoteError
from ..protocol.addressing import refs
from ..remote import get_actor, resolve_handle
from ..runtime import Runtime
from ..store import actors as actor_store
from ..store import follows as follow_store
from ..store.actors import LocalActor
from . import follows
from .publish import publish

log = logging.getLogger("fedivoisin.moves")
MAX_ALIASES = 10


async def _aliases_of(rt: Runtime, uri: str, *, fresh: bool) -> list[str]:
    """The alsoKnownAs of an actor, local or remote (re-fetched when `fresh`)."""
    slug = rt.urls.slug_of(uri)
    if slug is not None and uri == rt.urls.actor(slug):
        actor = await actor_store.get_actor(rt.store, slug)
        return list(actor.also_known_as) if actor else []
    remote = await get_actor(rt, uri, refetch=fresh)
    return refs(remote.document.get("alsoKnownAs"))


async def set_aliases(rt: Runtime, actor: LocalActor, aliases: list[str]) -> LocalActor:
    """Accounts this one may be moved from (resolved to actor URIs), then Update(actor)."""
    if len(aliases) > MAX_ALIASES:
        raise InvalidInput(f"at most {MAX_ALIASES} aliases", field="alsoKnownAs")
    uris: list[str] = []
    for a in aliases:
        try:
            uris.append(await resolve_handle(rt, a))
        except RemoteError as exc:
            raise NotFound(f"cannot find {a}: {exc}", field="alsoKnownAs") from None
    updated = await actor_store.update_actor(
        rt.store, actor.slug, rt.clock.now(), also_known_as=orjson.dumps(uris).decode()
    )
    await _announce_profile(rt, updated)
    return updated


async def _announce_profile(rt: Runtime, actor: LocalActor) -> None:
    from ..actor_document import actor_document_of

    doc = actor_document_of(rt.urls, actor)
    doc.pop("@context", None)
    await publish(
        rt,
        actor,
        {"type": "Update", "object": doc, "to": [rt.urls.followers(actor.slug)]},
        store_object=False,
    )


async def move(rt: Runtime, actor: LocalActor, target: str) -> dict[str, Any]:
    me = rt.urls.actor(actor.slug)
    try:
        target_uri = await resolve_handle(rt, target)
    except RemoteError as exc:
        raise NotFound(f"cannot find {target}: {exc}", field="target") from None
    if target_uri == me:
        raise InvalidInput("an account cannot move to itself", field="target")
    if me not in await _aliases_of(rt, target_uri, fresh=True):
        raise InvalidInput(
            f"{target_uri} does not list {me} in its alsoKnownAs: set the alias there first",
            field="target",
        )
    updated = await actor_store.update_actor(
        rt.store, actor.slug, rt.clock.now(), moved_to=target_uri
    )
    moved = await publish(
        rt,
        updated,
        {
            "type": "Move",
            "object": me,
            "target": target_uri,
            "to": [rt.urls.followers(actor.slug)],
        },
        store_object=False,
    )
    for f in await follow_store.followers(rt.store, me):
        if rt.urls.is_local(f.follower):
            await _migrate(rt, f.follower, me, target_uri)
    return moved


async def _migrate(rt: Runtime, follower: str, old: str, new: str) -> bool:
    slug = rt.urls.slug_of(follower)
    local = await actor_store.get_actor(rt.store, slug) if slug else None
    if local is None:
        return False
    try:
        if await follow_store.get(rt.store, follower, new) is None:
            await follows.follow(rt, local, new)
        await follows.unfollow(rt, local, old)
    except (RemoteError, NotFound, InvalidInput) as exc:
        log.warning("move of %s's follow from %s to %s: %s", slug, old, new, exc)
        return False
    return True


async def on_move(rt: Runtime, old: str, target: str | None) -> int:
    """A remote actor moved: local followers follow the target once it is proven."""
    if not target or target == old:
        return 0
    followers = [
        f for f in await follow_store.followers(rt.store, old) if rt.urls.is_local(f.follower)
    ]
    if not followers:
        return 0
    try:
        aliases = await _aliases_of(rt, target, fresh=True)
    except RemoteError as exc:
        log.info("Move of %s to %s: target not fetched (%s)", old, target, exc)
        return 0
    if old not in aliases:
        log.info("Move of %s to %s refused: not in the target's alsoKnownAs", old, target)
        return 0
    moved = 0
    for f in followers:
        moved += await _migrate(rt, f.follower, old, target)
    return moved
