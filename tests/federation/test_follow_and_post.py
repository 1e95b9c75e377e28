"""Two instances on loopback: follow by handle, Accept, C2S post, delivery, GET inbox."""

from __future__ import annotations

from typing import Any

from tests.rig import AS2, wait_for


async def inbox_items(inst: Any, slug: str, token: str) -> list[dict[str, Any]]:
    async with inst.http() as c:
        r = await c.get(f"/actors/{slug}/inbox?page=1", headers={"Authorization": f"Bearer {token}", "Accept": AS2})
        assert r.status_code == 200, r.text
        return r.json()["orderedItems"]


async def test_resident_on_b_follows_community_on_a_and_receives_its_post(instance_factory: Any) -> None:
    a = await instance_factory()
    b = await instance_factory()
    await a.community("les-lilas", "Résidence Les Lilas")
    await b.person("alice")
    lilas_token = await a.token("les-lilas")
    alice_token = await b.token("alice")

    async with b.http() as c:
        r = await c.post(
            "/actors/alice/outbox",
            json={"type": "Follow", "object": f"acct:les-lilas@{a.domain}"},
            headers={"Authorization": f"Bearer {alice_token}", "Content-Type": AS2},
        )
        assert r.status_code == 201, r.text

    async def accepted() -> bool:
        items = await inbox_items(b, "alice", alice_token)
        return any(i["type"] == "Accept" for i in items)

    await wait_for(accepted, timeout=10)

    async with a.http() as c:
        r = await c.post(
            "/actors/les-lilas/outbox",
            json={
                "type": "Note",
                "content": "<p>Réunion des résidents jeudi 19h.</p>",
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "cc": [a.actor("les-lilas") + "/followers"],
            },
            headers={"Authorization": f"Bearer {lilas_token}", "Content-Type": AS2},
        )
        assert r.status_code == 201, r.text
        assert r.headers["location"] == r.json()["id"]
        note_id = r.json()["object"]["id"]

    async def got_note() -> bool:
        items = await inbox_items(b, "alice", alice_token)
        return any(i["type"] == "Create" and i["object"]["id"] == note_id for i in items)

    await wait_for(got_note, timeout=10)
