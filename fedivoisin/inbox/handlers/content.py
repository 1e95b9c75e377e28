"""Create, Update, Delete, Announce: storing remote objects under the ownership rules.

SECURITY.md rule 5: attributedTo must be the actor; Update/Delete need the stored owner;
remote activities never touch local object ids. Rule 1: an embedded object on another
origin is not trusted and is fetched from its own origin. Rule 14: blocks apply to the
announced object and its author too.
"""

from __future__ import annotations

from typing import Any

from ...errors import RemoteError, RemoteGone, RemoteNotFound
from ...http import same_origin as strict_same_origin
from ...outbox import blocking
from ...protocol.actors import ACTOR_TYPES, host_of
from ...protocol.addressing import addressees, as_list, first_ref, is_public, ref
from ...protocol.timing import time_bounds
from ...protocol.vocab import detect_kind
from ...remote import fetch_object, forget_actor, get_actor
from ...store import activities as activity_store
from ...store import follows as follow_store
from ...store import remote_actors as remote_store
from ..context import Ctx, Ignored, Refused
from ..group_vouching import group_vouches

CREATE_HOOKS: list[Any] = []
UPDATE_HOOKS: list[Any] = []
DELETE_HOOKS: list[Any] = []
ANNOUNCE_HOOKS: list[Any] = []

MAX_TAGS = 100
MAX_ATTACHMENTS = 20
MAX_CONTENT = 100_000


async def trusted_object(ctx: Ctx, obj: Any, *, owner: str) -> dict[str, Any]:
    """The object as its origin says it is: embedded copies count only on the owner's origin."""
    oid = ref(obj)
    if oid is None:
        raise Ignored("the activity has no object")
    if ctx.rt.urls.is_local(oid) and not ctx.local_origin:
        raise Refused("remote activities cannot touch local objects")
    # Rule 6: the strict parser (no userinfo, exact scheme/IDNA host/port) decides whether
    # the embedded copy shares the sender's origin; `http://carol@host/x` does not.
    if isinstance(obj, dict) and (ctx.local_origin or strict_same_origin(oid, owner)):
        return obj
    if ctx.rt.urls.is_local(oid):
        stored = await activity_store.get_object(ctx.rt.store, oid)
        if stored is None:
            raise Ignored("unknown local object")
        return stored.document
    try:
        return await fetch_object(ctx.rt, oid)
    except RemoteError as exc:
        raise Refused(f"could not fetch {oid}: {exc}") from None


def check_limits(obj: dict[str, Any]) -> None:
    """SECURITY.md rule 12: cap every federated field."""
    if len(as_list(obj.get("tag"))) > MAX_TAGS:
        raise Refused("too many tags")
    if len(as_list(obj.get("attachment"))) > MAX_ATTACHMENTS:
        raise Refused("too many attachments")
    content = obj.get("content")
    if isinstance(content, str) and len(content) > MAX_CONTENT:
        raise Refused("content too long")
    # Security fix (tests/security, CVE-2026-23962): summary and name were uncapped, so a
    # 500 000-character title was stored and served back to every reader.
    for key in ("summary", "name"):
        text = obj.get(key)
        if isinstance(text, str) and len(text) > MAX_CONTENT:
            raise Refused(f"{key} too long")
    for key in ("oneOf", "anyOf"):
        if len(as_list(obj.get(key))) > 50:
            raise Refused("too many poll options")


async def store_remote_object(
    ctx: Ctx,
    obj: dict[str, Any],
    *,
    local: bool = False,
    community: str | None = None,
    new: bool = False,
    only_new: bool = False,
) -> bool:
    """Store a received object (upsert_object's `new` and `only_new`); whether written."""
    check_limits(obj)
    start, end = time_bounds(obj)
    if "attachment" in obj or "image" in obj:
        from ...outbox.domain_policies import rejects_media

        author = ref(obj.get("attributedTo")) or ctx.actor
        if await rejects_media(ctx.rt, host_of(author)):
            obj = {k: v for k, v in obj.items() if k not in ("attachment", "image")}
    written = await activity_store.upsert_object(
        ctx.rt.store,
        uri=obj["id"],
        type_=str(obj.get("type")),
        kind=detect_kind(obj),
        attributed_to=ref(obj.get("attributedTo")) or ctx.actor,
        local=local,
        public=is_public(obj),
        addressees=addressees(obj),
        community_uri=first_ref(obj.get("audience")) or community,
        in_reply_to=ref(obj.get("inReplyTo")),
        document=obj,
        published=ctx.rt.clock.now(),
        updated=ctx.rt.clock.now() if ctx.type == "Update" else None,
        start_time=start,
        end_time=end,
        new=new,
        only_new=only_new,
    )
    if written:
        ctx.stored_object = obj["id"]
    return written


async def on_create(ctx: Ctx) -> None:
    obj = await trusted_object(ctx, ctx.object, owner=ctx.actor)
    author = ref(obj.get("attributedTo"))
    if (
        author is not None
        and author != ctx.actor
        and not await group_vouches(ctx.rt, group=author, member=ctx.actor)
    ):
        raise Refused("attributedTo is not the activity's actor")
    if not isinstance(obj.get("id"), str):
        raise Ignored("the object has no id")
    await _refuse_blocked_reply(ctx, author or ctx.actor, obj)
    # A new object (the usual case) is inserted at once, with no lookup first; only when a
    # row with its id exists is that row read, and replaced if it is the sender's.
    if ctx.local_origin or not await store_remote_object(ctx, obj, only_new=True):
        existing = await activity_store.get_object(ctx.rt.store, obj["id"])
        if existing is not None and existing.attributed_to not in (ctx.actor, author):
            raise Refused("an object of someone else cannot be re-created")
        if not ctx.local_origin:
            await store_remote_object(ctx, obj, new=existing is None)
    ctx.activity["object"] = obj
    for hook in CREATE_HOOKS:
        await hook(ctx, obj)


async def _refuse_blocked_reply(ctx: Ctx, author: str, obj: dict[str, Any]) -> None:
    """Issue 17: a reply by an actor the parent's local author blocks never attaches to
    the blocker's thread (nor reaches them): dropped, whoever relays it."""
    blocker = await blocking.reply_blocked(ctx.rt, author, obj)
    if blocker is not None:
        raise Refused(f"{author} is blocked by {blocker}, whose post it replies to")


async def on_update(ctx: Ctx) -> None:
    oid = ctx.object_id
    obj = ctx.object
    if oid == ctx.actor or (isinstance(obj, dict) and set(as_list(obj.get("type"))) & ACTOR_TYPES):
        if oid != ctx.actor:
            raise Refused("an actor can only update itself")
        if not ctx.local_origin:
            try:
                await get_actor(ctx.rt, ctx.actor, refetch=True)
            except RemoteError as exc:
                raise Ignored(f"could not refresh {oid}: {exc}") from None
        return
    if oid is None:
        raise Ignored("Update without object")
    existing = await activity_store.get_object(ctx.rt.store, oid)
    if existing is None:
        raise Ignored("Update of an object we do not have")
    if existing.attributed_to != ctx.actor:
        raise Refused("only the author can update an object")
    fresh = await trusted_object(ctx, obj, owner=ctx.actor)
    if ref(fresh.get("attributedTo")) not in (None, ctx.actor):
        raise Refused("attributedTo cannot change")
    await _refuse_blocked_reply(ctx, ctx.actor, fresh)
    if not ctx.local_origin:
        await store_remote_object(ctx, fresh)
    ctx.activity["object"] = fresh
    for hook in UPDATE_HOOKS:
        await hook(ctx, fresh)


async def on_delete(ctx: Ctx) -> None:
    oid = ctx.object_id
    if oid is None:
        raise Ignored("Delete without object")
    if oid == ctx.actor:
        await remote_store.delete(ctx.rt.store, oid)
        await follow_store.remove_actor(ctx.rt.store, oid)
        forget_actor(ctx.rt, oid)
        for hook in DELETE_HOOKS:
            await hook(ctx, None)
        return
    if ctx.rt.urls.is_local(oid) and not ctx.local_origin:
        raise Refused("remote activities cannot delete local objects")
    existing = await activity_store.get_object(ctx.rt.store, oid)
    if existing is None:
        raise Ignored("Delete of an object we do not have")
    if existing.attributed_to != ctx.actor and not await _moderates(ctx, existing.community_uri):
        raise Refused("only the author can delete an object")
    await activity_store.mark_object_deleted(ctx.rt.store, oid, ctx.rt.clock.now())
    for hook in DELETE_HOOKS:
        await hook(ctx, existing)


async def _moderates(ctx: Ctx, community: str | None) -> bool:
    """A community (FEP-1b12 group) may delete posts made in it."""
    return community is not None and community == ctx.actor


async def on_announce(ctx: Ctx) -> None:
    oid = ctx.object_id
    if oid is None:
        raise Ignored("Announce without object")
    inner = ctx.object
    if isinstance(inner, dict) and inner.get("type") == "Delete":
        await _announced_delete(ctx, ref(inner.get("object")))
        return
    # FEP-1b12: a group announces the member's activity; unwrap to the object it carries.
    if (
        isinstance(inner, dict)
        and inner.get("type") in ("Create", "Update")
        and inner.get("object")
    ):
        oid = ref(inner.get("object")) or oid
    if ctx.rt.urls.is_local(oid):
        for hook in ANNOUNCE_HOOKS:
            await hook(ctx, None)
        return
    if await ctx.rt.is_blocked(host_of(oid)):
        raise Refused("the announced object is on a blocked domain")
    try:
        obj = await fetch_object(ctx.rt, oid)
    except RemoteError as exc:
        raise Refused(f"could not fetch announced {oid}: {exc}") from None
    author = ref(obj.get("attributedTo")) or ref(obj.get("actor"))
    if author and await ctx.rt.is_blocked(host_of(author)):
        raise Refused("the announced object's author is on a blocked domain")
    if obj.get("type") in ("Create", "Update") and isinstance(obj.get("object"), (dict, str)):
        return  # an activity, not an object: its object arrives on its own
    await _refuse_blocked_reply(ctx, author or ctx.actor, obj)
    # A group announcing a post addressed to it: the post belongs to that community
    # (FEP-1b12), so the group may later delete it (moderation).
    community = ctx.actor if ctx.actor in addressees(obj) else None
    await store_remote_object(
        ctx, {**obj, "attributedTo": author or ctx.actor}, community=community
    )
    for hook in ANNOUNCE_HOOKS:
        await hook(ctx, obj)


async def _announced_delete(ctx: Ctx, target: str | None) -> None:
    """A community re-announcing a Delete (FEP-1b12, issue 15 item 5). The embedded Delete
    is never trusted (SECURITY.md rule 10): the object's own origin must answer 404/410."""
    existing = await activity_store.get_object(ctx.rt.store, target) if target else None
    if existing is None or existing.local or existing.deleted is not None:
        raise Ignored("announced Delete of an object we do not hold")
    try:
        await fetch_object(ctx.rt, existing.uri)
    except (RemoteGone, RemoteNotFound):
        pass
    except RemoteError as exc:
        raise Ignored(f"cannot confirm the announced Delete of {existing.uri}: {exc}") from None
    else:
        raise Ignored("announced Delete of an object its origin still serves")
    await activity_store.mark_object_deleted(ctx.rt.store, existing.uri, ctx.rt.clock.now())
    for hook in ANNOUNCE_HOOKS:
        await hook(ctx, None)


async def on_record_only(ctx: Ctx) -> None:
    """Like, Block, Flag, Move…: kept in the activity log; no side effect yet."""
    return None
