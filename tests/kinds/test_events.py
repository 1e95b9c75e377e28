"""Issue 5: event RSVP (FEP-8a8e): capacity, join modes, Leave, the organiser's private
participant list, the published participantCount, cancellation, and a Mobilizon Join."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fedivoisin.store import events as event_store
from tests.rig import wait_for
from tests.rig.peer import RecordingPeer

from .helpers import get, neighbourhood, post, stored_doc

FIXTURES = Path(__file__).parent.parent / "fixtures"


def event_body(**extra: Any) -> dict[str, Any]:
    return {
        "type": "Event",
        "name": "Atelier vélo",
        "content": "<p>Réparation de vélos dans la cour.</p>",
        "startTime": "2030-05-18T10:00:00+02:00",
        "endTime": "2030-05-18T12:00:00+02:00",
        "timezone": "Europe/Paris",
        **extra,
    }


async def state_of(inst: Any, event: str, actor: str) -> str | None:
    p = await event_store.get(inst.rt.store, event, actor)
    return p.state if p else None


async def answers(inst: Any, slug: str, token: str, join_id: str) -> list[str]:
    return [
        i["type"]
        for i in await inst.inbox(slug, token)
        if i["type"] in ("Accept", "Reject")
        and (
            i["object"] == join_id
            or (isinstance(i["object"], dict) and i["object"]["id"] == join_id)
        )
    ]


async def test_capacity_one_leave_and_participants_visible_to_the_organiser_only(
    instance_factory: Any,
) -> None:
    n = await neighbourhood(instance_factory)
    c = await instance_factory()
    await c.person("eve")
    await n.a.person("carol")
    eve, carol = await c.token("eve"), await n.a.token("carol")
    created = await post(
        n.a,
        "alice",
        n.alice,
        {**event_body(maximumAttendeeCapacity=1, joinMode="free"), **n.audience},
    )
    event = created["object"]["id"]
    await stored_doc(n.b, event)  # bob follows the community: B has the event

    # eve's instance has never seen the event: it fetches it to find the organiser.
    join = await post(c, "eve", eve, {"type": "Join", "object": event})
    assert join["to"] == [n.a.actor("alice")]
    await wait_for(lambda: _eq(state_of(c, event, c.actor("eve")), "accepted"), timeout=10)
    assert await answers(c, "eve", eve, join["id"]) == ["Accept"]
    assert await state_of(n.a, event, c.actor("eve")) == "accepted"
    assert (await get(n.a, event)).json()["participantCount"] == 1
    await stored_doc(n.b, event, lambda d: d.get("participantCount") == 1)

    # Full: the second Join is rejected.
    join2 = await post(n.a, "carol", carol, {"type": "Join", "object": event})

    async def carol_rejected() -> bool:
        return await answers(n.a, "carol", carol, join2["id"]) == ["Reject"]

    await wait_for(carol_rejected, timeout=10)
    assert await state_of(n.a, event, n.a.actor("carol")) == "rejected"

    # The participant list is the organiser's only: 404 to anyone else.
    r = await get(n.a, event + "/participants", n.alice)
    assert r.status_code == 200 and r.json()["orderedItems"] == [c.actor("eve")]
    assert (await get(n.a, event + "/participants", carol)).status_code == 404
    assert (await get(n.a, event + "/participants")).status_code == 404

    # Leave frees the place; the count Update reaches the follower on B.
    await post(c, "eve", eve, {"type": "Leave", "object": event})
    await wait_for(lambda: _eq(state_of(n.a, event, c.actor("eve")), None), timeout=10)
    assert await state_of(c, event, c.actor("eve")) is None
    await stored_doc(n.b, event, lambda d: d.get("participantCount") == 0)
    join3 = await post(n.a, "carol", carol, {"type": "Join", "object": event})

    async def carol_accepted() -> bool:
        return await answers(n.a, "carol", carol, join3["id"]) == ["Accept"]

    await wait_for(carol_accepted, timeout=10)
    r = await get(n.a, event + "/participants", n.alice)
    assert r.json()["orderedItems"] == [n.a.actor("carol")]


async def _eq(value: Any, expected: Any) -> bool:
    return (await value) == expected


async def test_restricted_event_waits_for_the_organiser_and_invite_only_rejects(
    instance: Any,
) -> None:
    a = instance
    for who in ("alice", "carol", "dan"):
        await a.person(who)
    alice, carol, dan = [await a.token(w) for w in ("alice", "carol", "dan")]
    event = (
        await post(
            a,
            "alice",
            alice,
            event_body(joinMode="restricted", to=[a.actor("alice") + "/followers"]),
        )
    )["object"]["id"]
    join_c = await post(a, "carol", carol, {"type": "Join", "object": event})
    join_d = await post(a, "dan", dan, {"type": "Join", "object": event})
    await wait_for(lambda: _eq(state_of(a, event, a.actor("dan")), "pending"), timeout=10)
    assert await state_of(a, event, a.actor("carol")) == "pending"
    r = await get(a, event + "/participants?state=pending", alice)
    assert sorted(r.json()["orderedItems"]) == sorted([a.actor("carol"), a.actor("dan")])
    assert await answers(a, "carol", carol, join_c["id"]) == []

    # Only the organiser answers.
    r = await a.c2s("dan", dan, {"type": "Accept", "object": join_c["id"]})
    assert r.status_code == 403, r.text
    await post(a, "alice", alice, {"type": "Accept", "object": join_c["id"]})
    await post(a, "alice", alice, {"type": "Reject", "object": join_d["id"]})

    async def answered() -> bool:
        return await answers(a, "carol", carol, join_c["id"]) == ["Accept"] and await answers(
            a, "dan", dan, join_d["id"]
        ) == ["Reject"]

    await wait_for(answered, timeout=10)
    assert (await get(a, event, alice)).json()["participantCount"] == 1
    r = await a.c2s("alice", alice, {"type": "Accept", "object": join_d["id"]})
    assert r.status_code == 400 and r.json()["field"] == "object"

    invite = (await post(a, "alice", alice, event_body(joinMode="invite")))["object"]["id"]
    join_i = await post(a, "carol", carol, {"type": "Join", "object": invite})

    async def invite_rejected() -> bool:
        return await answers(a, "carol", carol, join_i["id"]) == ["Reject"]

    await wait_for(invite_rejected, timeout=10)


async def test_cancelled_event_is_federated_and_refuses_joins(instance_factory: Any) -> None:
    n = await neighbourhood(instance_factory)
    event = (await post(n.a, "alice", n.alice, {**event_body(), **n.audience}))["object"]["id"]
    await stored_doc(n.b, event)
    join = await post(n.b, "bob", n.bob, {"type": "Join", "object": event})
    await wait_for(lambda: _eq(state_of(n.b, event, n.b.actor("bob")), "accepted"), timeout=10)

    await post(
        n.a,
        "alice",
        n.alice,
        {"type": "Update", "object": {"id": event, "eventStatus": "EventCancelled"}},
    )
    fetched = (await get(n.a, event)).json()
    assert fetched["status"] == "CANCELLED" and fetched["eventStatus"] == "EventCancelled"
    assert fetched["name"] == "ANNULÉ – Atelier vélo"
    assert fetched["participantCount"] == 1  # server-owned, kept through the Update
    received = await stored_doc(n.b, event, lambda d: d.get("status") == "CANCELLED")
    assert received["name"].startswith("ANNULÉ – ")

    await n.a.person("carol")
    carol = await n.a.token("carol")
    join2 = await post(n.a, "carol", carol, {"type": "Join", "object": event})

    async def rejected() -> bool:
        return await answers(n.a, "carol", carol, join2["id"]) == ["Reject"]

    await wait_for(rejected, timeout=10)
    assert join["id"] != join2["id"]


async def test_mobilizon_join_is_accepted_and_leave_or_undo_is_honoured(instance: Any) -> None:
    await instance.person("alice")
    alice = await instance.token("alice")
    body = event_body(to=["https://www.w3.org/ns/activitystreams#Public"])
    event = (await post(instance, "alice", alice, body))["object"]["id"]
    async with RecordingPeer() as peer:
        tcit = peer.add_actor("/@tcit")
        join = json.loads((FIXTURES / "mobilizon/join-event.json").read_text())
        join.update({"actor": tcit, "object": event, "id": peer.url("/join/event/1")})
        r = await peer.deliver(instance.urls.shared_inbox, join)
        assert r.status_code == 202, r.text
        got = await peer.wait_for_post(lambda p: p.json()["type"] == "Accept")
        accept = got.json()
        assert accept["actor"] == instance.actor("alice")
        assert accept["object"]["id"] == join["id"] and accept["object"]["type"] == "Join"
        assert (await get(instance, event)).json()["participantCount"] == 1
        # Even a participant's signed fetch does not see the list.
        url = event + "/participants"
        signed = peer.sign("GET", url, None, actor=tcit)
        assert (await get(instance, url, **signed)).status_code == 404
        leave = {
            "@context": join["@context"],
            "id": peer.url("/leave/1"),
            "type": "Leave",
            "actor": tcit,
            "object": event,
        }
        r = await peer.deliver(instance.urls.shared_inbox, leave)
        assert r.status_code == 202

        async def left() -> bool:
            return (await get(instance, event)).json()["participantCount"] == 0

        await wait_for(left, timeout=10)

        # Joining again, then Undo(Join) (what non-Mobilizon software sends) also leaves.
        again = {**join, "id": peer.url("/join/event/2")}
        await peer.deliver(instance.urls.shared_inbox, again)

        async def joined() -> bool:
            return (await get(instance, event)).json()["participantCount"] == 1

        await wait_for(joined, timeout=10)
        undo = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": peer.url("/undo/1"),
            "type": "Undo",
            "actor": tcit,
            "object": {k: v for k, v in again.items() if k != "@context"},
        }
        await peer.deliver(instance.urls.shared_inbox, undo)
        await wait_for(left, timeout=10)


async def test_undo_join_of_a_remote_event_clears_both_sides(instance_factory: Any) -> None:
    n = await neighbourhood(instance_factory)
    c = await instance_factory()
    await c.person("eve")
    eve = await c.token("eve")
    created = await post(n.a, "alice", n.alice, {**event_body(joinMode="free"), **n.audience})
    event = created["object"]["id"]
    join = await post(c, "eve", eve, {"type": "Join", "object": event})
    await wait_for(lambda: _eq(state_of(c, event, c.actor("eve")), "accepted"), timeout=10)
    await post(c, "eve", eve, {"type": "Undo", "object": join["id"]})
    assert await state_of(c, event, c.actor("eve")) is None  # our record goes at once
    await wait_for(lambda: _eq(state_of(n.a, event, c.actor("eve")), None), timeout=10)
