"""Issue 5: Mastodon-compatible polls (FEP-9967): votes from two instances and a local
voter, one vote per voter, counts published by Update(Question), closing after endTime."""

from __future__ import annotations

import time
from typing import Any

from fedivoisin.clock import iso
from fedivoisin.store import activities as activity_store
from fedivoisin.store import polls as poll_store
from tests.rig import wait_for

from .helpers import get, neighbourhood, post, stored_doc


class SharedClock:
    """One clock for every instance of a test, so signatures stay valid when time jumps."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset


def totals(doc: dict[str, Any], key: str = "oneOf") -> list[int]:
    return [o["replies"]["totalItems"] for o in doc[key]]


def vote(question: str, author: str, name: str) -> dict[str, Any]:
    return {"type": "Note", "name": name, "inReplyTo": question, "to": [author]}


async def processed(inst: Any, activity_id: str) -> bool:
    return await activity_store.get_activity(inst.rt.store, activity_id) is not None


async def test_votes_from_two_instances_and_a_local_voter(instance_factory: Any) -> None:
    clock = SharedClock()
    n = await neighbourhood(instance_factory, clock=clock)
    c = await instance_factory(clock=clock)
    await c.person("eve")
    await c.person("dan")
    await n.a.person("carol")
    eve, dan, carol = await c.token("eve"), await c.token("dan"), await n.a.token("carol")
    alice_uri = n.a.actor("alice")
    created = await post(
        n.a,
        "alice",
        n.alice,
        {
            "type": "Question",
            "content": "<p>Quel samedi pour le vide-grenier ?</p>",
            "oneOf": [{"type": "Note", "name": "14 juin"}, {"type": "Note", "name": "21 juin"}],
            "endTime": iso(clock.now() + 3600),
            **n.audience,
        },
    )
    poll = created["object"]["id"]
    await stored_doc(n.b, poll)

    # A vote for an option that does not exist is refused where the poll is known.
    r = await n.b.c2s("bob", n.bob, vote(poll, alice_uri, "28 juin"))
    assert r.status_code == 400 and r.json()["field"] == "name"

    await post(n.b, "bob", n.bob, vote(poll, alice_uri, "14 juin"))
    await post(c, "eve", eve, vote(poll, alice_uri, "21 juin"))
    await post(n.a, "carol", carol, vote(poll, alice_uri, "21 juin"))
    # The follower on B receives the counts by Update(Question).
    received = await stored_doc(n.b, poll, lambda d: d.get("votersCount") == 3)
    assert totals(received) == [1, 2]

    # A second vote is ignored (remote) or refused (local, known poll).
    again = await post(n.b, "bob", n.bob, vote(poll, alice_uri, "21 juin"))
    await wait_for(lambda: processed(n.a, again["id"]), timeout=10)
    r = await n.a.c2s("carol", carol, vote(poll, alice_uri, "14 juin"))
    assert r.status_code == 400 and r.json()["field"] == "inReplyTo"
    assert await poll_store.tally(n.a.rt.store, poll) == {"14 juin": 1, "21 juin": 2}
    fetched = (await get(n.a, poll)).json()
    assert totals(fetched) == [1, 2] and fetched["votersCount"] == 3 and "closed" not in fetched

    # Two hours later the poll has ended: votes are refused, and it is closed when fetched.
    clock.offset += 7200
    late = await post(c, "dan", dan, vote(poll, alice_uri, "14 juin"))
    await wait_for(lambda: processed(n.a, late["id"]), timeout=10)
    assert not await poll_store.has_voted(n.a.rt.store, poll, c.actor("dan"))
    r = await n.b.c2s("bob", n.bob, vote(poll, alice_uri, "14 juin"))
    assert r.status_code == 400 and r.json()["field"] == "inReplyTo"
    fetched = (await get(n.a, poll)).json()
    assert fetched["closed"] == created["object"]["endTime"]
    assert totals(fetched) == [1, 2]
    await stored_doc(n.b, poll, lambda d: "closed" in d)


async def test_multiple_choice_counts_each_option_once_per_voter(instance: Any) -> None:
    a = instance
    await a.person("alice")
    await a.person("carol")
    alice, carol = await a.token("alice"), await a.token("carol")
    poll = (
        await post(
            a,
            "alice",
            alice,
            {
                "type": "Question",
                "content": "<p>Que planter ?</p>",
                "anyOf": [{"type": "Note", "name": n} for n in ("Tomates", "Courges", "Fraises")],
                "endTime": iso(time.time() + 3600),
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
            },
        )
    )["object"]["id"]
    author = a.actor("alice")
    await post(a, "carol", carol, vote(poll, author, "Tomates"))
    await post(a, "carol", carol, vote(poll, author, "Fraises"))
    r = await a.c2s("alice", alice, vote(poll, author, "Tomates"))
    assert r.status_code == 400  # not on one's own poll

    async def counted() -> dict[str, Any] | None:
        doc = (await get(a, poll)).json()
        return doc if doc.get("votersCount") == 1 and sum(totals(doc, "anyOf")) == 2 else None

    doc = await wait_for(counted, timeout=10)
    assert totals(doc, "anyOf") == [1, 0, 1]
    r = await a.c2s("carol", carol, vote(poll, author, "Tomates"))
    assert r.status_code == 400 and r.json()["field"] == "inReplyTo"


async def test_a_vote_on_a_community_poll_is_not_announced(instance: Any) -> None:
    a = instance
    lilas = await a.community("les-lilas")
    await a.person("alice")
    from fedivoisin.outbox import community as cm

    await cm.add_member(a.rt, await a.local("les-lilas"), "alice")
    token, alice = await a.token("les-lilas"), await a.token("alice")
    poll = (
        await post(
            a,
            "les-lilas",
            token,
            {
                "type": "Question",
                "content": "<p>Repeindre le hall ?</p>",
                "oneOf": [{"type": "Note", "name": "Oui"}, {"type": "Note", "name": "Non"}],
                "endTime": iso(time.time() + 3600),
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
            },
        )
    )["object"]["id"]
    cast = await post(a, "alice", alice, vote(poll, lilas, "Oui"))
    await stored_doc(a, poll, lambda d: d.get("votersCount") == 1)
    announces = await a.rt.store.fetchall(
        "SELECT uri FROM activities WHERE type = 'Announce' AND object_uri = ?",
        (cast["object"]["id"],),
    )
    assert announces == []
