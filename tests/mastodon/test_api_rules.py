"""The client API's rules: Mastodon-style errors (401/403/404/422, never 500), keyset
paging with Link headers, visibility through visible_to, notification filters, markers,
idempotency, blocks and mutes."""

from __future__ import annotations

from typing import Any

import httpx

from tests.bridge.oauth_helpers import grant
from tests.bridge.oauth_helpers import register as register_app
from tests.rig import Instance, wait_for


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def residents(inst: Instance) -> tuple[str, str]:
    await inst.person("alice", manually_approves=False)
    await inst.person("bob", manually_approves=False)
    return await inst.token("alice"), await inst.token("bob")


async def test_errors_are_mastodon_shaped(instance: Instance) -> None:
    alice, _ = await residents(instance)
    app = await register_app(instance, scopes="read")
    reader = await _read_only_token(instance, app)
    async with instance.http() as c:
        r = await c.get("/api/v1/accounts/verify_credentials")
        assert r.status_code == 401 and r.headers["content-type"] == "application/json"
        assert r.json()["error"]
        r = await c.post("/api/v1/statuses", data={"status": "x"}, headers=bearer(reader))
        assert r.status_code == 403 and "write:statuses" in r.json()["error"]
        r = await c.get("/api/v1/statuses/424242", headers=bearer(alice))
        assert r.status_code == 404 and r.json()["error"] == "Record not found"
        r = await c.get("/api/v1/accounts/nope")
        assert r.status_code == 404 and r.json()["error"]
        r = await c.get("/api/v1/no/such/endpoint")
        assert r.status_code == 404 and r.json()["error"]
        r = await c.post("/api/v1/statuses", data={"status": ""}, headers=bearer(alice))
        assert r.status_code == 422 and r.json()["field"] == "status"
        assert "status" in r.json()["error"]
        r = await c.post(
            "/api/v1/statuses", data={"status": "x", "visibility": "x"}, headers=bearer(alice)
        )
        assert r.status_code == 422 and r.json()["field"] == "visibility"
        r = await c.post(
            "/api/v1/statuses",
            data={"status": "x", "poll[options][]": ["a"], "poll[expires_in]": "600"},
            headers=bearer(alice),
        )
        assert r.status_code == 422 and r.json()["field"] == "poll[options]"
        r = await c.get("/api/v1/timelines/home?max_id=abc", headers=bearer(alice))
        assert r.status_code == 422 and r.json()["field"] == "max_id"
        r = await c.post(
            "/api/v1/statuses",
            content=b"{not json",
            headers={**bearer(alice), "Content-Type": "application/json"},
        )
        assert r.status_code == 400 and r.json()["error"]
        # The C2S API keeps problem+json, and also gets the error member.
        r = await c.get("/actors/alice/inbox")
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["error"]


async def _read_only_token(inst: Instance, app: dict[str, Any]) -> str:
    await inst.person("carol")
    await grant(inst, app["client_id"], "carol")
    async with inst.http() as c:
        r = await c.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "scope": "read",
            },
        )
    token: str = r.json()["access_token"]
    return token


async def post(c: httpx.AsyncClient, token: str, **data: Any) -> dict[str, Any]:
    r = await c.post("/api/v1/statuses", data=data, headers=bearer(token))
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


async def test_keyset_paging_with_link_headers(instance: Instance) -> None:
    alice, _ = await residents(instance)
    async with instance.http() as c:
        ids = [int((await post(c, alice, status=f"n°{i}"))["id"]) for i in range(7)]
        r = await c.get("/api/v1/timelines/home?limit=3", headers=bearer(alice))
        first = [int(s["id"]) for s in r.json()]
        assert first == ids[::-1][:3]
        links = httpx.Response(200, headers={"link": r.headers["link"]}).links
        nxt = await c.get(links["next"]["url"], headers=bearer(alice))
        assert [int(s["id"]) for s in nxt.json()] == ids[::-1][3:6]
        r = await c.get(f"/api/v1/timelines/home?min_id={ids[1]}&limit=2", headers=bearer(alice))
        assert [int(s["id"]) for s in r.json()] == [ids[3], ids[2]]
        r = await c.get(f"/api/v1/timelines/home?since_id={ids[4]}", headers=bearer(alice))
        assert [int(s["id"]) for s in r.json()] == [ids[6], ids[5]]
        r = await c.get(f"/api/v1/accounts/{first and (await _id(c, 'alice'))}/statuses?limit=2")
        assert len(r.json()) == 2 and 'rel="next"' in r.headers["link"]


async def _id(c: httpx.AsyncClient, acct: str) -> str:
    r = await c.get("/api/v1/accounts/lookup", params={"acct": acct})
    return str(r.json()["id"])


async def test_private_and_direct_statuses_reach_only_their_audience(instance: Instance) -> None:
    alice, bob = await residents(instance)
    await instance.person("eve", manually_approves=False)
    eve = await instance.token("eve")
    async with instance.http() as c:
        bob_id = await _id(c, "bob")
        await c.post(f"/api/v1/accounts/{bob_id}/follow", headers=bearer(alice))

        async def following() -> bool:
            r = await c.get(f"/api/v1/accounts/relationships?id[]={bob_id}", headers=bearer(alice))
            return bool(r.json()[0]["following"])

        await wait_for(following)
        private = await post(c, bob, status="Pour mes abonnés", visibility="private")
        direct = await post(c, bob, status="@alice un secret", visibility="direct")
        assert private["visibility"] == "private" and direct["visibility"] == "direct"
        r = await c.get("/api/v1/timelines/home", headers=bearer(alice))
        assert {private["id"], direct["id"]} <= {s["id"] for s in r.json()}
        for sid in (private["id"], direct["id"]):
            assert (await c.get(f"/api/v1/statuses/{sid}", headers=bearer(eve))).status_code == 404
            assert (await c.get(f"/api/v1/statuses/{sid}")).status_code == 404
        r = await c.get("/api/v1/timelines/public")
        assert private["id"] not in {s["id"] for s in r.json()}
        r = await c.get(f"/api/v1/accounts/{bob_id}/statuses", headers=bearer(eve))
        assert r.json() == []
        r = await c.post(f"/api/v1/statuses/{private['id']}/reblog", headers=bearer(alice))
        assert r.status_code == 422


async def test_notification_filters_markers_idempotency(instance: Instance) -> None:
    alice, bob = await residents(instance)
    async with instance.http() as c:
        status = await post(c, alice, status="Qui a vu mon chat ?")
        await c.post(f"/api/v1/statuses/{status['id']}/favourite", headers=bearer(bob))
        await post(c, bob, status="Il est chez moi", in_reply_to_id=status["id"])
        alice_id = await _id(c, "alice")
        await c.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(bob))

        async def three() -> Any:
            r = await c.get("/api/v1/notifications", headers=bearer(alice))
            return len(r.json()) >= 3 and r.json()

        got = await wait_for(three)
        assert [n["type"] for n in got] == ["follow", "mention", "favourite"]
        r = await c.get(
            "/api/v1/notifications?types[]=mention&types[]=follow", headers=bearer(alice)
        )
        assert [n["type"] for n in r.json()] == ["follow", "mention"]
        r = await c.get("/api/v1/notifications?exclude_types[]=follow", headers=bearer(alice))
        assert [n["type"] for n in r.json()] == ["mention", "favourite"]
        r = await c.get("/api/v1/notifications?types[]=bogus", headers=bearer(alice))
        assert r.status_code == 422
        r = await c.post(
            "/api/v1/markers",
            json={"notifications": {"last_read_id": got[0]["id"]}},
            headers=bearer(alice),
        )
        assert r.json()["notifications"]["last_read_id"] == got[0]["id"]
        r = await c.get("/api/v1/markers?timeline[]=notifications", headers=bearer(alice))
        assert r.json()["notifications"]["version"] == 1
        key = {"Idempotency-Key": "abc", **bearer(alice)}
        one = await c.post("/api/v1/statuses", data={"status": "une fois"}, headers=key)
        two = await c.post("/api/v1/statuses", data={"status": "une fois"}, headers=key)
        assert one.json()["id"] == two.json()["id"]


async def test_blocks_and_mutes_hide_statuses(instance: Instance) -> None:
    alice, bob = await residents(instance)
    async with instance.http() as c:
        bob_id = await _id(c, "bob")
        await c.post(f"/api/v1/accounts/{bob_id}/follow", headers=bearer(alice))
        status = await post(c, bob, status="bruit")

        async def seen() -> bool:
            r = await c.get("/api/v1/timelines/home", headers=bearer(alice))
            return status["id"] in {s["id"] for s in r.json()}

        await wait_for(seen)
        r = await c.post(f"/api/v1/accounts/{bob_id}/mute", headers=bearer(alice))
        assert r.json()["muting"] is True
        assert not await seen()
        r = await c.get("/api/v1/mutes", headers=bearer(alice))
        assert [a["acct"] for a in r.json()] == ["bob"]
        await c.post(f"/api/v1/accounts/{bob_id}/unmute", headers=bearer(alice))
        r = await c.post(f"/api/v1/accounts/{bob_id}/block", headers=bearer(alice))
        assert r.json()["blocking"] is True and r.json()["following"] is False
        r = await c.get("/api/v1/blocks", headers=bearer(alice))
        assert [a["acct"] for a in r.json()] == ["bob"]
        r = await c.post(f"/api/v1/accounts/{bob_id}/unblock", headers=bearer(alice))
        assert r.json()["blocking"] is False
