"""Pinned statuses: pin/unpin through the client API, `accounts/:id/statuses?pinned=true`,
`pinned` on the status, and the actor's `featured` collection (public pins only)."""

from __future__ import annotations

from tests.rig import Instance

AS2 = {"Accept": "application/activity+json"}


async def test_pin_unpin_and_the_featured_collection(instance: Instance) -> None:
    await instance.person("alice")
    await instance.person("bob")
    alice = {"Authorization": f"Bearer {await instance.token('alice')}"}
    bob = {"Authorization": f"Bearer {await instance.token('bob')}"}
    async with instance.http() as c:
        ids = []
        for text, visibility in (("AG le 12", "public"), ("Code du portail", "private")):
            r = await c.post(
                "/api/v1/statuses", json={"status": text, "visibility": visibility}, headers=alice
            )
            ids.append(r.json()["id"])
        direct = await c.post(
            "/api/v1/statuses", json={"status": "@bob psst", "visibility": "direct"}, headers=alice
        )
        r = await c.post(f"/api/v1/statuses/{direct.json()['id']}/pin", headers=alice)
        assert r.status_code == 422 and "direct" in r.json()["error"]
        r = await c.post(f"/api/v1/statuses/{ids[0]}/pin", headers=bob)  # not bob's
        assert r.status_code in (404, 422)
        for sid in ids:
            r = await c.post(f"/api/v1/statuses/{sid}/pin", headers=alice)
            assert r.status_code == 200 and r.json()["pinned"] is True, r.text
        me = (await c.get("/api/v1/accounts/verify_credentials", headers=alice)).json()["id"]
        r = await c.get(f"/api/v1/accounts/{me}/statuses", params={"pinned": "true"}, headers=alice)
        assert [s["id"] for s in r.json()] == ids[::-1]
        # The public sees the public pin only.
        r = await c.get(f"/api/v1/accounts/{me}/statuses", params={"pinned": "true"})
        assert [s["id"] for s in r.json()] == [ids[0]]

        actor = (await c.get("/actors/alice", headers=AS2)).json()
        assert actor["featured"] == instance.actor("alice") + "/featured"
        featured = (await c.get(actor["featured"], headers=AS2)).json()
        assert featured["type"] == "OrderedCollection" and featured["totalItems"] == 1
        assert "AG le 12" in featured["orderedItems"][0]["content"]

        r = await c.post(f"/api/v1/statuses/{ids[0]}/unpin", headers=alice)
        assert r.status_code == 200 and r.json()["pinned"] is False
        r = await c.get(f"/api/v1/accounts/{me}/statuses", params={"pinned": "true"}, headers=alice)
        assert [s["id"] for s in r.json()] == [ids[1]]
        assert (await c.get(actor["featured"], headers=AS2)).json()["totalItems"] == 0
