"""get_activity / get_json against real loopback servers."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

from fedivoisin.errors import (
    RemoteError,
    RemoteGone,
    RemoteNotFound,
    RemoteRefused,
    RemoteUnavailable,
)
from fedivoisin.http import AS2_ACCEPT, AS2_PROFILE, HttpClient

from .conftest import AS2, Peer

MakeClient = Callable[..., HttpClient]
MakePeer = Callable[[], Awaitable[Peer]]


def actor(peer: Peer, path: str = "/users/alice", host: str = "127.0.0.1") -> dict[str, str]:
    return {"id": peer.url(path, host), "type": "Person", "inbox": peer.url(path + "/inbox", host)}


async def test_get_activity_returns_document_and_sends_as2_accept(
    peer: Peer, client: HttpClient
) -> None:
    peer.json("/users/alice", actor(peer))
    fetched = await client.get_activity(peer.url("/users/alice#main-key"))
    assert fetched.document["type"] == "Person"
    assert fetched.url == fetched.final_url == peer.url("/users/alice")
    assert (fetched.status, fetched.content_type) == (200, AS2)
    (request,) = peer.requests
    assert request.headers["Accept"] == AS2_ACCEPT
    assert request.headers["User-Agent"] == "fedivoisin-test/0"
    assert request.host == f"127.0.0.1:{peer.port}"


async def test_sign_hook_sees_exactly_what_is_sent(peer: Peer, client: HttpClient) -> None:
    peer.json("/users/élodie", actor(peer, "/users/élodie"))
    calls: list[tuple[str, str, dict[str, str], bytes | None]] = []

    def sign(method: str, url: str, headers: dict[str, str], body: bytes | None) -> dict[str, str]:
        calls.append((method, url, headers, body))
        return {"Signature": f"signed {url}", "Date": "Tue, 07 Jun 2022 20:51:35 GMT"}

    await client.get_activity(peer.url("/users/élodie"), sign=sign)
    ((method, url, headers, body),) = calls
    assert (method, url, body) == ("GET", peer.url("/users/%C3%A9lodie"), None)
    assert headers["Host"] == f"127.0.0.1:{peer.port}"
    (request,) = peer.requests
    assert request.headers["Signature"] == f"signed {url}"
    assert request.headers["Host"] == headers["Host"]
    assert request.raw_path == "/users/%C3%A9lodie"


@pytest.mark.parametrize(
    "content_type",
    [
        AS2,
        "application/activity+json; charset=utf-8",
        f'application/ld+json; profile="{AS2_PROFILE}"',
        f'application/ld+json;profile="https://example.org/p {AS2_PROFILE}"; charset=utf-8',
        f"Application/LD+JSON; Profile={AS2_PROFILE}",
    ],
)
async def test_activity_content_types_accepted(
    content_type: str, peer: Peer, client: HttpClient
) -> None:
    peer.json("/note", actor(peer, "/note"), content_type=content_type)
    assert (await client.get_activity(peer.url("/note"))).content_type == content_type


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/ld+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams-evil"',
        "text/html; charset=utf-8",
        "text/plain",
        "image/png",
        "application/octet-stream",
        "",
    ],
)
async def test_cve_2024_25623_content_type_checked(
    content_type: str, peer: Peer, client: HttpClient
) -> None:
    """An uploaded JSON file served as json/png/octet-stream must not pass as an actor."""
    peer.json(
        "/uploads/fake-actor.json",
        actor(peer, "/uploads/fake-actor.json"),
        content_type=content_type,
    )
    with pytest.raises(RemoteRefused, match="content type"):
        await client.get_activity(peer.url("/uploads/fake-actor.json"))


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/jrd+json; charset=utf-8", "application/ld+json"],
)
async def test_get_json_is_lenient_and_skips_the_id_check(
    content_type: str, peer: Peer, client: HttpClient
) -> None:
    jrd = {"subject": "acct:alice@127.0.0.1", "links": []}
    peer.json("/.well-known/webfinger", jrd, content_type=content_type)
    fetched = await client.get_json(peer.url("/.well-known/webfinger?resource=acct:alice@x"))
    assert fetched.document == jrd
    assert peer.requests[0].headers["Accept"] == "application/jrd+json, application/json"
    with pytest.raises(RemoteRefused):
        await client.get_activity(peer.url("/.well-known/webfinger"))


async def test_get_json_still_refuses_html(peer: Peer, client: HttpClient) -> None:
    peer.json("/nodeinfo", {"version": "2.1"}, content_type="text/html")
    with pytest.raises(RemoteRefused, match="content type"):
        await client.get_json(peer.url("/nodeinfo"))


@pytest.mark.parametrize(
    "doc_id", ["https://victim.example/users/alice", None, 42, "http://127.0.0.1:1/users/alice"]
)
async def test_cve_2024_23832_origin_of_fetched_id(
    doc_id: object, peer: Peer, client: HttpClient
) -> None:
    document = {"type": "Person", "inbox": "https://victim.example/inbox"}
    if doc_id is not None:
        document["id"] = doc_id  # type: ignore[assignment]
    peer.json("/users/mallory", document)
    with pytest.raises(RemoteRefused, match="origin"):
        await client.get_activity(peer.url("/users/mallory"))


async def test_cve_2024_23832_redirect_cannot_pose_as_the_first_origin(
    make_peer: MakePeer, client: HttpClient
) -> None:
    """A document reached through a redirect is judged by the origin it came from."""
    victim, attacker = await make_peer(), await make_peer()
    victim.redirect("/users/alice", attacker.url("/payload"))
    attacker.json("/payload", actor(victim))  # claims to be victim's alice
    with pytest.raises(RemoteRefused, match="origin"):
        await client.get_activity(victim.url("/users/alice"))
    attacker.json("/payload", actor(attacker, "/payload"))  # honest about where it lives
    fetched = await client.get_activity(victim.url("/users/alice"))
    assert fetched.url == victim.url("/users/alice")
    assert fetched.final_url == attacker.url("/payload")


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirects_followed_and_resigned_at_every_hop(
    status: int, peer: Peer, client: HttpClient
) -> None:
    peer.redirect("/a", "/b", status)  # relative Location
    peer.redirect("/b", peer.url("/c"), status)
    peer.redirect("/c", "d", status)
    peer.json("/d", actor(peer, "/d"))
    signed: list[str] = []

    def sign(method: str, url: str, headers: dict[str, str], body: bytes | None) -> dict[str, str]:
        signed.append(url)
        return {"Signature": url}

    fetched = await client.get_activity(peer.url("/a"), sign=sign)
    assert fetched.final_url == peer.url("/d")
    assert signed == [peer.url(p) for p in ("/a", "/b", "/c", "/d")]
    assert [r.headers["Signature"] for r in peer.requests] == signed


async def test_cve_2023_36461_too_many_redirects_refused(peer: Peer, client: HttpClient) -> None:
    for i in range(5):
        peer.redirect(f"/r{i}", f"/r{i + 1}")
    peer.json("/r5", actor(peer, "/r5"))
    with pytest.raises(RemoteRefused, match="redirects"):
        await client.get_activity(peer.url("/r0"))
    assert peer.paths() == ["/r0", "/r1", "/r2", "/r3"]  # max_redirects=3 followed, then stop
    peer.redirect("/loop", "/loop")
    with pytest.raises(RemoteRefused, match="redirects"):
        await client.get_activity(peer.url("/loop"))


async def test_redirect_without_location_is_an_error(peer: Peer, client: HttpClient) -> None:
    peer.status("/moved", 302)
    with pytest.raises(RemoteError) as info:
        await client.get_activity(peer.url("/moved"))
    assert info.value.status == 302


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/admin",
        "http://[::ffff:10.0.0.7]/admin",
        "http://internal.test:{port}/admin",  # a name whose DNS answer is private
        "http://0x7f000001:{port}/users/alice",
        "file:///etc/passwd",
        "gopher://127.0.0.1:{port}/",
        "http://user:pw@public.test:{port}/users/alice",
    ],
)
async def test_cve_2026_22245_redirect_to_private_address_refused(
    location: str, peer: Peer, make_client: MakeClient
) -> None:
    """Every hop is re-checked. Only loopback counts as "public" for this test's policy."""
    client = make_client(
        address_filter=lambda ip: ip == ipaddress.ip_address("127.0.0.1"),
        resolver_override={"public.test": "127.0.0.1", "internal.test": "10.0.0.7"},
    )
    peer.json("/users/alice", actor(peer, host="public.test"))
    peer.redirect("/go", location.format(port=peer.port))
    assert (await client.get_activity(peer.url("/users/alice", "public.test"))).document
    with pytest.raises(RemoteRefused):
        await client.get_activity(peer.url("/go", "public.test"))
    assert peer.paths() == ["/users/alice", "/go"]


async def test_rule_14_blocked_domain_refused_at_every_hop(
    peer: Peer, make_client: MakeClient
) -> None:
    seen: list[str] = []

    def is_blocked(host: str) -> bool:
        seen.append(host)
        return host == "evil.test" or host.endswith(".evil.test")

    client = make_client(
        is_blocked=is_blocked,
        resolver_override={"good.test": "127.0.0.1", "evil.test": "127.0.0.1"},
    )
    peer.json("/users/alice", actor(peer, host="sub.evil.test"))
    for path, location in [
        ("/a", "http://SUB.Evil.TEST:{port}/users/alice"),
        ("/b", "http://evil.test.:{port}/users/alice"),
        ("/c", "http://xn--vil-9la.test:{port}/"),  # not blocked: proves we match exactly
    ]:
        peer.redirect(path, location.format(port=peer.port))
    with pytest.raises(RemoteRefused, match="blocked"):
        await client.get_activity(f"http://EVIL.test:{peer.port}/users/alice")
    with pytest.raises(RemoteRefused, match="blocked"):
        await client.get_activity(peer.url("/a", "good.test"))
    with pytest.raises(RemoteRefused, match="blocked"):
        await client.get_activity(peer.url("/b", "good.test"))
    with pytest.raises(RemoteUnavailable):  # allowed by the block list, then no DNS answer
        await client.get_activity(peer.url("/c", "good.test"))
    with pytest.raises(RemoteRefused, match="blocked"):
        await client.post(
            f"http://sub.evil.test:{peer.port}/inbox", b"{}", signers={"cavage": lambda *a: {}}
        )
    assert seen == [
        "evil.test",
        "good.test",
        "sub.evil.test",
        "good.test",
        "evil.test",
        "good.test",
        "xn--vil-9la.test",
        "sub.evil.test",
    ]
    assert peer.paths() == ["/a", "/b", "/c"]


async def test_cve_2023_36461_declared_large_body_refused_without_reading(
    peer: Peer, client: HttpClient
) -> None:
    big = b" " * (2 * 1024 * 1024)

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=big, headers={"Content-Type": AS2})

    peer.route("/big", handler)
    started = time.monotonic()
    with pytest.raises(RemoteRefused, match="too large"):
        await client.get_activity(peer.url("/big"))
    assert time.monotonic() - started < 1.0


async def test_cve_2023_36461_streamed_body_cut_off_at_the_cap(
    peer: Peer, client: HttpClient
) -> None:
    written = 0
    total = 512 * 1024 * 1024

    async def endless(request: web.Request) -> web.StreamResponse:
        nonlocal written
        resp = web.StreamResponse(headers={"Content-Type": AS2})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        chunk = b" " * 65536
        try:
            while written < total:
                await resp.write(chunk)
                written += len(chunk)
        except ConnectionError:
            pass
        return resp

    peer.route("/endless", endless)
    started = time.monotonic()
    with pytest.raises(RemoteRefused, match="too large"):
        await client.get_activity(peer.url("/endless"))
    assert time.monotonic() - started < 2.0
    await asyncio.sleep(0.05)  # let the server notice the hang-up
    assert written < 64 * 1024 * 1024


async def test_decompression_bomb_is_capped_after_decompression(
    peer: Peer, client: HttpClient
) -> None:
    bomb = gzip.compress(b"0" * (16 * 1024 * 1024))
    assert len(bomb) < 100_000

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=bomb, headers={"Content-Type": AS2, "Content-Encoding": "gzip"})

    peer.route("/bomb", handler)
    with pytest.raises(RemoteRefused, match="too large"):
        await client.get_activity(peer.url("/bomb"))


async def test_body_exactly_at_the_cap_is_accepted(peer: Peer, make_client: MakeClient) -> None:
    document = actor(peer, "/x")
    import orjson

    size = len(orjson.dumps(document))
    peer.json("/x", document)
    assert (await make_client(max_body=size).get_activity(peer.url("/x"))).document == document
    with pytest.raises(RemoteRefused, match="too large"):
        await make_client(max_body=size - 1).get_activity(peer.url("/x"))


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, RemoteNotFound),
        (410, RemoteGone),
        (500, RemoteUnavailable),
        (502, RemoteUnavailable),
        (503, RemoteUnavailable),
        (429, RemoteUnavailable),
        (401, RemoteError),
        (403, RemoteError),
        (400, RemoteError),
        (304, RemoteError),
    ],
)
async def test_status_mapping(
    status: int, error: type[RemoteError], peer: Peer, client: HttpClient
) -> None:
    peer.status("/x", status)
    with pytest.raises(error) as info:
        await client.get_activity(peer.url("/x"))
    assert type(info.value) is error
    assert info.value.status == status


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"a string"', b""])
async def test_invalid_or_non_object_json_refused(
    body: bytes, peer: Peer, client: HttpClient
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, headers={"Content-Type": AS2})

    peer.route("/x", handler)
    with pytest.raises(RemoteRefused):
        await client.get_activity(peer.url("/x"))


async def test_cve_2023_36461_slow_server_unavailable_within_total_timeout(
    peer: Peer, make_client: MakeClient
) -> None:
    async def stall(request: web.Request) -> web.StreamResponse:
        await asyncio.wait_for(peer.release.wait(), 10)
        return web.Response(status=204)

    peer.route("/slow", stall)
    client = make_client(total_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(RemoteUnavailable):
        await client.get_activity(peer.url("/slow"))
    assert 0.4 < time.monotonic() - started < 1.5


async def test_cve_2023_36461_dripping_body_and_slow_chain_bounded_by_total_timeout(
    peer: Peer, make_client: MakeClient
) -> None:
    async def drip(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": AS2})
        await resp.prepare(request)
        while not peer.release.is_set():
            await resp.write(b" ")
            await asyncio.sleep(0.05)
        return resp

    async def slow_redirect(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.2)
        hop = int(request.query.get("n", "0"))
        return web.Response(status=302, headers={"Location": f"/hop?n={hop + 1}"})

    peer.route("/drip", drip)
    peer.route("/hop", slow_redirect)
    client = make_client(total_timeout=0.5, max_redirects=10)
    for path in ("/drip", "/hop"):
        started = time.monotonic()
        with pytest.raises(RemoteUnavailable):
            await client.get_activity(peer.url(path))
        assert time.monotonic() - started < 1.5


async def test_connection_refused_is_unavailable(client: HttpClient) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RemoteUnavailable):
        await client.get_activity(f"http://127.0.0.1:{port}/x")
