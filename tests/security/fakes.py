"""A small fake fediverse server on loopback: serves actor documents with RSA keys it
generates, arbitrary documents, WebFinger answers, and records every request it gets.

Why our own and not tests/rig/peer.py: the security tests need to misbehave on purpose
(wrong content types, slow answers, rotated keys, foreign ids), and to prove that the
instance sent NO request at all (SSRF), so they own their peer.

Several fakes can run on distinct loopback addresses (127.0.0.1, 127.0.0.2, …) so that
domain blocks and origin rules see distinct hosts.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from . import cavage

AS2 = "application/activity+json"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    body: bytes
    content_type: str = AS2
    status: int = 200
    delay: float = 0.0  # seconds to stall before answering (released at stop)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class FakeActor:
    """A remote actor on a FakeRemote; its document is served at `uri`."""

    remote: FakeRemote
    name: str
    key: rsa.RSAPrivateKey
    document: dict[str, Any] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return f"{self.remote.origin}/users/{self.name}"

    @property
    def key_id(self) -> str:
        return self.uri + "#main-key"

    @property
    def inbox(self) -> str:
        return self.uri + "/inbox"

    @property
    def followers(self) -> str:
        return self.uri + "/followers"

    def build(self, **extra: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "@context": [AS_CONTEXT, "https://w3id.org/security/v1"],
            "id": self.uri,
            "type": "Person",
            "preferredUsername": self.name,
            "name": self.name.title(),
            "inbox": self.inbox,
            "outbox": self.uri + "/outbox",
            "followers": self.followers,
            "endpoints": {"sharedInbox": self.remote.origin + "/inbox"},
            "publicKey": {
                "id": self.key_id,
                "owner": self.uri,
                "publicKeyPem": cavage.public_pem(self.key),
            },
        }
        doc.update(extra)
        return doc

    def publish(self, doc: dict[str, Any] | None = None, **served: Any) -> None:
        """(Re)serve the actor document, e.g. after a key rotation."""
        if doc is not None:
            self.document = doc
        self.remote.serve(self.uri, self.document, **served)

    def rotate_key(self, new_key_name: str) -> None:
        self.key = cavage.rsa_key(new_key_name)
        self.publish(self.build())

    def new_id(self, what: str = "activities") -> str:
        self.remote.counter += 1
        return f"{self.remote.origin}/{what}/{self.name}-{self.remote.counter}"

    def note(self, content: str = "<p>Bonjour</p>", **extra: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.new_id("notes"),
            "type": "Note",
            "attributedTo": self.uri,
            "content": content,
            "to": [PUBLIC],
            "cc": [self.followers],
        }
        doc.update(extra)
        return doc

    def activity(self, type_: str, obj: Any, **extra: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "@context": AS_CONTEXT,
            "id": self.new_id(),
            "type": type_,
            "actor": self.uri,
            "object": obj,
        }
        doc.update(extra)
        return doc

    def sign(self, method: str, url: str, body: bytes | None, **kw: Any) -> dict[str, str]:
        """Independent draft-cavage signature of a request to an absolute `url`."""
        host, target = split(url)
        return cavage.sign(method, host, target, body, key_id=self.key_id, key=self.key, **kw)


def split(url: str) -> tuple[str, str]:
    """(authority, path+query) of an absolute http URL."""
    rest = url.split("://", 1)[1]
    host, slash, target = rest.partition("/")
    return host, slash + target


class FakeRemote:
    """`async with FakeRemote("127.0.0.2") as remote: alice = remote.add_actor("alice")`."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = free_port(host)
        self.docs: dict[str, Served] = {}
        self.requests: list[Seen] = []
        self.actors: dict[str, FakeActor] = {}
        self.counter = 0
        self._release = asyncio.Event()
        self._server = web.Server(self._handle, access_log=None)
        self._listener: asyncio.Server | None = None

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def authority(self) -> str:
        return f"{self.host}:{self.port}"

    def add_actor(self, name: str, *, key_name: str | None = None, **extra: Any) -> FakeActor:
        actor = FakeActor(self, name, cavage.rsa_key(key_name or name))
        actor.publish(actor.build(**extra))
        self.actors[name] = actor
        return actor

    def serve(
        self,
        url_or_path: str,
        doc: Any,
        *,
        content_type: str = AS2,
        status: int = 200,
        delay: float = 0.0,
    ) -> None:
        """Serve `doc` (JSON-encoded unless bytes) at a path or an absolute URL of ours.
        A query string is part of the key (WebFinger)."""
        path = url_or_path.removeprefix(self.origin)
        body = doc if isinstance(doc, bytes) else orjson.dumps(doc)
        self.docs[path] = Served(body, content_type, status, delay)

    def webfinger(self, resource: str, actor_uri: str, *, subject: str | None = None) -> None:
        """Answer `/.well-known/webfinger?resource=…` with a self link to `actor_uri`."""
        jrd = {
            "subject": subject or resource,
            "links": [{"rel": "self", "type": AS2, "href": actor_uri}],
        }
        self.serve(
            f"/.well-known/webfinger?resource={resource}", jrd, content_type="application/jrd+json"
        )

    def got(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method)
            and (path is None or r.path == path.removeprefix(self.origin))
        ]

    async def wait_for_request(
        self,
        method: str,
        path: str,
        matching: Callable[[Seen], bool] | None = None,
        timeout: float = 10.0,
    ) -> list[Seen]:
        """Requests received so far for `method path` (and `matching`), waiting for one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [s for s in self.got(method, path) if matching is None or matching(s)]
            if found:
                return found
            await asyncio.sleep(0.02)
        raise AssertionError(f"{self.origin} got no such {method} {path} within {timeout}s")

    # -- HTTP ----------------------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        seen = Seen(
            method=request.method,
            path=request.path,
            query=request.query_string,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.read(),
        )
        self.requests.append(seen)
        if seen.method == "POST":
            return web.Response(status=202)
        resource = request.query.get("resource", "")
        served = self.docs.get(f"{seen.path}?resource={resource}") if resource else None
        served = served or self.docs.get(seen.path)
        if served is None:
            return web.Response(
                status=404, body=b'{"error":"not found"}', content_type="application/json"
            )
        if served.delay:
            try:
                await asyncio.wait_for(self._release.wait(), served.delay)
            except TimeoutError:
                pass
        return web.Response(
            status=served.status, body=served.body, headers={"Content-Type": served.content_type}
        )

    # -- lifecycle -----------------------------------------------------------------

    async def start(self) -> FakeRemote:
        self._server = web.Server(self._handle, access_log=None)
        loop = asyncio.get_running_loop()
        self._listener = await loop.create_server(self._server, self.host, self.port)
        return self

    async def stop(self) -> None:
        self._release.set()
        if self._listener is not None:
            self._listener.close()
            await self._server.shutdown(timeout=0.05)
            await self._listener.wait_closed()
            self._listener = None

    async def __aenter__(self) -> FakeRemote:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def post_signed(
    base_url: str,
    path: str,
    actor: FakeActor,
    activity: Any,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    **sign_kw: Any,
) -> httpx.Response:
    """POST `activity` to `base_url + path`, signed by `actor` (independent signer).

    `body` replaces the serialised activity; `headers` are merged over the signed ones
    AFTER signing (tampering); a header set to "" is removed.
    """
    raw = body if body is not None else orjson.dumps(activity)
    signed = actor.sign("POST", base_url + path, raw, **sign_kw)
    for name, value in (headers or {}).items():
        for existing in [k for k in signed if k.lower() == name.lower()]:
            del signed[existing]
        if value:
            signed[name] = value
    signed.setdefault("Content-Type", AS2)
    async with httpx.AsyncClient(timeout=20.0) as client:
        return await client.post(base_url + path, content=raw, headers=signed)
