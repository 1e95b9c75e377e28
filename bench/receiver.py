"""A light ActivityPub receiver: fetchable actor documents and recording inboxes.

Not a fedivoisin instance: it serves `/users/{name}` actor documents (personal inbox
`/users/{name}/inbox`, and `endpoints.sharedInbox` = `/inbox` unless the name starts with
`solo`), accepts POSTs to any inbox, and records (activity id, inbox URL) for each one.

One `Receiver` listens on one port on several loopback addresses (127.x.y.z all reach `lo`
on Linux), so each address is a distinct *host* for the sender: its own per-domain limit,
connection pool and domain health, as 1,000 real servers would be. Receivers dedupe by
(activity id, inbox) like real servers do; `duplicates` counts what was re-sent.

Tests use it in-process (`async with Receiver(...)`), optionally verifying every HTTP
signature against the sender's published key. The benchmarks run the child process below
instead: the same counts behind a bare HTTP/1.1 parser (`_Bare`), POSTs to inboxes and
/_stats only, because it shares the machine's cores with the sender being measured:

    python bench/receiver.py --hosts 1000 [--delay 0.1]  # prints "ready PORT", then serves
    GET http://<first host>:PORT/_stats                  # {"posts": n, "unique": n, ...}
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from aiohttp import ClientSession, web

AS2 = "application/activity+json"


@dataclass(frozen=True)
class Post:
    activity_id: str | None
    inbox: str
    status: int
    at: float  # time.monotonic()
    body: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)


def loopback_hosts(n: int, first: int = 2) -> list[str]:
    """n distinct loopback addresses 127.a.b.c, skipping 127.0.0.1 (the instances' own)."""
    out: list[str] = []
    i = first
    while len(out) < n:
        if 0 < i & 255 < 255:
            out.append(f"127.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}")
        i += 1
    return out


class Receiver:
    """Recording receiver on `hosts` × one port.

    `answers[path]` is a FIFO of (status, headers) answers for POSTs to that path (then the
    default `status`); `delay` seconds are slept before answering each POST; `verify`
    checks each POST's HTTP signature against the key its keyId names (fetched once).
    """

    def __init__(
        self,
        hosts: Sequence[str] = ("127.0.0.1",),
        port: int = 0,
        *,
        delay: float = 0.0,
        verify: bool = False,
        keep_bodies: bool = True,
    ) -> None:
        self.hosts = list(hosts)
        self.port = port
        self.delay = delay
        self.verify = verify
        self.keep_bodies = keep_bodies
        self.status = 202
        self.answers: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.posts: list[Post] = []
        self.seen: set[tuple[str | None, str]] = set()
        self.duplicates = 0
        self.rejected: list[str] = []
        self._keys: dict[str, Any] = {}
        self._runner: web.AppRunner | None = None
        self._actor_key_pem: str | None = None

    # -- addresses ------------------------------------------------------------------

    def base(self, i: int = 0) -> str:
        return f"http://{self.hosts[i]}:{self.port}"

    def actor(self, name: str, i: int = 0) -> str:
        return f"{self.base(i)}/users/{name}"

    def inbox(self, name: str, i: int = 0) -> str:
        return f"{self.actor(name, i)}/inbox"

    def shared_inbox(self, i: int = 0) -> str:
        return f"{self.base(i)}/inbox"

    def host_index(self, url: str) -> int:
        from urllib.parse import urlsplit

        return self.hosts.index(urlsplit(url).hostname or "")

    # -- what was received --------------------------------------------------------

    def unique(self) -> set[tuple[str | None, str]]:
        return set(self.seen)

    def received(self, activity_id: str) -> list[Post]:
        return [p for p in self.posts if p.activity_id == activity_id]

    def accepted(self, activity_id: str | None = None) -> list[Post]:
        return [
            p
            for p in self.posts
            if 200 <= p.status < 300 and (activity_id is None or p.activity_id == activity_id)
        ]

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> Receiver:
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_get("/_stats", self._stats)
        app.router.add_get("/users/{name}", self._actor_doc)
        app.router.add_post("/inbox", self._post)
        app.router.add_post("/users/{name}/inbox", self._post)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        for host in self.hosts:
            site = web.TCPSite(self._runner, host, self.port, backlog=4096)
            await site.start()
            if self.port == 0:
                server = site._server
                assert server is not None and server.sockets  # type: ignore[union-attr]
                self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Receiver:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- handlers ---------------------------------------------------------------------

    async def _stats(self, request: web.Request) -> web.Response:
        by_inbox = Counter(inbox for _a, inbox in self.seen)
        return web.json_response(
            {
                "posts": len(self.posts),
                "unique": len(self.seen),
                "duplicates": self.duplicates,
                "inboxes": len(by_inbox),
                "rejected": len(self.rejected),
            }
        )

    async def _actor_doc(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        base = f"http://{request.host}"
        actor = f"{base}/users/{name}"
        doc: dict[str, Any] = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": actor,
            "type": "Person",
            "preferredUsername": name,
            "inbox": f"{actor}/inbox",
            "outbox": f"{actor}/outbox",
            "publicKey": {
                "id": f"{actor}#main-key",
                "owner": actor,
                "publicKeyPem": self._public_pem(),
            },
        }
        if not name.startswith("solo"):
            doc["endpoints"] = {"sharedInbox": f"{base}/inbox"}
        return web.Response(body=orjson.dumps(doc), content_type=AS2)

    def _public_pem(self) -> str:
        if self._actor_key_pem is None:
            from fedivoisin.protocol import keys

            self._actor_key_pem = keys.public_key_pem(keys.generate_rsa_key())
        return self._actor_key_pem

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.read()
        inbox = f"http://{request.host}{request.path}"
        try:
            doc = orjson.loads(body)
            activity_id = doc.get("id") if isinstance(doc, dict) else None
        except orjson.JSONDecodeError:
            return web.Response(status=400, text="invalid JSON")
        if "Signature" not in request.headers and "Signature-Input" not in request.headers:
            self.rejected.append(f"{inbox}: unsigned")
            return web.Response(status=401, text="unsigned")
        if self.verify:
            problem = await self._check_signature(request, inbox, body)
            if problem is not None:
                self.rejected.append(f"{inbox}: {problem}")
                return web.Response(status=401, text=problem)
        queue = self.answers.get(request.path)
        status, headers = queue.pop(0) if queue else (self.status, {})
        self.posts.append(
            Post(activity_id, inbox, status, time.monotonic(), doc if self.keep_bodies else {})
        )
        if 200 <= status < 300:
            key = (activity_id, inbox)
            if key in self.seen:
                self.duplicates += 1
            self.seen.add(key)
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(status=status, headers=headers)

    async def _check_signature(self, request: web.Request, url: str, body: bytes) -> str | None:
        from fedivoisin.protocol import keys
        from fedivoisin.protocol import signatures as sig

        headers = dict(request.headers)
        parsed = sig.parse_signature("POST", url, headers)
        if isinstance(parsed, sig.Rejected):
            return parsed.reason
        key = self._keys.get(parsed.key_id)
        if key is None:
            try:
                async with (
                    ClientSession() as s,
                    s.get(parsed.key_id, headers={"Accept": AS2}) as r,
                ):
                    actor = orjson.loads(await r.read())
                key = keys.load_public_key_pem(actor["publicKey"]["publicKeyPem"])
            except Exception as exc:  # the sender may be gone (SIGKILL): it will retry
                return f"cannot fetch key {parsed.key_id}: {exc!r}"
            self._keys[parsed.key_id] = key
        # The sender may run on an injected (frozen) clock: the age window is not under test.
        outcome = sig.verify_parsed(
            parsed,
            key,
            method="POST",
            headers=headers,
            body=body,
            now=time.time(),
            max_age=10**12,
            max_skew=10**12,
        )
        return outcome.reason if isinstance(outcome, sig.Rejected) else None


class _Tally:
    """What the child process counts: the fan-out benchmarks read it from /_stats."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.posts = 0
        self.seen: set[tuple[str | None, str]] = set()
        self.duplicates = 0
        self.rejected = 0

    def stats(self) -> bytes:
        return orjson.dumps(
            {
                "posts": self.posts,
                "unique": len(self.seen),
                "duplicates": self.duplicates,
                "inboxes": len({inbox for _a, inbox in self.seen}),
                "rejected": self.rejected,
            }
        )


class _Bare(asyncio.Protocol):
    """HTTP/1.1 reduced to what a fan-out sends: POSTs with a Content-Length, keep-alive.

    Why not the aiohttp `Receiver`: in the benchmarks this process stands for 1,000
    remote servers, yet shares the machine's two cores with the sender. Through aiohttp's
    server each POST cost ~0.5 ms of CPU (0.5 s of a 1,000-inbox fan-out, taken from the
    workers being measured); parsing just the request line, Host, Content-Length and the
    presence of a signature costs a small fraction of it. Same answers and counts."""

    def __init__(self, tally: _Tally) -> None:
        self.tally = tally
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while self.transport is not None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].decode("latin-1").split("\r\n")
            method, _, rest = head[0].partition(" ")
            path = rest.rpartition(" ")[0]
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            if len(self.buf) < end + 4 + length:
                return  # the rest of the body is on its way
            body = self.buf[end + 4 : end + 4 + length]
            self.buf = self.buf[end + 4 + length :]
            self._answer(method, path, headers, body)

    def _answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        if method == "GET" and path == "/_stats":
            self._send(200, self.tally.stats())
            return
        if method != "POST" or not (path == "/inbox" or path.endswith("/inbox")):
            self._send(404, b"")
            return
        if "signature" not in headers and "signature-input" not in headers:
            self.tally.rejected += 1
            self._send(401, b"unsigned")
            return
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            self._send(400, b"invalid JSON")
            return
        tally = self.tally
        tally.posts += 1
        key = (
            doc.get("id") if isinstance(doc, dict) else None,
            f"http://{headers.get('host')}{path}",
        )
        if key in tally.seen:
            tally.duplicates += 1
        tally.seen.add(key)
        if tally.delay:
            asyncio.get_running_loop().call_later(tally.delay, self._send, 202, b"")
        else:
            self._send(202, b"")

    def _send(self, status: int, body: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(
            b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (status, len(body), body)
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def _serve(n_hosts: int, first: int, port: int, delay: float) -> None:
    """The child process: `_Bare` on every host, one port."""
    loop = asyncio.get_running_loop()
    tally = _Tally(delay)
    servers = []
    for host in loopback_hosts(n_hosts, first):
        server = await loop.create_server(lambda: _Bare(tally), host, port, backlog=4096)
        servers.append(server)
        port = port or server.sockets[0].getsockname()[1]
    print(f"ready {port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        for server in servers:
            server.close()


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hosts", type=int, default=1)
    p.add_argument("--first", type=int, default=2, help="index of the first loopback address")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--delay", type=float, default=0.0)
    args = p.parse_args(argv)
    try:
        import uvloop

        uvloop.run(_serve(args.hosts, args.first, args.port, args.delay))
    except ImportError:
        asyncio.run(_serve(args.hosts, args.first, args.port, args.delay))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
