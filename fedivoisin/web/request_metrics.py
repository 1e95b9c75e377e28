"""HTTP latency by route template for /metrics, as a raw ASGI middleware.

Installed only when metrics are on (`metrics_bind`), inside the inbox fast path: inbox
POSTs, the hot path, never pay for it (they are counted by `fast_inbox`). Labels stay
bounded: the matched route's template (`/actors/{slug}`), never the URL; the method from a
fixed set; the status class (2xx…).
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

from .fast_inbox import ASGIApp, Receive, Scope, Send

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"] if scope["method"] in METHODS else "other"
            scope["app"].state.runtime.metrics.http_latency.labels(
                method, route, f"{status // 100}xx"
            ).observe(time.perf_counter() - start)
