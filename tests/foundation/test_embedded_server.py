"""The in-process server of the demo, the test rig and the benches: a failed start-up is
an ordinary error, and the shared event loop goes on serving (the PostgreSQL CI run once
lost every later test of a worker to one start-up that ended in uvicorn's sys.exit)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from fedivoisin.web.embedded import EmbeddedServer
from tests.rig.instance import free_port


@contextlib.asynccontextmanager
async def _failing_lifespan(app: Starlette) -> AsyncIterator[None]:
    raise OSError("database unreachable")
    yield  # pragma: no cover


async def _hello(request: object) -> PlainTextResponse:
    return PlainTextResponse("bonjour")


async def test_a_failed_start_up_raises_and_the_loop_goes_on() -> None:
    broken = EmbeddedServer(Starlette(lifespan=_failing_lifespan), free_port())
    with pytest.raises(RuntimeError, match="failed to start"):
        await broken.start()
    healthy = EmbeddedServer(Starlette(routes=[Route("/", _hello)]), free_port())
    await healthy.start()
    try:
        async with httpx.AsyncClient() as c:
            r = await c.get(f"http://127.0.0.1:{healthy.config.port}/")
        assert (r.status_code, r.text) == (200, "bonjour")
    finally:
        await healthy.stop()
