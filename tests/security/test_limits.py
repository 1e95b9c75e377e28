"""Outbound-fetch abuse and denial of service at the inbox (SECURITY.md rules 11, 12)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest

from fedivoisin.http import HttpPolicy, create_http_client
from fedivoisin.remote import http as runtime_http
from tests.rig import Instance

from . import cavage
from .conftest import assert_nothing_stored, assert_problem, introduce, processed, query
from .fakes import PUBLIC, FakeActor, FakeRemote, post_signed, split

PRIVATE_KEY_IDS = {
    "loopback-literal": "http://127.0.0.1:{port}/users/bob",
    "localhost-name": "http://localhost:{port}/users/bob",
    "ipv4-mapped-ipv6": "http://[::ffff:127.0.0.1]:{port}/users/bob",
    "ipv6-loopback": "http://[::1]:{port}/users/bob",
    "unspecified-0.0.0.0": "http://0.0.0.0:{port}/users/bob",
    "unspecified-ipv6": "http://[::]:{port}/users/bob",
    "legacy-decimal": "http://2130706433:{port}/users/bob",
    "legacy-short": "http://127.1:{port}/users/bob",
    "https-loopback": "https://127.0.0.1:{port}/users/bob",
    "cloud-metadata": "http://169.254.169.254/latest/meta-data/iam/users/bob",
    "private-10": "http://10.0.0.1:{port}/users/bob",
}


@pytest.mark.parametrize("key_url", list(PRIVATE_KEY_IDS.values()), ids=list(PRIVATE_KEY_IDS))
async def test_cve_2026_22245_key_id_on_private_address_refused_without_connecting(
    instance_factory: Callable[..., Any], remote: FakeRemote, key_url: str
) -> None:
    """Rule 11 at the inbox: with allow_private_networks off, a keyId (and actor) on a
    loopback, private, link-local or unspecified address is refused before any connection:
    401 at once, and the fake key server on loopback never sees a request. Fetcher-level
    tests: tests/http/test_resolver.py::test_cve_2026_22245_name_resolving_to_loopback_
    refused_before_connecting and tests/http/test_urls.py::test_cve_2026_22245_private_
    ranges_refused."""
    target: Instance = await instance_factory(allow_private_networks=False)
    lilas = await target.community("lilas")
    bob = remote.add_actor("bob")
    actor = key_url.format(port=remote.port)
    follow = {**bob.activity("Follow", lilas), "actor": actor, "id": actor + "/follows/1"}
    body = orjson.dumps(follow)
    host, path = split(target.base_url + "/inbox")
    headers = cavage.sign("POST", host, path, body, key_id=actor + "#main-key", key=bob.key)

    started = time.monotonic()
    async with target.http() as client:
        resp = await client.post("/inbox", content=body, headers=headers)
    assert time.monotonic() - started < 3.0

    assert_problem(resp, 401)
    assert remote.requests == []
    assert_nothing_stored(target)


async def test_cve_2026_22245_referenced_object_on_private_address_not_fetched(
    instance_factory: Callable[..., Any], remote: FakeRemote
) -> None:
    """Rule 11 for fetch-on-reference: an Announce of a loopback URL is accepted (the
    sender's key is known) but the worker never connects there and stores nothing."""
    target: Instance = await instance_factory(allow_private_networks=False)
    await target.community("lilas")
    bob = remote.add_actor("bob")
    await introduce(target, bob)
    note = bob.note()
    remote.serve(note["id"], note)
    for ref in (note["id"], "http://169.254.169.254/latest/meta-data/"):
        resp = await post_signed(
            target.base_url, "/inbox", bob, bob.activity("Announce", ref, to=[PUBLIC])
        )
        assert resp.status_code in (202, 403), resp.text
    await processed(target)
    assert remote.requests == []
    assert query(target, "SELECT uri FROM objects") == []


@pytest.fixture
async def short_timeout(instance_factory: Callable[..., Any]) -> AsyncIterator[Instance]:
    """An instance whose outbound client gives up after 1 s instead of 15 s (the default,
    asserted here), so the test stays fast while exercising the same code path."""
    target: Instance = await instance_factory()
    rt = target.rt
    default = runtime_http(rt).policy
    assert 0 < default.total_timeout <= 15.0
    await rt.http_client.close()
    rt.http_client = create_http_client(
        HttpPolicy(
            allow_private_networks=True,
            user_agent=default.user_agent,
            is_blocked=rt.is_blocked_cached,
            per_host_limit=default.per_host_limit,
            total_timeout=1.0,
            connect_timeout=1.0,
        )
    )
    yield target


async def test_cve_2023_36461_slow_key_server_does_not_stall(
    short_timeout: Instance, remote: FakeRemote, remote2: FakeRemote
) -> None:
    """Mastodon CVE-2023-36461 (rule 12): a key server that never answers costs one bounded
    wait for its own request (401 within the total timeout), while another sender's
    request is answered meanwhile; nothing of the slow one is stored."""
    target = short_timeout
    lilas = await target.community("lilas")
    slow = remote.add_actor("slow")
    slow.publish(delay=60.0)
    quick = remote2.add_actor("quick")
    assert (
        await post_signed(target.base_url, "/inbox", quick, quick.activity("Follow", lilas))
    ).status_code == 202  # quick's key is now cached

    started = time.monotonic()
    stalled = asyncio.create_task(
        post_signed(target.base_url, "/inbox", slow, slow.activity("Follow", lilas))
    )
    await remote.wait_for_request("GET", slow.uri, timeout=5)
    meanwhile = await post_signed(
        target.base_url, "/inbox", quick, quick.activity("Create", quick.note(to=[lilas]))
    )
    assert meanwhile.status_code == 202
    assert not stalled.done()
    resp = await asyncio.wait_for(stalled, 10)
    elapsed = time.monotonic() - started

    assert_problem(resp, 401)
    assert elapsed < 5.0, elapsed
    received = [r[0] for r in query(target, "SELECT actor_uri FROM received")]
    assert slow.uri not in received


def _poll(bob: FakeActor, n: int) -> dict[str, Any]:
    options = [{"type": "Note", "name": f"option {i}"} for i in range(n)]
    return bob.note(type="Question", oneOf=options, content="<p>Poll</p>")


def _tags(bob: FakeActor, n: int) -> dict[str, Any]:
    tags = [
        {"type": "Hashtag", "name": f"#t{i}", "href": f"http://x.example/t/{i}"} for i in range(n)
    ]
    return bob.note(tag=tags)


def _attachments(bob: FakeActor, n: int) -> dict[str, Any]:
    media = [{"type": "Image", "url": f"http://x.example/{i}.png"} for i in range(n)]
    return bob.note(attachment=media)


def _long(field: str) -> Callable[[FakeActor, int], dict[str, Any]]:
    def build(bob: FakeActor, n: int) -> dict[str, Any]:
        return bob.note(**{field: "a" * n})

    return build


CAPS: dict[str, tuple[Callable[[FakeActor, int], dict[str, Any]], int, int]] = {
    # name: (builder, over the cap, well under it)
    "poll-1000-options": (_poll, 1000, 4),
    "10000-tags": (_tags, 10_000, 5),
    "1000-attachments": (_attachments, 1000, 2),
    "content-500k-chars": (_long("content"), 500_000, 500),
    "summary-500k-chars": (_long("summary"), 500_000, 50),
    "name-500k-chars": (_long("name"), 500_000, 50),
}


@pytest.mark.parametrize("cap", list(CAPS.values()), ids=list(CAPS))
async def test_cve_2026_23962_federated_fields_capped(
    target: Instance,
    remote: FakeRemote,
    make_known: Callable[[FakeActor], Any],
    cap: tuple[Callable[[FakeActor, int], dict[str, Any]], int, int],
) -> None:
    """Mastodon CVE-2026-23962 / GHSA-gg8q-rcg7-p79g (rule 12): no uncapped federated
    property. An object over a cap is not stored and is shown to no one; the same object
    within the caps is stored (control)."""
    build, over, under = cap
    alice = await target.person("alice")
    token = await target.token("alice")
    bob = remote.add_actor("bob")
    await make_known(bob)
    big = build(bob, over)
    small = build(bob, under)
    for obj in (big, small):
        obj["to"] = [alice]
        resp = await post_signed(
            target.base_url, "/inbox", bob, bob.activity("Create", obj, to=[alice])
        )
        if resp.status_code != 202:  # refusing at the door is fine too
            assert_problem(resp, 400, 413)
    await processed(target)
    stored = [r[0] for r in query(target, "SELECT uri FROM objects")]
    assert stored == [small["id"]]
    async with target.http() as client:
        listing = await client.get(
            "/actors/alice/inbox?page=1",
            headers={"Authorization": f"Bearer {token}", "Accept": cavage.AS2},
        )
    assert len(listing.content) < 100_000


async def test_cve_2023_36461_inbox_body_and_nesting_capped_before_any_work(
    target: Instance,
) -> None:
    """Rule 12: 1 MB body cap (declared or streamed) → 413, deep nesting → 400, before the
    signature is even looked at; nothing stored."""
    await target.community("lilas")
    big = b'{"type":"Create","pad":"' + b"a" * (1_048_576 + 10) + b'"}'

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(big), 65_536):
            yield big[i : i + 65_536]

    deep = (
        b'{"type":"Create","actor":"http://x.example/a","object":' + b"[" * 500 + b"]" * 500 + b"}"
    )
    async with target.http() as client:
        for path in ("/inbox", "/actors/lilas/inbox"):
            declared = await client.post(path, content=big, headers={"Content-Type": cavage.AS2})
            assert_problem(declared, 413)
            streamed = await client.post(
                path, content=chunks(), headers={"Content-Type": cavage.AS2}
            )
            assert_problem(streamed, 413)
            nested = await client.post(path, content=deep, headers={"Content-Type": cavage.AS2})
            assert_problem(nested, 400)
            wrong_type = await client.post(
                path, content=b"{}", headers={"Content-Type": "text/plain"}
            )
            assert_problem(wrong_type, 415)
    assert_nothing_stored(target)


async def test_cve_2023_36461_lying_content_length_is_not_trusted(target: Instance) -> None:
    """A huge declared Content-Length with a tiny body is refused from the header alone
    (413, problem+json), without waiting for bytes that never come."""
    await target.community("lilas")
    reader, writer = await asyncio.open_connection("127.0.0.1", target.port)
    try:
        writer.write(
            b"POST /inbox HTTP/1.1\r\nHost: "
            + target.domain.encode()
            + b"\r\nContent-Type: application/activity+json\r\n"
            b"Content-Length: 999999999999\r\n\r\n{}"
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    finally:
        writer.close()
    assert head.startswith(b"HTTP/1.1 413"), head
    assert b"application/problem+json" in head
    assert_nothing_stored(target)
