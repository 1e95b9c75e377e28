"""The ceiling of a GET: a minimal Starlette app answering a static JSON body (an actor
document's size) through the same uvicorn (uvloop + httptools). bench/growth.py compares
every fedivoisin GET with it, in the same run."""

from __future__ import annotations

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = orjson.dumps(
    {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": "http://127.0.0.1/actors/lilas",
        "type": "Group",
        "preferredUsername": "lilas",
        "name": "Résidence Les Lilas",
        "summary": "Bâtiments A et B, 12 rue des Lilas",
        "inbox": "http://127.0.0.1/actors/lilas/inbox",
        "outbox": "http://127.0.0.1/actors/lilas/outbox",
        "followers": "http://127.0.0.1/actors/lilas/followers",
        "publicKey": {"id": "http://127.0.0.1/actors/lilas#main-key", "publicKeyPem": "x" * 450},
    }
)


async def static(request: Request) -> Response:
    return Response(BODY, media_type="application/activity+json")


app = Starlette(routes=[Route("/", static)])
