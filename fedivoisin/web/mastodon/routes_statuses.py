"""Statuses: post, get, delete, edit, context, favourite, reblog, polls and votes.

Each write is a C2S activity through `outbox.c2s.handle` (Create, Delete, Update, Like,
Announce, Undo, Join/Leave): stored, delivered and federated exactly as from any C2S
client. Favouriting an Event is an RSVP (Join; unfavourite = Leave): docs/mastodon-api.md.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ...errors import NotFound, Unprocessable
from ...outbox import c2s
from ...outbox.polls import is_vote
from ...protocol.addressing import ref
from ...protocol.vocab import parse_object
from ...store import activities as activity_store
from ...store import mastodon as mstore
from ...store import mastodon_residents as rstore
from ...store import pins as pin_store
from ..routes.common import runtime
from . import compose, media
from .common import actor_uri, json, me, params, viewer
from .present import Presenter

IDEMPOTENCY_SECONDS = 3600


async def post_status(request: Request) -> Response:
    actor = await me(request, "write:statuses")
    rt = runtime(request)
    mine = rt.urls.actor(actor.slug)
    p = Presenter(rt, mine)
    key = request.headers.get("idempotency-key")
    if key:
        done = await rstore.idempotent(
            rt.store, actor.slug, key, rt.clock.now() - IDEMPOTENCY_SECONDS
        )
        if done is not None:
            return json(await p.by_object(done))
    q = await params(request)
    parent_uri = None
    reply_to = q.get("in_reply_to_id")
    if reply_to not in (None, ""):
        try:
            _, parent = await p.status_row(str(reply_to))
        except NotFound:
            raise Unprocessable("in_reply_to_id: no such status", field="in_reply_to_id") from None
        parent_uri = parent.uri
    obj = await compose.build(rt, actor, q, parent_uri=parent_uri)
    await media.attach(rt, actor, obj, [str(m) for m in q.list("media_ids")])
    doc = await c2s.handle(rt, actor, {"type": "Create", "object": obj})
    uri = str(ref(doc["object"]))
    await media.mark_attached(rt, obj, uri)
    if key:
        await rstore.remember_key(rt.store, actor.slug, key, uri, rt.clock.now())
    return json(await p.by_object(uri))


async def get_status(request: Request) -> Response:
    who = await viewer(request, "read:statuses")
    p = Presenter(runtime(request), actor_uri(request, who))
    row, _ = await p.status_row(request.path_params["id"])
    return json(await p.one(row))


async def _own(request: Request, scope: str) -> tuple[Any, Presenter, Any, Any]:
    actor = await me(request, scope)
    rt = runtime(request)
    p = Presenter(rt, rt.urls.actor(actor.slug))
    row, obj = await p.status_row(request.path_params["id"])
    return actor, p, row, obj


async def delete_status(request: Request) -> Response:
    actor, p, row, obj = await _own(request, "write:statuses")
    rt = runtime(request)
    if row.announce_uri is not None or obj.attributed_to != rt.urls.actor(actor.slug):
        raise NotFound("Record not found")
    shown = await p.one(row)
    shown["text"] = _plain(obj.document)
    await c2s.handle(rt, actor, {"type": "Delete", "object": obj.uri})
    return json(shown)


def _plain(doc: dict[str, Any]) -> str:
    from .text import strip_html

    content = doc.get("content")
    return strip_html(content) if isinstance(content, str) else ""


async def edit_status(request: Request) -> Response:
    actor, p, row, obj = await _own(request, "write:statuses")
    rt = runtime(request)
    if row.announce_uri is not None or obj.attributed_to != rt.urls.actor(actor.slug):
        raise NotFound("Record not found")
    q = await params(request)
    built = await compose.build(rt, actor, q, parent_uri=obj.in_reply_to)
    change: dict[str, Any] = {"id": obj.uri, "content": built["content"], "tag": built["tag"]}
    if "summary" in built:
        change["summary"] = built["summary"]
    await c2s.handle(rt, actor, {"type": "Update", "object": change})
    return json(await Presenter(rt, p.viewer).one(row))


async def pin(request: Request) -> Response:
    """Pin (or unpin) one's own status to one's profile: at most MAX_PINS, never a
    direct one (as Mastodon); federated through the actor's `featured` collection."""
    actor, p, row, obj = await _own(request, "write:accounts")
    rt = runtime(request)
    me_uri = rt.urls.actor(actor.slug)
    if row.announce_uri is not None or obj.attributed_to != me_uri:
        raise Unprocessable("Validation failed: you can only pin your own statuses", field="id")
    if request.url.path.endswith("/unpin"):
        await pin_store.unpin(rt.store, me_uri, obj.uri)
    else:
        if p.visibility_of(obj) == "direct":
            raise Unprocessable("Validation failed: a direct status cannot be pinned", field="id")
        if await pin_store.count(rt.store, me_uri) >= pin_store.MAX_PINS:
            raise Unprocessable(
                f"Validation failed: at most {pin_store.MAX_PINS} pinned statuses", field="id"
            )
        await pin_store.pin(rt.store, me_uri, obj.uri, rt.clock.now())
    return json(await Presenter(rt, me_uri).one(row))


async def context(request: Request) -> Response:
    who = await viewer(request, "read:statuses")
    rt = runtime(request)
    p = Presenter(rt, actor_uri(request, who))
    _row, obj = await p.status_row(request.path_params["id"])
    ancestors: list[str] = []
    parent = obj.in_reply_to
    while parent and len(ancestors) < 40 and parent not in ancestors:
        ancestors.append(parent)
        stored = await activity_store.get_object(rt.store, parent)
        parent = stored.in_reply_to if stored else None
    descendants: list[str] = []
    frontier = [obj.uri]
    while frontier and len(descendants) < 200:
        nxt = []
        for uri in frontier:
            for child in await activity_store.replies(rt.store, uri):
                if child.uri not in descendants and not is_vote(child.document):
                    descendants.append(child.uri)
                    nxt.append(child.uri)
        frontier = nxt
    return json(
        {
            "ancestors": await _by_objects(p, ancestors[::-1]),
            "descendants": await _by_objects(p, descendants),
        }
    )


async def _by_objects(p: Presenter, uris: list[str]) -> list[dict[str, Any]]:
    ids = await mstore.original_ids(p.rt.store, uris)
    rows = [await mstore.status(p.rt.store, ids[u]) for u in uris if u in ids]
    return await p.statuses([r for r in rows if r is not None])


async def favourite(request: Request) -> Response:
    actor, p, row, obj = await _own(request, "write:favourites")
    rt = runtime(request)
    mine = rt.urls.actor(actor.slug)
    on = request.url.path.endswith("/favourite")
    if obj.kind == "event" and obj.attributed_to != mine:
        rsvped = await p._rsvped(obj)
        if on != rsvped:
            await c2s.handle(rt, actor, {"type": "Join" if on else "Leave", "object": obj.uri})
    else:
        existing = await mstore.favourite_activity(rt.store, obj.uri, mine)
        if on and existing is None:
            await c2s.handle(rt, actor, {"type": "Like", "object": obj.uri})
        elif not on and existing is not None:
            await c2s.handle(rt, actor, {"type": "Undo", "object": existing})
    original = await mstore.original_ids(rt.store, [obj.uri])
    fresh = await mstore.status(rt.store, original.get(obj.uri, row.id))
    return json(await Presenter(rt, mine).one(fresh or row))


async def reblog(request: Request) -> Response:
    actor, p, _row, obj = await _own(request, "write:statuses")
    rt = runtime(request)
    mine = rt.urls.actor(actor.slug)
    existing = await mstore.reblog_of(rt.store, obj.uri, mine)
    if request.url.path.endswith("/unreblog"):
        if existing is not None and existing.announce_uri:
            await c2s.handle(rt, actor, {"type": "Undo", "object": existing.announce_uri})
        return json(await Presenter(rt, mine).by_object(obj.uri))
    if existing is None:
        if p.visibility_of(obj) not in ("public", "unlisted"):
            raise Unprocessable("this status cannot be reblogged", field="id")
        doc = await c2s.handle(rt, actor, {"type": "Announce", "object": obj.uri})
        existing = await mstore.reblog_of(rt.store, obj.uri, mine)
        assert existing is not None, doc
    return json(await Presenter(rt, mine).one(existing))


async def favourited_by(request: Request) -> Response:
    who = await viewer(request, "read:statuses")
    rt = runtime(request)
    p = Presenter(rt, actor_uri(request, who))
    _, obj = await p.status_row(request.path_params["id"])
    return json(await p.accounts(await mstore.favouriters(rt.store, obj.uri, 80)))


async def reblogged_by(request: Request) -> Response:
    who = await viewer(request, "read:statuses")
    rt = runtime(request)
    p = Presenter(rt, actor_uri(request, who))
    _, obj = await p.status_row(request.path_params["id"])
    return json(await p.accounts(await mstore.rebloggers(rt.store, obj.uri, 80)))


async def get_poll(request: Request) -> Response:
    who = await viewer(request, "read:statuses")
    p = Presenter(runtime(request), actor_uri(request, who))
    row, obj = await p.status_row(request.path_params["id"])
    found = await p.poll(obj, row.id)
    if found is None:
        raise NotFound("Record not found")
    return json(found)


async def vote(request: Request) -> Response:
    """One FEP-9967 vote (a Note named after the option, in reply to the Question) per choice."""
    actor, p, row, obj = await _own(request, "write:statuses")
    rt = runtime(request)
    parsed = parse_object(obj.document).poll
    if parsed is None:
        raise NotFound("Record not found")
    q = await params(request)
    choices = q.list("choices")
    if not choices:
        raise Unprocessable("choices is required", field="choices")
    if len(choices) > 1 and not parsed.multiple:
        raise Unprocessable("this poll accepts one choice", field="choices")
    names = [o.name for o in parsed.options]
    for raw in choices:
        try:
            index = int(raw)
            name = names[index]
        except (TypeError, ValueError, IndexError):
            raise Unprocessable(f"{raw!r} is not an option index", field="choices") from None
        vote_note = {
            "type": "Note",
            "name": name,
            "inReplyTo": obj.uri,
            "to": [obj.attributed_to],
        }
        await c2s.handle(rt, actor, {"type": "Create", "object": vote_note})
    fresh = await activity_store.get_object(rt.store, obj.uri)
    found = await Presenter(rt, p.viewer).poll(fresh or obj, row.id)
    return json(found)
