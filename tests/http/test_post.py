"""post(): double knocking, no redirects, Retry-After, errors as results."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from email.utils import formatdate

import pytest
from aiohttp import web

from fedivoisin.clock import FrozenClock
from fedivoisin.errors import RemoteRefused
from fedivoisin.http import HttpClient, SignHook, create_http_client

from .conftest import Peer, policy

MakeClient = Callable[..., HttpClient]
BODY = b'{"type":"Create","id":"http://127.0.0.1/a/1"}'


def signer(
    scheme: str, calls: list[tuple[str, str, str, dict[str, str], bytes | None]]
) -> SignHook:
    def sign(method: str, url: str, headers: dict[str, str], body: bytes | None) -> dict[str, str]:
        calls.append((scheme, method, url, headers, body))
        return {"Signature": f"{scheme} {method} {url}"}

    return sign


def both(calls: list[tuple[str, str, str, dict[str, str], bytes | None]]) -> dict[str, SignHook]:
    return {"cavage": signer("cavage", calls), "rfc9421": signer("rfc9421", calls)}


def inbox_accepting(peer: Peer, scheme: str, reject: int = 401) -> None:
    async def inbox(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Signature", "").startswith(scheme + " "):
            return web.Response(status=202)
        return web.Response(status=reject, text="signature not verified")

    peer.route("/inbox", inbox)


def schemes_seen(peer: Peer) -> list[str]:
    return [r.headers["Signature"].split()[0] for r in peer.requests]


async def test_double_knocking_falls_back_and_remembers(peer: Peer, client: HttpClient) -> None:
    inbox_accepting(peer, "rfc9421")
    calls: list[tuple[str, str, str, dict[str, str], bytes | None]] = []
    assert client.preferred_scheme("127.0.0.1") is None

    result = await client.post(peer.url("/inbox"), BODY, signers=both(calls))
    assert (result.status, result.error, result.ok) == (202, None, True)
    assert schemes_seen(peer) == ["cavage", "rfc9421"]
    assert client.preferred_scheme("127.0.0.1") == "rfc9421"

    await client.post(peer.url("/inbox"), BODY, signers=both(calls))
    assert schemes_seen(peer) == ["cavage", "rfc9421", "rfc9421"]  # straight to rfc9421

    scheme, method, url, headers, body = calls[0]
    assert scheme == "cavage"
    assert (method, url, body) == ("POST", peer.url("/inbox"), BODY)
    assert headers["Content-Type"] == "application/activity+json"
    assert headers["Host"] == f"127.0.0.1:{peer.port}"
    for request in peer.requests:
        assert request.body == BODY
        assert request.headers["Content-Type"] == "application/activity+json"


async def test_remembered_scheme_switches_back_when_the_peer_changes(
    peer: Peer, client: HttpClient
) -> None:
    calls: list[tuple[str, str, str, dict[str, str], bytes | None]] = []
    inbox_accepting(peer, "rfc9421")
    await client.post(peer.url("/inbox"), BODY, signers=both(calls))
    inbox_accepting(peer, "cavage", reject=403)
    result = await client.post(peer.url("/inbox"), BODY, signers=both(calls))
    assert result.status == 202
    assert schemes_seen(peer) == ["cavage", "rfc9421", "rfc9421", "cavage"]
    assert client.preferred_scheme("127.0.0.1") == "cavage"


@pytest.mark.parametrize("status", [400, 401, 403])
async def test_second_knock_on_signature_rejections(
    status: int, peer: Peer, client: HttpClient
) -> None:
    inbox_accepting(peer, "rfc9421", reject=status)
    result = await client.post(peer.url("/inbox"), BODY, signers=both([]))
    assert result.status == 202
    assert schemes_seen(peer) == ["cavage", "rfc9421"]


@pytest.mark.parametrize("status", [404, 405, 410, 413, 422, 429, 500, 503])
async def test_no_second_knock_when_the_scheme_is_not_the_problem(
    status: int, peer: Peer, client: HttpClient
) -> None:
    peer.status("/inbox", status)
    result = await client.post(peer.url("/inbox"), BODY, signers=both([]))
    assert result.status == status
    assert result.error == f"HTTP {status}: nope"
    assert schemes_seen(peer) == ["cavage"]
    assert client.preferred_scheme("127.0.0.1") is None


async def test_both_knocks_fail_nothing_remembered(peer: Peer, client: HttpClient) -> None:
    peer.status("/inbox", 401)
    result = await client.post(peer.url("/inbox"), BODY, signers=both([]))
    assert (result.status, result.ok) == (401, False)
    assert schemes_seen(peer) == ["cavage", "rfc9421"]
    assert client.preferred_scheme("127.0.0.1") is None


async def test_single_signer_knocks_once(peer: Peer, client: HttpClient) -> None:
    inbox_accepting(peer, "rfc9421")
    calls: list[tuple[str, str, str, dict[str, str], bytes | None]] = []
    result = await client.post(
        peer.url("/inbox"), BODY, signers={"cavage": signer("cavage", calls)}
    )
    assert result.status == 401
    assert schemes_seen(peer) == ["cavage"]
    result = await client.post(
        peer.url("/inbox"), BODY, signers={"rfc9421": signer("rfc9421", calls)}
    )
    assert result.status == 202
    assert client.preferred_scheme("127.0.0.1") == "rfc9421"


async def test_first_knock_success_is_remembered(peer: Peer, client: HttpClient) -> None:
    inbox_accepting(peer, "cavage")
    assert (await client.post(peer.url("/inbox"), BODY, signers=both([]))).status == 202
    assert client.preferred_scheme("127.0.0.1") == "cavage"
    assert schemes_seen(peer) == ["cavage"]


async def test_sequential_deliveries_reuse_the_connection(peer: Peer, client: HttpClient) -> None:
    inbox_accepting(peer, "cavage")
    for _ in range(5):
        assert (await client.post(peer.url("/inbox"), BODY, signers=both([]))).ok
    assert len({r.client_port for r in peer.requests}) == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_post_never_follows_redirects(status: int, peer: Peer, client: HttpClient) -> None:
    peer.redirect("/inbox", "/elsewhere", status)
    peer.status("/elsewhere", 202)
    result = await client.post(peer.url("/inbox"), BODY, signers=both([]))
    assert result.status == status
    assert result.error is not None and "redirect not followed" in result.error
    assert peer.paths() == ["/inbox"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("120", 120.0), ("0", 0.0), ("DATE+30", 30.0), ("DATE-30", 0.0), ("soon", None), (None, None)],
)
async def test_retry_after_parsed_into_seconds(
    header: str | None, expected: float | None, peer: Peer
) -> None:
    clock = FrozenClock(1_700_000_000.0)
    if header is not None and header.startswith("DATE"):
        header = formatdate(clock.now() + int(header[4:]), usegmt=True)
    peer.status("/inbox", 429, headers={"Retry-After": header} if header is not None else None)
    client = create_http_client(policy(), clock=clock)
    try:
        result = await client.post(peer.url("/inbox"), BODY, signers=both([]))
    finally:
        await client.close()
    assert (result.status, result.retry_after) == (429, expected)


async def test_network_error_is_a_result_not_an_exception(client: HttpClient) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = await client.post(f"http://127.0.0.1:{port}/inbox", BODY, signers=both([]))
    assert result.status == 0 and result.retry_after is None
    assert result.error and "connect" in result.error


async def test_timeout_is_a_result_within_total_timeout(
    peer: Peer, make_client: MakeClient
) -> None:
    async def stall(request: web.Request) -> web.StreamResponse:
        await asyncio.wait_for(peer.release.wait(), 10)
        return web.Response(status=202)

    peer.route("/inbox", stall)
    client = make_client(total_timeout=0.5)
    started = time.monotonic()
    result = await client.post(peer.url("/inbox"), BODY, signers=both([]))
    assert time.monotonic() - started < 1.5
    assert result.status == 0 and result.error and "timeout" in result.error
    assert schemes_seen(peer) == ["cavage"]  # no second knock on a network failure


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/inbox", "https://user@127.0.0.1/inbox", "http://127.1/inbox"]
)
async def test_refused_url_raises(url: str, client: HttpClient) -> None:
    with pytest.raises(RemoteRefused):
        await client.post(url, BODY, signers=both([]))


async def test_post_needs_a_signer(client: HttpClient) -> None:
    with pytest.raises(ValueError):
        await client.post("http://127.0.0.1:1/inbox", BODY, signers={})
