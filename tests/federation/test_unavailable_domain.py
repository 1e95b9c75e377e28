"""A domain marked unavailable is skipped until it talks to us again; then its queue resumes."""

from __future__ import annotations

from typing import Any

from tests.rig import wait_for

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def test_queue_resumes_when_an_unavailable_domain_contacts_us(instance_factory: Any) -> None:
    a = await instance_factory()
    b = await instance_factory()
    await a.community("les-lilas")
    await b.person("alice")
    await b.person("bob")
    lilas, alice, bob = await a.token("les-lilas"), await b.token("alice"), await b.token("bob")
    await b.c2s("alice", alice, {"type": "Follow", "object": a.actor("les-lilas")})

    async def accepted() -> bool:
        return any(i["type"] == "Accept" for i in await b.inbox("alice", alice))

    await wait_for(accepted, timeout=10)
    host = "127.0.0.1"  # both instances share the loopback host; health is per host
    await a.rt.store.execute(
        'INSERT INTO domain_health (host, failure_days, unavailable) VALUES (?, \'["d1","d2","d3"]\', 1)'
        " ON CONFLICT(host) DO UPDATE SET unavailable = 1",
        (host,),
    )
    r = await a.c2s(
        "les-lilas",
        lilas,
        {
            "type": "Note",
            "content": "en attente",
            "to": [PUBLIC],
            "cc": [a.actor("les-lilas") + "/followers"],
        },
    )
    note = r.json()["object"]["id"]

    async def got_note() -> bool:
        return any(
            i["type"] == "Create" and i["object"]["id"] == note
            for i in await b.inbox("alice", alice)
        )

    import asyncio

    await asyncio.sleep(1.0)  # several delivery cycles: the domain is skipped
    assert not await got_note()
    row = await a.rt.store.fetchone(
        "SELECT state, attempts FROM deliveries WHERE activity_uri = ?", (r.json()["id"],)
    )
    assert row["state"] == "pending" and row["attempts"] == 0
    # The domain talks to us: a Follow from bob.
    await b.c2s("bob", bob, {"type": "Follow", "object": a.actor("les-lilas")})
    await wait_for(got_note, timeout=10)
