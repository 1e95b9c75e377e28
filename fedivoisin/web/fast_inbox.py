"""Inbox POSTs served as raw ASGI, ahead of Starlette's routing and Request objects.

Why: the inbox takes most of a server's traffic and its budget is ~150 µs per request
(docs/performance.md, "Inbox"); Starlette's exception middleware, route matching and
Request construction cost ~20 µs of it. The logic is the same `inbox.receive.accept` the
Starlette route uses; errors become the same problem+json bodies (web/problems.py).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from ..errors import NotFound, ProblemError
from ..inbox.receive import accept, check_content_type, read_stream
from ..metrics import reason_of
from ..outbox.publish import wake_inbox
from ..protocol.signatures_common import LowerHeaders
from ..protocol.urls import valid_slug
from ..runtime import Runtime
from ..store import actors as actor_store
from .problems import problem_body

log = logging.getLogger("fedivoisin.web")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def inbox_recipient(path: str) -> tuple[bool, str | None]:
    """(is an inbox path, personal inbox slug or None for the shared inbox)."""
    if path == "/inbox":
        return True, None
    if path.startswith("/actors/") and path.endswith("/inbox"):
        slug = path[8:-6]
        if valid_slug(slug):
            return True, slug
    return False, None


class InboxFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        is_inbox, slug = inbox_recipient(scope["path"])
        if not is_inbox:
            await self.app(scope, receive, send)
            return
        rt: Runtime = scope["app"].state.runtime
        try:
            queued = await self._accept(rt, scope, receive, slug)
        except ProblemError as exc:
            rt.metrics.inbox_refused_by(reason_of(exc)).inc()
            if exc.internal != exc.detail:
                log.info("POST %s: %s", scope["path"], exc.internal)
            await _respond(
                send, exc.status, problem_body(exc.status, exc.title, exc.detail, exc.field)
            )
            return
        except Exception:
            log.exception("unexpected error on POST %s", scope["path"])
            await _respond(
                send,
                500,
                problem_body(500, "Internal error", "The server failed to handle this request."),
            )
            return
        if queued:
            rt.metrics.inbox_accepted.inc()
            wake_inbox(rt)
        else:
            rt.metrics.inbox_not_queued.inc()
        await _respond(send, 202, None)

    async def _accept(self, rt: Runtime, scope: Scope, receive: Receive, slug: str | None) -> bool:
        headers = LowerHeaders()
        for k, v in scope["headers"]:
            name, value = k.decode("latin-1").lower(), v.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        check_content_type(headers.get("content-type", ""))
        if slug is not None and not await _local_actor_exists(rt, slug):
            raise NotFound(f"no actor {slug!r} here")
        body = await read_stream(
            _chunks(receive), headers.get("content-length"), rt.settings.max_body
        )
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        url = rt.settings.origin + raw_path.decode("latin-1")
        if query:
            url += "?" + query.decode("latin-1")
        return await accept(rt, url, headers, body, slug)


async def _local_actor_exists(rt: Runtime, slug: str) -> bool:
    known: set[str] = rt.caches.setdefault("inbox_slugs", set())
    if slug in known:
        return True
    if await actor_store.get_actor(rt.store, slug) is None:
        return False
    known.add(slug)
    return True


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


async def _respond(send: Send, status: int, body: bytes | None) -> None:
    headers = [(b"content-length", str(len(body or b"")).encode())]
    if body:
        headers.append((b"content-type", b"application/problem+json"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body or b""})
