"""Account moves (FEP-7628): a resident moves from instance A to B and its three followers
(one on A, two on B) follow the new account; a Move the target does not confirm is ignored."""

from __future__ import annotations

from typing import Any

import pytest

from fedivoisin.errors import InvalidInput
from fedivoisin.outbox import follows, moves
from fedivoisin.store import follows as follow_store
from tests.rig import Instance, wait_for


async def _state(inst: Instance, follower: str, followee: str) -> str | None:
    f = await follow_store.get(inst.rt.store, follower, followee)
    return f.state if f else None


async def test_move_migrates_followers_on_both_instances(instance_factory: Any) -> None:
    a: Instance = await instance_factory()
    b: Instance = await instance_factory()
    for slug in ("alice", "carol"):
        await a.person(slug, manually_approves=False)
    for slug in ("alice2", "dave", "erin"):
        await b.person(slug, manually_approves=False)
    old, new = a.actor("alice"), b.actor("alice2")
    followers = [(a, "carol"), (b, "dave"), (b, "erin")]
    for inst, slug in followers:
        await follows.follow(inst.rt, await inst.local(slug), old)
    for inst, slug in followers:
        await wait_for(lambda i=inst, s=slug: _accepted(i, i.actor(s), old))

    # not yet aliased: refused, nothing changes
    with pytest.raises(InvalidInput):
        await moves.move(a.rt, await a.local("alice"), new)

    await moves.set_aliases(b.rt, await b.local("alice2"), [old])
    await moves.move(a.rt, await a.local("alice"), new)

    for inst, slug in followers:
        await wait_for(lambda i=inst, s=slug: _accepted(i, i.actor(s), new), timeout=15)
        assert await _state(inst, inst.actor(slug), old) is None
    async with a.http() as c:
        doc = (await c.get("/actors/alice", headers={"Accept": "application/activity+json"})).json()
    assert doc["movedTo"] == new
    async with b.http() as c:
        doc = (
            await c.get("/actors/alice2", headers={"Accept": "application/activity+json"})
        ).json()
    assert doc["alsoKnownAs"] == [old]


async def _accepted(inst: Instance, follower: str, followee: str) -> bool:
    return await _state(inst, follower, followee) == "accepted"


async def test_unconfirmed_move_is_ignored(instance_factory: Any) -> None:
    a: Instance = await instance_factory()
    b: Instance = await instance_factory()
    await a.person("alice", manually_approves=False)
    await b.person("dave")
    await b.person("mallory")
    old = a.actor("alice")
    await follows.follow(b.rt, await b.local("dave"), old)
    await wait_for(lambda: _accepted(b, b.actor("dave"), old))
    # a Move to an account that does not name alice in alsoKnownAs
    assert await moves.on_move(b.rt, old, b.actor("mallory")) == 0
    assert await _state(b, b.actor("dave"), old) == "accepted"
    assert await _state(b, b.actor("dave"), b.actor("mallory")) is None


async def test_a_community_moves_to_a_new_domain_with_its_members(instance_factory: Any) -> None:
    """FEP-7628 for a Group: the same flow as a resident; its members (followers, FEP-1b12)
    on both instances join the new community and leave the old one."""
    a: Instance = await instance_factory()
    b: Instance = await instance_factory()
    old = await a.community("cour", name="Cour")
    new = await b.community("cour-neuve", name="Cour")
    await a.person("carol")
    await b.person("dave")
    members = [(a, "carol"), (b, "dave")]
    for inst, slug in members:
        await follows.follow(inst.rt, await inst.local(slug), old)
    for inst, slug in members:
        await wait_for(lambda i=inst, s=slug: _accepted(i, i.actor(s), old))

    await moves.set_aliases(b.rt, await b.local("cour-neuve"), [old])
    await moves.move(a.rt, await a.local("cour"), new)

    for inst, slug in members:
        await wait_for(lambda i=inst, s=slug: _accepted(i, i.actor(s), new), timeout=15)
        assert await _state(inst, inst.actor(slug), old) is None
    # The new community counts them as its members.
    rows = await b.rt.store.fetchall(
        "SELECT member FROM members WHERE community = ? AND state = 'accepted'", (new,)
    )
    assert {r["member"] for r in rows} == {a.actor("carol"), b.actor("dave")}
