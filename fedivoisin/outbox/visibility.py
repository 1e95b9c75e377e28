"""The one visibility decision: may this viewer (an actor URI, or None for anonymous) see
an object or activity addressed to `addressed` and written by `author`?

Every surface that shows stored content (AS2 GETs, collections, HTML pages, the client
API, feeds, caches) asks here, so members-only and followers-only content cannot leak
through one surface that forgot a rule. The pure rule is `protocol.addressing.may_see`;
this module only resolves which of our followers/members collections the viewer is in.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..protocol.addressing import may_see
from ..runtime import Runtime
from ..store import actor_blocks as actor_block_store
from ..store import follows as follow_store
from ..store import members as member_store


async def viewer_collections(rt: Runtime, viewer: str, addressed: Iterable[str]) -> list[str]:
    """Which of our addressed collections (followers/members) the viewer belongs to."""
    found = []
    for uri in addressed:
        slug = rt.urls.slug_of(uri)
        if slug is None:
            continue
        owner = rt.urls.actor(slug)
        if uri == rt.urls.followers(slug):
            f = await follow_store.get(rt.store, viewer, owner)
            if f is not None and f.state == "accepted":
                found.append(uri)
        elif uri == rt.urls.members(slug):
            if await member_store.is_member(rt.store, owner, viewer):
                found.append(uri)
    return found


async def visible_to(rt: Runtime, *, addressed: list[str], author: str, viewer: str | None) -> bool:
    """True when `viewer` may see the content (public content: anyone)."""
    if may_see(addressed=addressed, author=author, viewer=None):
        return True  # public
    if viewer is None:
        return False
    if viewer != author and await actor_block_store.blocks(rt.store, author, viewer):
        return False  # issue 17: a blocked actor reads none of the blocker's non-public content
    collections = await viewer_collections(rt, viewer, addressed)
    return may_see(
        addressed=addressed, author=author, viewer=viewer, viewer_collections=collections
    )
