"""`/api/v1/streaming`: Mastodon's WebSocket streaming API (user, public, public:local,
hashtag, hashtag:local), so apps update live.

Each connection follows its streams with the same keyset queries as the timelines
(`id > last seen`), waking every STREAM_POLL seconds: anything stored by any path (C2S,
the API, the inbox worker, the CLI) is streamed, with the same visibility rule, and
nothing is lost while a connection is slow. Events are Mastodon's: `update` (a status),
`notification`, `delete` (payload: the status id) and `status.update` (an edited status)
on the `user` and `public` streams, each `payload` a JSON string. Deletions and edits are
found by their time (`objects.deleted` / `updated` since the last look).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from ...store import mastodon as mstore
from ...store import mastodon_residents as rstore
from ...store.mastodon import Page, StatusRow
from ..auth import principal_for_token
from ..routes.common import runtime
from . import notifications as notes
from .present import Presenter
from .stream_cursor import StreamCursor

log = logging.getLogger("fedivoisin.streaming")

STREAM_POLL = 0.2
STREAMS = ("user", "user:notification", "public", "public:local", "hashtag", "hashtag:local")


@dataclass
class Subscription:
    stream: str
    tag: str | None = None
    statuses: StreamCursor = field(default_factory=StreamCursor)
    notes: StreamCursor = field(default_factory=StreamCursor)
    changed_since: float = 0.0
    sent_changes: set[tuple[int, float]] = field(default_factory=set)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> list[str]:
        return [self.stream, self.tag] if self.tag else [self.stream]


def _token(ws: WebSocket) -> str | None:
    token = ws.query_params.get("access_token")
    if token:
        return token
    proto = ws.headers.get("sec-websocket-protocol")
    if proto:
        return proto.split(",")[0].strip()
    auth = ws.headers.get("authorization", "")
    return auth.partition(" ")[2].strip() or None


async def streaming(ws: WebSocket) -> None:
    rt = runtime(ws)  # type: ignore[arg-type]
    token = _token(ws)
    principal = await principal_for_token(ws, token) if token else None
    if token and (principal is None or not principal.allows("read")):
        await ws.close(code=4001)
        return
    me = rt.urls.actor(principal.actor.slug) if principal and principal.actor else None
    subprotocol = ws.headers.get("sec-websocket-protocol")
    await ws.accept(subprotocol=subprotocol.split(",")[0].strip() if subprotocol else None)
    subs: dict[tuple[str, str | None], Subscription] = {}

    async def subscribe(stream: str | None, tag: str | None) -> None:
        if stream not in STREAMS or (stream.startswith("user") and me is None):
            await ws.send_text(orjson.dumps({"error": f"unknown stream {stream!r}"}).decode())
            return
        if stream.startswith("hashtag") and not tag:
            await ws.send_text(orjson.dumps({"error": "a hashtag stream needs a tag"}).decode())
            return
        sub = Subscription(stream, tag if stream.startswith("hashtag") else None)
        sub.statuses = StreamCursor(settled=await _newest_status(rt))
        sub.changed_since = rt.clock.now()
        if me is not None and principal is not None and principal.actor is not None:
            entries = await rstore.inbox_entries(rt.store, principal.actor.slug, Page(limit=1))
            sub.notes = StreamCursor(settled=entries[0].id if entries else 0)
        subs[(sub.stream, sub.tag)] = sub

    first = ws.query_params.get("stream")
    if first:
        await subscribe(first, ws.query_params.get("tag"))

    async def listen() -> None:
        while True:
            frame = await ws.receive()
            if frame["type"] == "websocket.disconnect":
                return
            try:
                msg = orjson.loads(frame.get("text") or frame.get("bytes") or b"")
            except orjson.JSONDecodeError:
                continue
            if not isinstance(msg, dict):
                continue
            stream, tag = msg.get("stream"), msg.get("tag")
            if msg.get("type") == "subscribe":
                await subscribe(stream, tag)
            elif msg.get("type") == "unsubscribe":
                subs.pop((stream, tag if str(stream).startswith("hashtag") else None), None)

    listener = asyncio.create_task(listen())
    try:
        while not listener.done():
            for sub in list(subs.values()):
                await _push(ws, rt, me, principal, sub)
            await asyncio.wait([listener], timeout=STREAM_POLL)
    except (WebSocketDisconnect, RuntimeError):
        pass
    except Exception:
        log.exception("streaming connection failed")
        raise
    finally:
        listener.cancel()
        with contextlib.suppress(BaseException):
            await listener


async def _newest_status(rt: Any) -> int:
    row = await rt.store.fetchone("SELECT max(id) AS n FROM statuses")
    return int(row["n"] or 0) if row else 0


async def _push(ws: WebSocket, rt: Any, me: str | None, principal: Any, sub: Subscription) -> None:
    p = Presenter(rt, me)
    fetch: Callable[[Page], Awaitable[list[StatusRow]]] | None = None
    local_only = sub.stream.endswith(":local")
    if sub.stream == "user":
        assert me is not None
        p.hidden = await rstore.hidden_for(rt.store, me)
        fetch = functools.partial(mstore.home, rt.store, me)
    elif sub.stream.startswith("public"):
        fetch = functools.partial(mstore.public, rt.store, local_only=local_only)
    elif sub.stream.startswith("hashtag"):
        fetch = functools.partial(mstore.tagged, rt.store, sub.tag or "", local_only=local_only)
    if fetch is not None:
        rows = sorted(await sub.statuses.unsent(fetch, _status_id), key=_status_id)
        for status in await p.statuses(rows):
            await _send(ws, sub, "update", status)
    if sub.stream in ("user", "public", "public:local"):
        await _push_changes(ws, rt, p, me if sub.stream == "user" else None, sub)
    if sub.stream.startswith("user") and principal is not None and principal.actor is not None:
        # Only the entries this very read saw are marked: a second query could see an
        # entry committed in between and skip its notification for ever.
        shown, seen = await notes.page_of(
            rt, principal.actor, Page(min_id=sub.notes.settled, limit=40), types=None, exclude=set()
        )
        fresh = [n for n in shown if int(n["id"]) not in sub.notes.sent]
        sub.notes.saw(seen)
        for n in sorted(fresh, key=lambda n: int(n["id"])):
            await _send(ws, sub, "notification", n)


def _status_id(row: StatusRow) -> int:
    return row.id


async def _push_changes(
    ws: WebSocket, rt: Any, p: Presenter, me: str | None, sub: Subscription
) -> None:
    """`delete` and `status.update` for statuses deleted or edited since the last look
    (>= with a memory of what was sent, so two changes in the same instant both go)."""
    now = rt.clock.now()
    changes = await mstore.changed_since(
        rt.store, sub.changed_since, me=me, local_only=sub.stream == "public:local"
    )
    for id_, deleted, updated in changes:
        when = deleted if deleted is not None else updated
        if when is None or (id_, when) in sub.sent_changes:
            continue
        sub.sent_changes.add((id_, when))
        if deleted is not None:
            await _send(ws, sub, "delete", str(id_))
            continue
        row = await mstore.status(rt.store, id_)
        if row is not None:
            for status in await p.statuses([row]):
                await _send(ws, sub, "status.update", status)
    # Keep a second of overlap: a change stamped just before `now` may commit after it.
    if now - 1.0 > sub.changed_since:
        sub.changed_since = now - 1.0
        sub.sent_changes = {c for c in sub.sent_changes if c[1] >= sub.changed_since}


async def _send(ws: WebSocket, sub: Subscription, event: str, payload: Any) -> None:
    await ws.send_text(
        orjson.dumps(
            {
                "stream": sub.name,
                "event": event,
                # `delete` carries the bare id, every other event a JSON document.
                "payload": payload if isinstance(payload, str) else orjson.dumps(payload).decode(),
            }
        ).decode()
    )
