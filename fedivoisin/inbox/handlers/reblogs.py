"""A received Announce becomes a reblog status of the object it carries (client API ids).

The `statuses_on_announce` trigger covers Announces of an object id; a group (FEP-1b12)
announcing a Create we had not stored needs the unwrapped object id, which only the
handler knows (the stored document may be compressed).
"""

from __future__ import annotations

from typing import Any

from ...protocol.addressing import ref
from ...store import mastodon as mstore
from ..context import Ctx
from . import content


async def on_announce(ctx: Ctx, obj: dict[str, Any] | None) -> None:
    inner = ctx.object
    object_uri = ref(obj) if obj is not None else None
    if isinstance(inner, dict) and inner.get("type") in ("Create", "Update"):
        object_uri = ref(inner.get("object")) or object_uri
    object_uri = object_uri or ctx.object_id
    if ctx.id and object_uri:
        await mstore.record_reblog(ctx.rt.store, object_uri, ctx.id, ctx.actor, ctx.rt.clock.now())


def register() -> None:
    content.ANNOUNCE_HOOKS.append(on_announce)
