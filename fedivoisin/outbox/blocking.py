"""Personal blocks on the write paths (issue 17 item 2): an actor blocked by a local actor
cannot reply into, like, boost, react to or join what that actor owns, at any entry point
(inbox, C2S outbox, the Mastodon client API: the last two both go through `c2s.handle`).

Reads are decided by `visibility.visible_to`; Follow by the inbox follow handler; what a
blocked actor's mention reaches is decided by the inbox worker (the blocker is never one
of its local recipients). This module holds the one "who owns this target" rule they share.

Only local actors block (`actor_blocks`), so only local targets cost a query: a reply to a
remote post is decided without touching the database.
"""

from __future__ import annotations

from typing import Any

from ..errors import NotFound
from ..protocol.addressing import ref
from ..runtime import Runtime
from ..store import activities as activity_store
from ..store import actor_blocks as actor_block_store

# Activities that act on someone's object: refused when its owner blocks the actor.
ON_OBJECT = frozenset({"Like", "Announce", "EmojiReact", "Join"})


async def owners(rt: Runtime, target: str | None, *, community: bool = False) -> list[str]:
    """Local actors that own `target`: the actor itself (a community one joins), the
    author of a stored local object, and with `community` the community it was posted in
    (an event of a community is joined through it)."""
    if not target or not rt.urls.is_local(target):
        return []
    slug = rt.urls.slug_of(target)
    if slug is not None and target == rt.urls.actor(slug):
        return [target]
    stored = await activity_store.get_object(rt.store, target)
    if stored is None:
        return []
    found = [stored.attributed_to]
    if community and stored.community_uri and rt.urls.is_local(stored.community_uri):
        found.append(stored.community_uri)
    return found


async def blocker_of(
    rt: Runtime, actor: str, target: str | None, *, community: bool = False
) -> str | None:
    """The local owner of `target` that blocks `actor`, if any."""
    for owner in await owners(rt, target, community=community):
        if owner != actor and await actor_block_store.blocks(rt.store, owner, actor):
            return owner
    return None


async def reply_blocked(rt: Runtime, author: str, obj: Any) -> str | None:
    """The local actor that blocks `author` and whose object `obj` replies to, if any."""
    parent = ref(obj.get("inReplyTo")) if isinstance(obj, dict) else None
    return await blocker_of(rt, author, parent)


async def check_c2s(rt: Runtime, me: str, type_: str, body: dict[str, Any]) -> None:
    """A local blocked actor's write into its blocker's things: 404, as Mastodon answers
    (the blocker's post "does not exist" for them), and nothing is stored or sent."""
    if type_ in ("Create", "Update"):  # an edit cannot move a post into the thread either
        if await reply_blocked(rt, me, body.get("object")):
            raise NotFound("the post you reply to does not exist", field="object.inReplyTo")
        return
    if type_ in ON_OBJECT and await blocker_of(
        rt, me, ref(body.get("object")), community=type_ == "Join"
    ):
        raise NotFound("no such object", field="object")
