"""Real loopback servers and client factories for the outbound client tests.

`Peer` is an aiohttp.web server on 127.0.0.1 (free port, in this event loop) that
records every request and answers from per-path handlers. Slow handlers wait on
`peer.release`, which teardown sets, so no test can hang.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from aiohttp import web

from fedivoisin.http import HttpClient, HttpPolicy, create_http_client

AS2 = "application/activity+json"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Recorded:
    method: str
    host: str
    path: str
    raw_path: str
    headers: dict[str, str]
    body: bytes
    client_port: int  # the client's source port: equal ports mean a reused connection


class Peer:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Recorded] = []
        self.release = asyncio.Event()
        self.port = 0
        self._runner: web.AppRunner | None = None

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def json(
        self,
        path: str,
        document: Any,
        *,
        content_type: str = AS2,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        body = orjson.dumps(document)

        async def handler(request: web.Request) -> web.StreamResponse:
            return web.Response(
                body=body, status=status, headers={"Content-Type": content_type, **(headers or {})}
            )

        self.route(path, handler)

    def status(self, path: str, status: int, headers: dict[str, str] | None = None) -> None:
        async def handler(request: web.Request) -> web.StreamResponse:
            return web.Response(status=status, text="nope", headers=headers)

        self.route(path, handler)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        async def handler(request: web.Request) -> web.StreamResponse:
            return web.Response(status=status, headers={"Location": location})

        self.route(path, handler)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            Recorded(
                request.method,
                request.host,
                request.path,
                request.raw_path,
                dict(request.headers),
                body,
                request.transport.get_extra_info("peername")[1] if request.transport else 0,
            )
        )
        handler = self.routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="no route")
        return await handler(request)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self.release.set()
        if self._runner is not None:
            await asyncio.wait_for(self._runner.cleanup(), 5)


@pytest.fixture
async def make_peer() -> AsyncIterator[Callable[[], Awaitable[Peer]]]:
    peers: list[Peer] = []

    async def make() -> Peer:
        peer = Peer()
        await peer.start()
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        await peer.stop()


@pytest.fixture
async def peer(make_peer: Callable[[], Awaitable[Peer]]) -> Peer:
    return await make_peer()


def policy(**overrides: Any) -> HttpPolicy:
    """Loopback test policy: private networks on, short bounded timeouts."""
    settings: dict[str, Any] = {
        "user_agent": "fedivoisin-test/0",
        "allow_private_networks": True,
        "connect_timeout": 1.0,
        "total_timeout": 3.0,
    }
    settings.update(overrides)
    return HttpPolicy(**settings)


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., HttpClient]]:
    clients: list[HttpClient] = []

    def make(**overrides: Any) -> HttpClient:
        client = create_http_client(policy(**overrides))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
def client(make_client: Callable[..., HttpClient]) -> HttpClient:
    return make_client()
