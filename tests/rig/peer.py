"""The rig's recording peer: a loopback ActivityPub server that serves documents and records
every POST.

Why: a federation test needs "the other server" to be something it controls completely —
actor documents with a known key, objects to dereference, an inbox whose every request is
kept byte for byte — without the weight of a second fedivoisin or a real third party.

    async with RecordingPeer() as peer:
        alice = peer.add_actor("/users/alice")           # Person with the peer's RSA key
        peer.serve("/notes/1", {...})                     # any JSON document
        r = await peer.deliver(inbox_url, activity, actor=alice)   # signed POST
        got = await peer.wait_for_post(lambda p: p.json()["type"] == "Accept")

Everything listens on 127.0.0.1 on a free port; `origin` is `http://127.0.0.1:PORT`. One RSA
key signs for every actor the peer hosts (each actor document names it `{actor}#main-key`).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedivoisin.protocol import keys
from fedivoisin.protocol.signatures import sign_cavage, sign_rfc9421
from fedivoisin.web.embedded import EmbeddedServer

from .instance import AS2, free_port, wait_for

AS2_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_V1 = "https://w3id.org/security/v1"


@dataclass(frozen=True)
class Recorded:
    """One request the peer received, exactly as it came (header names lower-cased)."""

    seq: int
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class _Document:
    status: int
    body: bytes
    content_type: str = AS2
    etag: str | None = None  # answer If-None-Match with 304 (conditional GETs of feeds)
    delay: float = 0.0  # seconds before answering (timeouts)


@dataclass
class RecordingPeer:
    """Serves registered documents on GET, records every POST and answers `post_status`."""

    post_status: int = 202
    port: int = field(default_factory=free_port)
    documents: dict[str, _Document] = field(default_factory=dict)
    posts: list[Recorded] = field(default_factory=list)
    gets: list[Recorded] = field(default_factory=list)
    actors: dict[str, str] = field(default_factory=dict)  # preferredUsername -> actor URI
    # Extra WebFinger links every account advertises (remote-interaction templates…).
    webfinger_links: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.origin = f"http://127.0.0.1:{self.port}"
        self.private_key = keys.generate_rsa_key()
        self.public_pem = keys.public_key_pem(self.private_key)
        self._seq = 0
        self._server: EmbeddedServer | None = None

    # -- documents -------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.origin + (path if path.startswith("/") else "/" + path)

    def path_of(self, url_or_path: str) -> str:
        """The request path (and query) a URL of this peer is served at."""
        if not url_or_path.startswith(("http://", "https://")):
            return url_or_path
        parts = urlsplit(url_or_path)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            raise ValueError(f"{url_or_path} is not on {self.origin}")
        return (parts.path or "/") + ("?" + parts.query if parts.query else "")

    def serve(
        self,
        url_or_path: str,
        document: Any,
        *,
        status: int = 200,
        content_type: str = AS2,
        etag: bool = False,
        delay: float = 0.0,
    ) -> str:
        """Serve `document` (JSON value, or raw bytes) at a path of this peer; returns its URL.

        `etag=True` sends an ETag (a hash of the body) and answers a matching If-None-Match
        with 304; `delay` holds the answer that many seconds."""
        path = self.path_of(url_or_path)
        body = document if isinstance(document, bytes) else orjson.dumps(document)
        tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"' if etag else None
        self.documents[path] = _Document(status, body, content_type, tag, delay)
        return self.url(path)

    def forget(self, url_or_path: str, *, status: int = 404) -> None:
        """Stop serving a document: answer `status` (404, or 410 for a deleted actor)."""
        self.documents[self.path_of(url_or_path)] = _Document(status, b'{"error":"gone"}')

    def key_id(self, actor: str) -> str:
        return actor + "#main-key"

    def actor_document(
        self, actor: str, *, type_: str = "Person", username: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        username = username or actor.rstrip("/").rsplit("/", 1)[-1] or "actor"
        doc: dict[str, Any] = {
            "@context": [AS2_CONTEXT, SECURITY_V1],
            "id": actor,
            "type": type_,
            "preferredUsername": username,
            "name": extra.pop("name", username),
            "inbox": actor + "/inbox",
            "outbox": actor + "/outbox",
            "followers": actor + "/followers",
            "following": actor + "/following",
            "endpoints": {"sharedInbox": self.url("/inbox")},
            "publicKey": {
                "id": self.key_id(actor),
                "owner": actor,
                "publicKeyPem": self.public_pem,
            },
        }
        doc.update(extra)
        return doc

    def add_actor(
        self,
        path: str = "/users/alice",
        *,
        type_: str = "Person",
        username: str | None = None,
        **extra: Any,
    ) -> str:
        """Serve an actor whose key is this peer's RSA key; returns the actor URI."""
        actor = self.url(path) if not path.startswith("http") else path
        doc = self.actor_document(actor, type_=type_, username=username, **extra)
        self.serve(actor, doc)
        self.actors[doc["preferredUsername"]] = actor
        return actor

    # -- signing and sending ------------------------------------------------------------

    def sign(
        self,
        method: str,
        url: str,
        body: bytes | None,
        *,
        actor: str,
        scheme: str = "cavage",
        content_type: str | None = AS2,
        now: float | None = None,
    ) -> dict[str, str]:
        """Headers for a request signed as `actor` ("cavage" or "rfc9421")."""
        headers = {"Content-Type": content_type} if content_type and body is not None else {}
        sign = {"cavage": sign_cavage, "rfc9421": sign_rfc9421}[scheme]
        added = sign(
            method,
            url,
            headers,
            body,
            key_id=self.key_id(actor),
            private_key=self.private_key,
            now=time.time() if now is None else now,
        )
        return {**headers, **added}

    async def deliver(
        self,
        inbox: str,
        activity: dict[str, Any] | bytes,
        *,
        actor: str | None = None,
        scheme: str | None = "cavage",
        content_type: str = AS2,
        timeout: float = 10.0,
    ) -> httpx.Response:
        """POST an activity to an inbox, signed as `actor` (default: the activity's actor);
        `scheme=None` sends it unsigned."""
        body = activity if isinstance(activity, bytes) else orjson.dumps(activity)
        if scheme is None:
            headers = {"Content-Type": content_type}
        else:
            if actor is None:
                assert isinstance(activity, dict), "pass actor= with a raw body"
                a = activity["actor"]
                actor = a if isinstance(a, str) else a["id"]
            headers = self.sign(
                "POST", inbox, body, actor=actor, scheme=scheme, content_type=content_type
            )
        async with httpx.AsyncClient(timeout=timeout) as client:
            return await client.post(inbox, content=body, headers=headers)

    # -- what was received ----------------------------------------------------------------

    def received(self, predicate: Callable[[Recorded], bool] | None = None) -> list[Recorded]:
        return [p for p in self.posts if predicate is None or predicate(p)]

    async def wait_for_post(
        self, predicate: Callable[[Recorded], bool] | None = None, timeout: float = 10.0
    ) -> Recorded:
        async def found() -> Recorded | None:
            hits = self.received(predicate)
            return hits[0] if hits else None

        result: Recorded = await wait_for(found, timeout=timeout)
        return result

    # -- the server ----------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        self._seq += 1
        rec = Recorded(
            seq=self._seq,
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.body(),
            at=time.time(),
        )
        if request.method == "POST":
            self.posts.append(rec)
            return Response(status_code=self.post_status)
        self.gets.append(rec)
        if request.url.path == "/.well-known/webfinger":
            return self._webfinger(request.query_params.get("resource", ""))
        path = request.url.path + ("?" + request.url.query if request.url.query else "")
        doc = self.documents.get(path) or self.documents.get(request.url.path)
        if doc is None:
            return Response(b'{"error":"not found"}', 404, media_type="application/json")
        if doc.delay:
            await asyncio.sleep(doc.delay)
        if doc.etag is None:
            return Response(doc.body, doc.status, media_type=doc.content_type)
        if request.headers.get("if-none-match") == doc.etag:
            return Response(status_code=304, headers={"ETag": doc.etag})
        return Response(
            doc.body, doc.status, media_type=doc.content_type, headers={"ETag": doc.etag}
        )

    def _webfinger(self, resource: str) -> Response:
        user, _, host = resource.removeprefix("acct:").partition("@")
        actor = self.actors.get(user)
        if actor is None or host != urlsplit(self.origin).netloc:
            return Response(b'{"error":"not found"}', 404, media_type="application/json")
        jrd = {
            "subject": f"acct:{user}@{host}",
            "aliases": [actor],
            "links": [{"rel": "self", "type": AS2, "href": actor}, *self.webfinger_links],
        }
        return Response(orjson.dumps(jrd), 200, media_type="application/jrd+json")

    async def start(self) -> RecordingPeer:
        app = Starlette(
            routes=[
                Route(
                    "/{path:path}",
                    self._handle,
                    methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"],
                )
            ]
        )
        self._server = EmbeddedServer(app, self.port, lifespan="off")
        await self._server.start()
        return self

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop()
            self._server = None

    async def __aenter__(self) -> RecordingPeer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
