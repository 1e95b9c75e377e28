"""Follow approval and discovery (SECURITY.md rules 8 and 9)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fedivoisin.errors import RemoteError
from fedivoisin.remote import resolve_handle
from tests.rig import Instance

from .conftest import (
    c2s,
    count,
    inbox_listing,
    processed,
    query,
    signed_get,
)
from .fakes import FakeActor, FakeRemote, post_signed


async def test_cve_2025_30741_pixelfed_follow_stays_pending_until_accept(
    target: Instance,
    private: bool,
    remote: FakeRemote,
    remote2: FakeRemote,
    make_known: Callable[[FakeActor], Any],
) -> None:
    """Pixelfed CVE-2025-30741 (rule 9), incoming side: Alice approves followers by hand.
    Bob's Follow stays pending, so her followers-only post is neither delivered to Bob
    nor shown to him on a signed GET; Carol, accepted, gets both."""
    alice = await target.person("alice")
    token = await target.token("alice")
    bob, carol = remote.add_actor("bob"), remote2.add_actor("carol")
    for follower in (bob, carol):
        await make_known(follower)
        resp = await post_signed(
            target.base_url, "/inbox", follower, follower.activity("Follow", alice)
        )
        assert resp.status_code == 202
    await processed(target)
    states = {r[0]: r[1] for r in query(target, "SELECT follower, state FROM follows")}
    assert states == {bob.uri: "pending", carol.uri: "pending"}
    await c2s(target, "alice", token, {"type": "Accept", "object": carol.uri})

    created = await c2s(
        target,
        "alice",
        token,
        {"type": "Note", "content": "<p>followers only</p>", "to": [alice + "/followers"]},
    )
    note_path = created["object"]["id"].removeprefix(target.base_url)

    inboxes = {r[0] for r in query(target, "SELECT inbox FROM deliveries")}
    assert not any(i.startswith(remote.origin) for i in inboxes), inboxes
    assert any(i.startswith(remote2.origin) for i in inboxes), inboxes
    if private:
        await remote2.wait_for_request("POST", "/inbox", lambda s: s.json()["type"] == "Create")
        assert not [s for s in remote.got("POST") if s.json()["type"] == "Create"]
    assert (await signed_get(target, note_path, bob)).status_code == 404
    assert (await signed_get(target, note_path, None)).status_code == 404
    allowed = await signed_get(target, note_path, carol)
    assert allowed.status_code == 200 and allowed.json()["content"] == "<p>followers only</p>"


async def test_cve_2025_30741_local_follow_pending_until_the_followed_actor_accepts(
    target: Instance,
    remote: FakeRemote,
    make_known: Callable[[FakeActor], Any],
) -> None:
    """Rule 9, outgoing side: Alice's Follow of Bob stays pending until BOB accepts; an
    Accept from Eve (same server) changes nothing, and Bob's followers-only posts reach
    Alice's inbox only once she is accepted."""
    await target.person("alice")
    token = await target.token("alice")
    bob, eve = remote.add_actor("bob"), remote.add_actor("eve")
    await make_known(bob)
    await make_known(eve)
    follow = await c2s(target, "alice", token, {"type": "Follow", "object": bob.uri})
    state = "SELECT state FROM follows WHERE followee = ?"
    assert [r[0] for r in query(target, state, bob.uri)] == ["pending"]

    early = bob.note("<p>early</p>", to=[bob.followers])
    attempts = [
        eve.activity("Accept", follow["id"]),
        eve.activity("Accept", {**follow, "@context": None}),
        bob.activity("Accept", bob.new_id("follows")),
        bob.activity("Create", early, to=[bob.followers]),
    ]
    for activity in attempts:
        sender = eve if activity["actor"] == eve.uri else bob
        assert (await post_signed(target.base_url, "/inbox", sender, activity)).status_code == 202
    await processed(target)
    assert [r[0] for r in query(target, state, bob.uri)] == ["pending"]
    assert "early" not in str(await inbox_listing(target, "alice", token))

    accept = bob.activity("Accept", follow["id"])
    assert (await post_signed(target.base_url, "/inbox", bob, accept)).status_code == 202
    await processed(target)
    assert [r[0] for r in query(target, state, bob.uri)] == ["accepted"]
    later = bob.note("<p>later</p>", to=[bob.followers])
    create = bob.activity("Create", later, to=[bob.followers])
    assert (await post_signed(target.base_url, "/inbox", bob, create)).status_code == 202
    await processed(target)
    assert "later" in str(await inbox_listing(target, "alice", token))


async def _mismatched_username(remote: FakeRemote, remote2: FakeRemote, third: FakeRemote) -> str:
    mallory = remote.add_actor("mallory")
    acct = f"acct:carol@{remote.authority}"
    remote.webfinger(acct, mallory.uri)
    return acct


async def _other_host_no_reverse(remote: FakeRemote, remote2: FakeRemote, third: FakeRemote) -> str:
    dave = remote2.add_actor("dave")
    acct = f"acct:dave@{remote.authority}"
    remote.webfinger(acct, dave.uri)
    remote2.webfinger(dave.uri, dave.uri, subject=f"acct:dave@{remote2.authority}")
    return acct


async def _other_port_same_host(remote: FakeRemote, remote2: FakeRemote, third: FakeRemote) -> str:
    """Another server on the same host but another port is another origin."""
    erin = third.add_actor("erin")
    acct = f"acct:erin@{remote.authority}"
    remote.webfinger(acct, erin.uri)
    return acct


async def _self_link_answers_for_another_id(
    remote: FakeRemote, remote2: FakeRemote, third: FakeRemote
) -> str:
    """The linked document claims an id on another origin (an upload posing as an actor)."""
    grace = remote2.add_actor("grace")
    remote.serve("/uploads/grace.json", grace.document)
    acct = f"acct:grace@{remote.authority}"
    remote.webfinger(acct, f"{remote.origin}/uploads/grace.json")
    return acct


SPOOFS = {
    "username-does-not-map-back": _mismatched_username,
    "other-host-without-reverse-lookup": _other_host_no_reverse,
    "other-port-same-host": _other_port_same_host,
    "self-link-answers-for-another-id": _self_link_answers_for_another_id,
}


@pytest.mark.parametrize("spoof", list(SPOOFS.values()), ids=list(SPOOFS))
async def test_webfinger_spoofing_round_trip_required(
    instance_factory: Callable[..., Any],
    remote: FakeRemote,
    remote2: FakeRemote,
    spoof: Callable[..., Any],
) -> None:
    """Akkoma 2024.04.1, mastodon#2147 (rule 8): `fedivoisin.remote.resolve_handle` only
    returns an actor that maps back to the same acct: (same username, and the handle's
    host — port included — or a reverse WebFinger lookup on the actor's own host). A
    resident following the spoofed handle gets a 404 and no follow is recorded."""
    target: Instance = await instance_factory()  # WebFinger must reach loopback
    async with FakeRemote("127.0.0.1") as third:
        acct = await spoof(remote, remote2, third)
        with pytest.raises(RemoteError):
            await resolve_handle(target.rt, acct)
        await target.person("alice")
        token = await target.token("alice")
        async with target.http() as client:
            resp = await client.post(
                "/actors/alice/outbox",
                json={"type": "Follow", "object": acct},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert resp.status_code == 404, resp.text
        assert count(target, "follows") == 0


async def test_webfinger_round_trip_accepts_genuine_and_split_domain_handles(
    instance_factory: Callable[..., Any], remote: FakeRemote, remote2: FakeRemote
) -> None:
    """Controls for the spoofing test: a plain handle, and a split-domain handle whose
    actor host answers the reverse lookup with the same acct:."""
    target: Instance = await instance_factory()
    alice = remote.add_actor("alice")
    remote.webfinger(f"acct:alice@{remote.authority}", alice.uri)
    assert await resolve_handle(target.rt, f"alice@{remote.authority}") == alice.uri
    fred = remote2.add_actor("fred")
    acct = f"acct:fred@{remote.authority}"
    remote.webfinger(acct, fred.uri)
    remote2.webfinger(fred.uri, fred.uri, subject=acct)
    assert await resolve_handle(target.rt, acct) == fred.uri
