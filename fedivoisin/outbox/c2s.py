"""ActivityPub client-to-server: what a bridge or client POSTs to an actor's outbox.

A bare object is wrapped in Create (ActivityPub §6.2.1). The server mints ids, sets
attributedTo/actor/published, copies addressing between activity and object, validates the
neighbourhood vocabulary, then publishes. Errors are 400s naming the field.
"""

from __future__ import annotations

from typing import Any

from ..clock import iso
from ..errors import Forbidden, InvalidActivity, NotFound
from ..protocol.addressing import ADDRESS_FIELDS, as_list, ref
from ..protocol.vocab import complete_for_mastodon, detect_kind, validate_local
from ..runtime import Runtime
from ..store import activities as activity_store
from ..store import actor_blocks as actor_block_store
from ..store import follows as follow_store
from ..store.actors import LocalActor
from . import blocking, follows, moderation
from . import events as event_rsvp
from . import kinds as kind_rules
from . import polls as poll_votes
from . import reports as report_status
from . import rsvp as rsvp_poll
from .publish import new_id, publish

ACTIVITY_TYPES = frozenset(
    {
        "Create",
        "Update",
        "Delete",
        "Follow",
        "Undo",
        "Accept",
        "Reject",
        "Like",
        "Announce",
        "Block",
        "Join",
        "Leave",
        "Remove",
    }
)
OBJECT_TYPES = frozenset(
    {"Note", "Article", "Event", "Question", "Page", "Image", "Document", "Place"}
)
VALIDATED_KINDS = frozenset({"event", "proposal", "alert", "news", "poll", "report"})

# Extensions (vocabulary kinds, communities) add checks and side effects here.
CREATE_CHECKS: list[Any] = []


def _copy_addressing(activity: dict[str, Any], obj: dict[str, Any]) -> None:
    """AP §6.2: the Create and its object share their audience."""
    for f in ADDRESS_FIELDS:
        merged: list[Any] = []
        for v in [*as_list(activity.get(f)), *as_list(obj.get(f))]:
            if v not in merged:
                merged.append(v)
        if merged:
            activity[f] = merged
            obj[f] = list(merged)


def _require_str(doc: dict[str, Any], field: str) -> str:
    v = ref(doc.get(field))
    if not v:
        raise InvalidActivity(f"{field} is required", field=field)
    return v


async def handle(rt: Runtime, actor: LocalActor, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidActivity("the body must be a JSON object")
    type_ = body.get("type")
    if not isinstance(type_, str):
        raise InvalidActivity("type is required", field="type")
    if type_ in OBJECT_TYPES or (type_ not in ACTIVITY_TYPES and "kind" in body):
        body = {"type": "Create", "object": body}
        type_ = "Create"
    if type_ not in ACTIVITY_TYPES:
        raise InvalidActivity(
            f"type {type_!r} is not supported; use one of {', '.join(sorted(ACTIVITY_TYPES))}"
            " or a bare object",
            field="type",
        )
    me = rt.urls.actor(actor.slug)
    given_actor = ref(body.get("actor"))
    if given_actor is not None and given_actor != me:
        raise Forbidden("you can only post as the token's actor", field="actor")
    await blocking.check_c2s(rt, me, type_, body)
    if type_ == "Create":
        return await create(rt, actor, body)
    if type_ == "Update":
        return await update(rt, actor, body)
    if type_ == "Delete":
        return await delete(rt, actor, body)
    if type_ == "Follow":
        return await follows.follow(rt, actor, _require_str(body, "object"))
    if type_ == "Undo":
        return await undo(rt, actor, body)
    if type_ in ("Accept", "Reject"):
        handled = await moderation.answer_join(rt, actor, body)
        if handled is None:
            handled = await event_rsvp.answer(rt, actor, body)
        if handled is not None:
            return handled
        return await follows.answer(
            rt, actor, _require_str(body, "object"), accept=type_ == "Accept"
        )
    if type_ in ("Join", "Leave"):
        joined = await event_rsvp.join_or_leave(rt, actor, body)
        if joined is not None:
            return joined
        return await moderation.join_or_leave(rt, actor, body)
    if type_ == "Remove" or (type_ == "Block" and body.get("target")):
        return await moderation.moderate(rt, actor, body)
    return await simple(rt, actor, body)


async def create(
    rt: Runtime, actor: LocalActor, body: dict[str, Any], *, object_id: str | None = None
) -> dict[str, Any]:
    """`object_id`: an id minted beforehand (imports record it before publishing)."""
    obj = body.get("object")
    if not isinstance(obj, dict):
        raise InvalidActivity("object must be an embedded object", field="object")
    if not isinstance(obj.get("type"), str) or obj["type"] not in OBJECT_TYPES:
        raise InvalidActivity(
            f"object.type must be one of {', '.join(sorted(OBJECT_TYPES))}", field="object.type"
        )
    obj = {k: v for k, v in obj.items() if k != "@context"}
    now = rt.clock.now()
    me = rt.urls.actor(actor.slug)
    obj["id"] = object_id or new_id(rt, "object")
    obj["attributedTo"] = me
    obj["published"] = iso(now)
    obj.setdefault("url", obj["id"])
    activity = {k: v for k, v in body.items() if k not in ("@context", "object", "id")}
    _copy_addressing(activity, obj)
    kind = detect_kind(obj)
    if kind in VALIDATED_KINDS:
        _validate(kind, obj)
        obj = kind_rules.with_defaults(kind, complete_for_mastodon(kind, obj))
    await poll_votes.prepare_vote(rt, actor, obj)
    await moderation.check_community_post(rt, actor, obj, kind)
    for check in CREATE_CHECKS:
        await check(rt, actor, obj, kind)
    activity.update({"type": "Create", "object": obj})
    expires = _expiry(kind, obj)
    published = await publish(rt, actor, activity, expires_at=expires)
    if kind == "event":
        await rsvp_poll.offer_to_mentioned(rt, obj)
    return published


def _validate(kind: str, obj: dict[str, Any]) -> None:
    validate_local(kind, obj)


def _expiry(kind: str, obj: dict[str, Any]) -> float | None:
    """Alerts are never delivered after they expire."""
    if kind != "alert":
        return None
    from ..protocol.timing import time_bounds

    return time_bounds(obj)[1]


async def _own_object(rt: Runtime, actor: LocalActor, oid: str) -> activity_store.StoredObject:
    stored = await activity_store.get_object(rt.store, oid)
    if stored is None or stored.deleted is not None:
        raise NotFound(f"no object {oid}", field="object")
    if stored.attributed_to != rt.urls.actor(actor.slug):
        raise Forbidden("you can only change your own objects", field="object")
    return stored


async def update(
    rt: Runtime, actor: LocalActor, body: dict[str, Any], *, replace: bool = False
) -> dict[str, Any]:
    """`replace`: the given object is the whole new version (imports), not a patch; only
    the id, author, publication date and url of the stored one are kept."""
    obj = body.get("object")
    oid = ref(obj)
    if oid is None or not isinstance(obj, dict):
        raise InvalidActivity("object must be an embedded object with an id", field="object")
    me = rt.urls.actor(actor.slug)
    if oid == me:
        from .profile import update_profile

        return await update_profile(rt, actor, obj)
    answered = await report_status.respond(rt, actor, obj)
    if answered is not None:
        return answered
    stored = await _own_object(rt, actor, oid)
    kept = ("id", "attributedTo", "published", "url")
    base = {k: v for k, v in stored.document.items() if k in kept} if replace else stored.document
    merged = {
        **base,
        **{
            k: v for k, v in obj.items() if k not in ("@context", "id", "attributedTo", "published")
        },
    }
    merged["updated"] = iso(rt.clock.now())
    kind = detect_kind(merged)
    extra = await kind_rules.before_update(rt, kind, stored, obj, merged)
    if kind in VALIDATED_KINDS:
        _validate(kind, merged)
        merged = complete_for_mastodon(kind, merged)
    activity = {"type": "Update", "object": merged}
    for f in ADDRESS_FIELDS:
        if f in merged:
            activity[f] = merged[f]
    return await publish(
        rt, actor, activity, expires_at=_expiry(kind, merged), extra_recipients=extra or None
    )


async def delete(rt: Runtime, actor: LocalActor, body: dict[str, Any]) -> dict[str, Any]:
    oid = _require_str(body, "object")
    if oid == rt.urls.actor(actor.slug):
        from . import account

        return await account.delete(rt, actor)
    stored = await _own_object(rt, actor, oid)
    await activity_store.mark_object_deleted(rt.store, oid, rt.clock.now())
    tomb = {"id": oid, "type": "Tombstone", "formerType": stored.type}
    activity: dict[str, Any] = {"type": "Delete", "object": tomb}
    for f in ("to", "cc", "audience"):
        if f in stored.document:
            activity[f] = stored.document[f]
    return await publish(rt, actor, activity, store_object=False)


async def undo(rt: Runtime, actor: LocalActor, body: dict[str, Any]) -> dict[str, Any]:
    oid = _require_str(body, "object")
    me = rt.urls.actor(actor.slug)
    original = await activity_store.get_activity(rt.store, oid)
    if original is None:
        # Undo may name the followed actor directly for convenience.
        if await follow_store.get(rt.store, me, oid):
            return await follows.unfollow(rt, actor, oid)
        raise NotFound(f"no activity {oid}", field="object")
    if original.actor_uri != me:
        raise Forbidden("you can only undo your own activities", field="object")
    if original.type == "Follow" and original.object_uri:
        return await follows.unfollow(rt, actor, original.object_uri)
    if original.type == "Block":
        await actor_block_store.remove_by_activity(rt.store, original.uri)
    if (
        original.type == "Join"
        and original.object_uri
        and not rt.urls.is_local(original.object_uri)
    ):
        # Undo(Join) of a remote event: our record of the RSVP goes with it, as on Leave.
        from ..store import events as event_store

        await event_store.remove(rt.store, original.object_uri, me)
    doc = {k: v for k, v in original.document.items() if k != "@context"}
    activity: dict[str, Any] = {"type": "Undo", "object": doc}
    for f in ("to", "cc"):
        if f in doc:
            activity[f] = doc[f]
    return await publish(rt, actor, activity, store_object=False)


async def simple(rt: Runtime, actor: LocalActor, body: dict[str, Any]) -> dict[str, Any]:
    """Like, Announce, Block: addressed to the object's author (and followers for Announce)."""
    oid = _require_str(body, "object")
    activity = {k: v for k, v in body.items() if k not in ("@context", "id", "actor")}
    me = rt.urls.actor(actor.slug)
    author = None
    stored = await activity_store.get_object(rt.store, oid)
    if stored is not None:
        author = stored.attributed_to
    if body["type"] == "Block":
        author = oid
        await follow_store.remove(rt.store, oid, me)
        await follow_store.remove(rt.store, me, oid)
        activity["id"] = new_id(rt)  # the personal block, enforced by the inbox handlers
        await actor_block_store.add(rt.store, me, oid, activity["id"], rt.clock.now())
    to = as_list(activity.get("to"))
    if author and author not in to:
        to.append(author)
    activity["to"] = to
    if body["type"] == "Announce":
        cc = as_list(activity.get("cc"))
        if rt.urls.followers(actor.slug) not in cc:
            cc.append(rt.urls.followers(actor.slug))
        activity["cc"] = cc
    activity["object"] = oid
    return await publish(rt, actor, activity, store_object=False)
