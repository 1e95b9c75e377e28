"""Signed GETs knock twice: a peer that refuses draft-cavage (401) is retried once with
RFC 9421, and the scheme that worked is remembered for that host."""

from __future__ import annotations

from pathlib import Path

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedivoisin.remote import fetch
from fedivoisin.web.embedded import EmbeddedServer
from tests.rig import Instance, free_port


async def test_fetch_retries_with_rfc9421_and_remembers_it(tmp_path: Path) -> None:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    seen: list[str] = []

    async def note(request: Request) -> Response:
        scheme = "rfc9421" if "signature-input" in request.headers else "cavage"
        seen.append(scheme)
        if scheme != "rfc9421":
            return Response(status_code=401)
        doc = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{origin}/notes/1",
            "type": "Note",
            "content": "ok",
        }
        return Response(orjson.dumps(doc), media_type="application/activity+json")

    server = EmbeddedServer(Starlette(routes=[Route("/notes/1", note)]), port, lifespan="off")
    await server.start()
    try:
        async with Instance(tmp_path / "a") as a:
            doc = await fetch(a.rt, f"{origin}/notes/1")
            assert doc["content"] == "ok"
            assert seen == ["cavage", "rfc9421"]
            await fetch(a.rt, f"{origin}/notes/1")
            assert seen == ["cavage", "rfc9421", "rfc9421"]  # remembered for the host
    finally:
        await server.stop()
