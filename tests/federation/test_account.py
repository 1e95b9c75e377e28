"""Residents can export and delete their data; deletion is federated."""

from __future__ import annotations

from typing import Any

from fedivoisin.store import remote_actors
from tests.rig import AS2, wait_for

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def test_export_contains_the_residents_posts_and_follows(instance_factory: Any) -> None:
    a = await instance_factory()
    await a.person("alice")
    await a.community("les-lilas")
    t = await a.token("alice")
    await a.c2s("alice", t, {"type": "Follow", "object": a.actor("les-lilas")})
    r = await a.c2s("alice", t, {"type": "Note", "content": "Bonjour les voisins", "to": [PUBLIC]})
    note = r.json()["object"]["id"]
    async with a.http() as c:
        assert (await c.get("/actors/alice/export")).status_code == 401
        r = await c.get("/actors/alice/export", headers={"Authorization": f"Bearer {t}"})
    assert r.status_code == 200 and r.headers["cache-control"].startswith("private")
    data = r.json()
    assert data["actor"]["id"] == a.actor("alice")
    assert [o["id"] for o in data["objects"]] == [note]
    assert a.actor("les-lilas") in data["following"]


async def test_deleting_an_account_is_federated_and_erases_its_data(instance_factory: Any) -> None:
    a = await instance_factory()
    b = await instance_factory()
    await a.person("alice")
    await b.community("les-tilleuls")
    t = await a.token("alice")
    await a.c2s("alice", t, {"type": "Follow", "object": b.actor("les-tilleuls")})
    r = await a.c2s("alice", t, {"type": "Note", "content": "à supprimer", "to": [PUBLIC]})
    note = r.json()["object"]["id"]

    async def b_knows_alice() -> bool:
        return await remote_actors.get(b.rt.store, a.actor("alice")) is not None

    await wait_for(b_knows_alice, timeout=10)
    r = await a.c2s("alice", t, {"type": "Delete", "object": a.actor("alice")})
    assert r.status_code == 201, r.text

    async def b_forgot_alice() -> bool:
        return await remote_actors.get(b.rt.store, a.actor("alice")) is None

    await wait_for(b_forgot_alice, timeout=10)
    async with b.http() as c:
        followers = (await c.get("/actors/les-tilleuls/followers", headers={"Accept": AS2})).json()
        assert followers["totalItems"] == 0
    assert (await a.get_json(a.actor("alice"))).status_code == 410
    assert (await a.get_json(note)).status_code in (404, 410)
    async with a.http() as c:  # the token was revoked
        r = await c.get("/actors/alice/export", headers={"Authorization": f"Bearer {t}"})
        assert r.status_code in (401, 410)
