"""Notifications, read from the resident's inbox items (one id space, keyset paging).

What Mastodon calls a notification is an activity that reached the resident's inbox and
concerns them: a Follow of them (follow / follow_request), a Like or Announce of their
status (favourite / reblog), a Create that names them or replies to them (mention), an
alert of a community they belong to (status, so every member is told), an Update of a
status they interacted with (update). Nothing is stored twice.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ...errors import NotFound
from ...outbox.polls import is_vote
from ...protocol.addressing import addressees, ref
from ...runtime import Runtime
from ...store import activities as activity_store
from ...store import follows as follow_store
from ...store import mastodon as mstore
from ...store import mastodon_residents as rstore
from ...store import polls as poll_store
from ...store.actors import LocalActor
from ...store.mastodon import Page
from ...store.mastodon_residents import InboxEntry
from .entities import iso
from .present import Presenter

TYPES = frozenset(
    {
        "mention",
        "status",
        "reblog",
        "follow",
        "follow_request",
        "favourite",
        "poll",
        "update",
        "admin.sign_up",
        "admin.report",
        "severed_relationships",
        "moderation_warning",
        "quote",
        "quoted_update",
    }
)


async def classify(rt: Runtime, me: str, e: InboxEntry) -> tuple[str, str | None] | None:
    """(type, object uri of the status) when this inbox entry is a notification for `me`."""
    if e.type == "Update" and e.object_uri is not None:
        ended = await _ended_poll(rt, me, e)
        if ended:
            return "poll", e.object_uri
    if e.actor_uri == me:
        return None
    if e.type == "Follow":
        if e.object_uri != me:
            return None
        f = await follow_store.get(rt.store, e.actor_uri, me)
        return ("follow_request" if f is not None and f.state == "pending" else "follow"), None
    obj_uri = e.object_uri
    if obj_uri is None:
        return None
    if e.type in ("Like", "Announce"):
        stored = await activity_store.get_object(rt.store, obj_uri)
        if stored is None or stored.attributed_to != me:
            return None
        return ("favourite" if e.type == "Like" else "reblog"), obj_uri
    stored = await activity_store.get_object(rt.store, obj_uri)
    if stored is None or is_vote(stored.document):
        return None
    if e.type == "Update":
        if stored.type == "Question":
            return None  # a poll's new tally is no edit (its end is the `poll` notification)
        fav = await mstore.favourite_activity(rt.store, obj_uri, me)
        boosted = fav or await mstore.reblog_of(rt.store, obj_uri, me)
        replied = boosted or await mstore.replied(rt.store, obj_uri, me)
        return ("update", obj_uri) if replied else None
    if stored.kind == "alert":
        return "status", obj_uri
    if me in addressees(stored.document):
        return "mention", obj_uri
    if stored.in_reply_to:
        parent = await activity_store.get_object(rt.store, stored.in_reply_to)
        if parent is not None and parent.attributed_to == me:
            return "mention", obj_uri
    return None


async def _ended_poll(rt: Runtime, me: str, e: InboxEntry) -> bool:
    """The Update that closed a poll (FEP-9967 `closed` in the activity itself, not only in
    the stored copy) tells its author and its voters that it ended."""
    doc = activity_store.decode_document(e.document)
    obj = doc.get("object")
    if not isinstance(obj, dict) or obj.get("type") != "Question" or not obj.get("closed"):
        return False
    if ref(obj.get("attributedTo")) == me:
        return True
    return await poll_store.has_voted(rt.store, str(e.object_uri), me)


async def _entity(
    p: Presenter, e: InboxEntry, kind: str, obj_uri: str | None
) -> dict[str, Any] | None:
    status = None
    if obj_uri is not None:
        try:
            status = await p.by_object(obj_uri)
        except NotFound:  # deleted or no longer visible: no notification
            return None
    author = e.actor_uri
    doc = activity_store.decode_document(e.document)
    if kind in ("mention", "status", "update") and isinstance(doc.get("object"), dict):
        author = ref(doc["object"].get("attributedTo")) or author
    return {
        "id": str(e.id),
        "type": kind,
        "created_at": iso(e.received_at),
        "group_key": f"ungrouped-{e.id}",
        "account": await p.account(author),
        "status": status,
    }


async def page_of(
    rt: Runtime,
    actor: LocalActor,
    pg: Page,
    *,
    types: set[str] | None,
    exclude: set[str],
) -> tuple[list[dict[str, Any]], list[int]]:
    me = rt.urls.actor(actor.slug)
    p = Presenter(rt, me)
    out: list[dict[str, Any]] = []
    read: list[int] = []
    current = replace(pg, limit=max(pg.limit, 20))
    for _ in range(10):
        entries = await rstore.inbox_entries(rt.store, actor.slug, current)
        if not entries:
            break
        for e in entries:
            read.append(e.id)
            found = await classify(rt, me, e)
            if found is None:
                continue
            kind, obj_uri = found
            if (types is not None and kind not in types) or kind in exclude:
                continue
            entity = await _entity(p, e, kind, obj_uri)
            if entity is not None:
                out.append(entity)
            if len(out) >= pg.limit:
                break
        if len(out) >= pg.limit or len(entries) < current.limit:
            break
        if pg.min_id is not None:
            current = replace(current, min_id=max(e.id for e in entries))
        else:
            current = replace(current, max_id=min(e.id for e in entries))
    out.sort(key=lambda n: int(n["id"]), reverse=True)
    out = out[: pg.limit]
    return out, [int(n["id"]) for n in out] or read


async def one(rt: Runtime, actor: LocalActor, id_: int) -> dict[str, Any] | None:
    me = rt.urls.actor(actor.slug)
    e = await rstore.inbox_entry(rt.store, actor.slug, id_)
    if e is None:
        return None
    found = await classify(rt, me, e)
    if found is None:
        return None
    return await _entity(Presenter(rt, me), e, *found)
