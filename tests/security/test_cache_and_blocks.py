"""Caching and blocks (SECURITY.md rules 13 and 14)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.rig import Instance

from . import cavage
from .conftest import (
    assert_nothing_stored,
    assert_problem,
    block,
    c2s,
    inbox_listing,
    processed,
    query,
    signed_get,
)
from .fakes import PUBLIC, FakeActor, FakeRemote, post_signed, split


def _vary(resp: Any) -> set[str]:
    return {v.strip().lower() for v in resp.headers.get("vary", "").split(",")}


async def test_lemmy_5632_vary_accept(instance: Instance) -> None:
    """Lemmy #5632 (rule 13): every negotiated URL says `Vary: Accept`, so a cache never
    hands the JSON to a browser or the HTML page to a server."""
    await instance.community("lilas")
    token = await instance.token("lilas")
    created = await c2s(
        instance, "lilas", token, {"type": "Note", "content": "<p>hi</p>", "to": [PUBLIC]}
    )
    paths = [
        "/actors/lilas",
        "/@lilas",
        "/actors/lilas/outbox",
        "/actors/lilas/followers",
        "/actors/lilas/following",
        created["object"]["id"].removeprefix(instance.base_url),
        created["id"].removeprefix(instance.base_url),
    ]
    async with instance.http() as client:
        for path in paths:
            for accept in (cavage.AS2, "text/html"):
                resp = await client.get(path, headers={"Accept": accept})
                assert resp.status_code == 200, (path, accept, resp.status_code)
                assert "accept" in _vary(resp), (path, accept, resp.headers)


def _cache_control(resp: Any) -> set[str]:
    return {v.strip().lower() for v in resp.headers.get("cache-control", "").split(",")}


async def test_mastodon_13585_cache_control_private(
    instance_factory: Callable[..., Any], remote: FakeRemote
) -> None:
    """mastodon#13585 (rule 13): whenever the answer depends on who asks (a signature, a
    token, authorized fetch), it is `Cache-Control: private`, never shared-cacheable."""
    inst: Instance = await instance_factory(authorized_fetch=True)
    lilas = await inst.community("lilas")
    token = await inst.token("lilas")
    bob = remote.add_actor("bob")
    assert (
        await post_signed(inst.base_url, "/inbox", bob, bob.activity("Follow", lilas))
    ).status_code == 202
    await processed(inst)
    public = await c2s(
        inst, "lilas", token, {"type": "Note", "content": "<p>all</p>", "to": [PUBLIC]}
    )
    private = await c2s(
        inst, "lilas", token, {"type": "Note", "content": "<p>f</p>", "to": [lilas + "/followers"]}
    )
    signed_paths = [
        private["object"]["id"],  # followers-only: depends on the requester
        public["object"]["id"],  # public, but authorized fetch makes it depend on the signature
        public["id"],
    ]
    for url in signed_paths:
        resp = await signed_get(inst, url.removeprefix(inst.base_url), bob)
        assert resp.status_code == 200, (url, resp.text)
        cc = _cache_control(resp)
        assert "private" in cc and "public" not in cc, (url, resp.headers)
    async with inst.http() as client:
        for path in ("/actors/lilas/inbox",):
            resp = await client.get(
                path + "?page=1", headers={"Authorization": f"Bearer {token}", "Accept": cavage.AS2}
            )
            assert resp.status_code == 200
            assert "private" in _cache_control(resp), (path, resp.headers)


async def _blocked_ingress(
    target: Instance,
    bob: FakeActor,
    mallory: FakeActor,
    alice: str,
) -> list[Any]:
    """Every way in for mallory's (blocked) content that is refused at the inbox door."""
    mallory_note = mallory.note(to=[alice])
    wrapped = mallory.activity("Create", mallory_note, to=[alice])
    body = []
    responses = [
        # mallory herself, signing with her key
        await post_signed(target.base_url, "/inbox", mallory, mallory.activity("Follow", alice)),
        # bob boosts mallory's note (by reference, embedded, FEP-1b12 wrapped)
        await post_signed(
            target.base_url, "/inbox", bob, bob.activity("Announce", mallory_note["id"], to=[alice])
        ),
        await post_signed(
            target.base_url, "/inbox", bob, bob.activity("Announce", mallory_note, to=[alice])
        ),
        await post_signed(
            target.base_url, "/inbox", bob, bob.activity("Announce", wrapped, to=[alice])
        ),
        # bob's Create embedding a note whose author is mallory
        await post_signed(
            target.base_url,
            "/inbox",
            bob,
            bob.activity(
                "Create", {**bob.note(to=[alice]), "attributedTo": mallory.uri}, to=[alice]
            ),
        ),
    ]
    # bob's activity signed with a key on the blocked domain
    raw = b'{"type":"Follow"}'
    follow = bob.activity("Follow", alice)
    import orjson

    raw = orjson.dumps(follow)
    host, path = split(target.base_url + "/inbox")
    headers = cavage.sign("POST", host, path, raw, key_id=mallory.key_id, key=mallory.key)
    async with target.http() as client:
        responses.append(await client.post("/inbox", content=raw, headers=headers))
    del body
    return responses


async def test_cve_2026_23961_blocked_domain_through_announce(
    target: Instance,
    private: bool,
    remote: FakeRemote,
    remote2: FakeRemote,
    make_known: Callable[[FakeActor], Any],
) -> None:
    """Mastodon CVE-2026-23961 (rule 14): a blocked domain gets in neither directly, nor
    through an Announce (by reference, embedded or FEP-1b12-wrapped), nor as the author
    of an object embedded in someone else's Create, nor by lending its key: 403 at the
    door, before any fetch from it. An Announce whose object only turns out, once
    fetched, to be by a blocked author is dropped by the worker. Alice sees none of it."""
    alice = await target.person("alice")
    token = await target.token("alice")
    bob, mallory = remote.add_actor("bob"), remote2.add_actor("mallory")
    await make_known(bob)
    await make_known(mallory)
    await block(target, remote2.host)

    for resp in await _blocked_ingress(target, bob, mallory, alice):
        assert_problem(resp, 403)
    assert_nothing_stored(target)
    assert remote2.requests == []

    # An object served by bob's (allowed) server, authored by mallory.
    laundered = {**bob.note("<p>laundered</p>", to=[alice]), "attributedTo": mallory.uri}
    remote.serve(laundered["id"], laundered)
    resp = await post_signed(
        target.base_url, "/inbox", bob, bob.activity("Announce", laundered["id"], to=[alice])
    )
    assert resp.status_code == 202
    await processed(target)
    assert query(target, "SELECT uri FROM objects") == []
    assert "laundered" not in str(await inbox_listing(target, "alice", token))
    assert remote2.requests == []


@pytest.mark.parametrize("who", ["blocked", "allowed"])
async def test_ghsa_ccpr_m53r_mfwr_blocked_domain_cannot_read_collections(
    instance_factory: Callable[..., Any], remote: FakeRemote, remote2: FakeRemote, who: str
) -> None:
    """Mastodon GHSA-ccpr-m53r-mfwr (rule 13): a blocked domain's signed fetch of our
    outbox, objects or actors is refused (no cached copy either: such answers are private
    under authorized fetch)."""
    inst: Instance = await instance_factory(authorized_fetch=True)
    await inst.community("lilas")
    token = await inst.token("lilas")
    created = await c2s(
        inst, "lilas", token, {"type": "Note", "content": "<p>x</p>", "to": [PUBLIC]}
    )
    await block(inst, remote2.host)
    reader = (remote2 if who == "blocked" else remote).add_actor("reader")
    for path in (
        "/actors/lilas/outbox?page=1",
        created["object"]["id"].removeprefix(inst.base_url),
        "/actors/lilas",
    ):
        resp = await signed_get(inst, path, reader)
        if who == "blocked":
            assert_problem(resp, 403)
        else:
            assert resp.status_code == 200, (path, resp.text)
    assert remote2.requests == []


async def test_mastodon_13585_actor_and_outbox_private_under_authorized_fetch(
    instance_factory: Callable[..., Any], remote: FakeRemote
) -> None:
    """Rule 13: under authorized fetch the actor document and outbox depend on the
    signature too, so they must not be shared-cacheable (a cache would replay them to
    unsigned or blocked requesters)."""
    inst: Instance = await instance_factory(authorized_fetch=True)
    await inst.community("lilas")
    reader = remote.add_actor("reader")
    for path in ("/actors/lilas", "/actors/lilas/outbox?page=1"):
        resp = await signed_get(inst, path, reader)
        assert resp.status_code == 200
        assert "public" not in _cache_control(resp), (path, resp.headers)


@pytest.mark.parametrize("audience", ["followers", "direct"])
async def test_refused_get_of_a_private_object_looks_like_an_unknown_id(
    instance_factory: Callable[..., Any], remote: FakeRemote, remote2: FakeRemote, audience: str
) -> None:
    """Issue 15 item 7: a blocked domain's signed GET of a followers-only or direct object
    got 403 while an unknown id got 404, telling the blocked party the object exists. Every
    refused GET of a non-public object now answers exactly like an unknown one."""
    inst: Instance = await instance_factory()
    await inst.community("lilas")
    token = await inst.token("lilas")
    to = [inst.actor("lilas") + "/followers"] if audience == "followers" else [inst.actor("lilas")]
    created = await c2s(inst, "lilas", token, {"type": "Note", "content": "<p>x</p>", "to": to})
    await block(inst, remote2.host)
    reader = remote2.add_actor("reader")
    real = created["object"]["id"].removeprefix(inst.base_url)
    unknown = real.rsplit("/", 1)[0] + "/no-such-object"
    answers = [await signed_get(inst, path, reader) for path in (real, unknown)]
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].json() == answers[1].json()
    assert answers[0].headers.get("content-type") == answers[1].headers.get("content-type")
