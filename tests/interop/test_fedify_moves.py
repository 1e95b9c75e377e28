"""Account moves (FEP-7628) against Fedify (issue 13 item 4): Fedify receives and parses our
signed `Move` when a resident moves to a second instance; a `Move` Fedify sends for its
actor makes our residents follow the target, once the target names it in `alsoKnownAs`."""

from __future__ import annotations

from typing import Any

from fedivoisin.outbox import follows, moves
from fedivoisin.store import follows as follow_store
from tests.rig import Instance, wait_for

from .fedify import FedifyPeer
from .test_fedify_social import http_verified


async def _state(inst: Instance, follower: str, followee: str) -> str | None:
    f = await follow_store.get(inst.rt.store, follower, followee)
    return f.state if f else None


async def test_fedify_receives_our_move(instance_factory: Any, fedify: FedifyPeer) -> None:
    a: Instance = await instance_factory()
    b: Instance = await instance_factory()
    await a.person("alice", manually_approves=False)
    await b.person("alice2")
    old, new = a.actor("alice"), b.actor("alice2")
    follow = await fedify.call("follow", {"actor": old})
    assert follow["ok"], follow
    await fedify.wait_received(type="Accept", actor=old)

    await moves.set_aliases(b.rt, await b.local("alice2"), [old])
    await moves.move(a.rt, await a.local("alice"), new)
    got = await fedify.wait_received(type="Move", actor=old)
    http_verified(got)
    assert got["objectId"] == old


async def test_a_move_sent_by_fedify_moves_our_followers(
    instance_factory: Any, fedify: FedifyPeer
) -> None:
    a: Instance = await instance_factory()
    b: Instance = await instance_factory()
    await a.person("carol")
    await b.person("newhome", manually_approves=False)
    carol, target = a.actor("carol"), b.actor("newhome")
    await follows.follow(a.rt, await a.local("carol"), fedify.actor)
    await wait_for(lambda: _accepted(a, carol, fedify.actor))
    await moves.set_aliases(b.rt, await b.local("newhome"), [fedify.actor])

    sent = await fedify.call(
        "send",
        {
            "activity": {"type": "Move", "object": fedify.actor, "target": target},
            "to": "followers",
            "followers": True,
        },
    )
    assert sent["ok"], sent
    await wait_for(lambda: _accepted(a, carol, target), timeout=15)
    assert await _state(a, carol, fedify.actor) is None


async def _accepted(inst: Instance, follower: str, followee: str) -> bool:
    return await _state(inst, follower, followee) == "accepted"
