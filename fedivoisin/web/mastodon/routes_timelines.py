"""Timelines (home, public, tag), notifications and markers: keyset paging with `Link`.

A page is read with `id < max_id` / `id > since_id|min_id` and a LIMIT; statuses the
viewer may not see (visible_to) are dropped, and the next batch is read until the page is
full or the store has nothing more, so paging stays correct without OFFSET.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ...errors import NotFound, Unprocessable
from ...outbox.polls import close_ended
from ...store import mastodon as mstore
from ...store import mastodon_residents as rstore
from ...store.mastodon import Page, StatusRow
from ..routes.common import runtime
from . import notifications as notes
from .common import actor_uri, json, link_header, me, page, params, viewer
from .entities import iso
from .present import Presenter

MAX_BATCHES = 5


async def _fill(
    fetch: Callable[[Page], Awaitable[list[StatusRow]]], p: Presenter, pg: Page
) -> tuple[list[dict[str, Any]], list[int]]:
    """Read batches until `limit` visible statuses (or the end); ids of what was read."""
    shown: list[dict[str, Any]] = []
    read: list[int] = []
    current = pg
    for _ in range(MAX_BATCHES):
        rows = await fetch(current)
        if not rows:
            break
        read.extend(r.id for r in rows)
        shown.extend(await p.statuses(rows))
        if len(shown) >= pg.limit or len(rows) < current.limit:
            break
        if pg.min_id is not None:
            current = replace(current, min_id=max(r.id for r in rows))
        else:
            current = replace(current, max_id=min(r.id for r in rows))
    if pg.min_id is not None:
        shown.sort(key=lambda s: int(s["id"]), reverse=True)
    return shown[: pg.limit], read


async def home(request: Request) -> Response:
    actor = await me(request, "read:statuses")
    rt = runtime(request)
    mine = rt.urls.actor(actor.slug)
    p = Presenter(rt, mine)
    p.hidden = await rstore.hidden_for(rt.store, mine)
    pg = page(await params(request))
    shown, read = await _fill(lambda b: mstore.home(rt.store, mine, b), p, pg)
    return json(shown, headers=link_header(request, read))


async def public(request: Request) -> Response:
    who = await viewer(request, "read:statuses")
    rt = runtime(request)
    q = await params(request)
    local = q.flag("local")
    p = Presenter(rt, actor_uri(request, who))
    pg = page(q)
    shown, read = await _fill(lambda b: mstore.public(rt.store, b, local_only=local), p, pg)
    return json(shown, headers=link_header(request, read))


async def tag(request: Request) -> Response:
    who = await viewer(request, "read:statuses")
    rt = runtime(request)
    q = await params(request)
    name = request.path_params["tag"]
    p = Presenter(rt, actor_uri(request, who))
    pg = page(q)
    shown, read = await _fill(
        lambda b: mstore.tagged(rt.store, name, b, local_only=q.flag("local")), p, pg
    )
    return json(shown, headers=link_header(request, read))


async def notifications(request: Request) -> Response:
    actor = await me(request, "read:notifications")
    rt = runtime(request)
    q = await params(request)
    types = set(map(str, q.list("types"))) or None
    exclude = set(map(str, q.list("exclude_types")))
    unknown = ((types or set()) | exclude) - notes.TYPES
    if unknown:
        raise Unprocessable(f"unknown notification type {sorted(unknown)[0]!r}", field="types")
    await close_ended(rt, rt.urls.actor(actor.slug))  # polls end on read, too
    shown, read = await notes.page_of(rt, actor, page(q), types=types, exclude=exclude)
    return json(shown, headers=link_header(request, read))


async def notification(request: Request) -> Response:
    actor = await me(request, "read:notifications")
    rt = runtime(request)
    try:
        n = int(request.path_params["id"])
    except ValueError:
        raise NotFound("Record not found") from None
    found = await notes.one(rt, actor, n)
    if found is None:
        raise NotFound("Record not found")
    return json(found)


async def dismiss(request: Request) -> Response:
    actor = await me(request, "write:notifications")
    rt = runtime(request)
    raw = request.path_params.get("id")
    try:
        n = int(raw) if raw is not None else None
    except ValueError:
        raise NotFound("Record not found") from None
    await rstore.dismiss(rt.store, actor.slug, n)
    return json({})


async def markers(request: Request) -> Response:
    if request.method == "POST":
        actor = await me(request, "write:statuses")
    else:
        actor = await me(request, "read:statuses")
    rt = runtime(request)
    q = await params(request)
    if request.method == "POST":
        for timeline in ("home", "notifications"):
            last = q.sub(timeline).get("last_read_id")
            if last is not None:
                await rstore.set_marker(rt.store, actor.slug, timeline, str(last), rt.clock.now())
    wanted = set(map(str, q.list("timeline"))) or {"home", "notifications"}
    out = {}
    for r in await rstore.markers(rt.store, actor.slug):
        if request.method == "POST" or r["timeline"] in wanted:
            out[r["timeline"]] = {
                "last_read_id": r["last_read_id"],
                "version": r["version"],
                "updated_at": iso(r["updated_at"]),
            }
    return json(out)
