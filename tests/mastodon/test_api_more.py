"""More of the client API: profile edits, follow requests, edits, undoing favourites and
reblogs, who favourited, tag timelines, and an alert of a community reaching every member
as a `status` notification with its severity as content warning."""

from __future__ import annotations

from typing import Any

import httpx

from tests.rig import Instance, wait_for

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _id(c: httpx.AsyncClient, acct: str) -> str:
    return str((await c.get("/api/v1/accounts/lookup", params={"acct": acct})).json()["id"])


async def test_profile_follow_requests_edits_and_undos(instance: Instance) -> None:
    await instance.person("alice")  # approves followers by hand
    await instance.person("bob", manually_approves=False)
    await instance.person("carl", manually_approves=False)
    alice, bob, carl = [await instance.token(s) for s in ("alice", "bob", "carl")]
    async with instance.http() as c:
        r = await c.patch(
            "/api/v1/accounts/update_credentials",
            data={"display_name": "Alice Martin", "note": "Bât. A"},
            headers=bearer(alice),
        )
        assert r.json()["display_name"] == "Alice Martin" and r.json()["locked"] is True
        bad = await c.patch(
            "/api/v1/accounts/update_credentials", data={"display_name": " "}, headers=bearer(alice)
        )
        assert bad.status_code == 422 and bad.json()["field"] == "display_name"
        alice_id = await _id(c, "alice")
        for token in (bob, carl):
            r = await c.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(token))
            assert r.json()["requested"] is True

        async def two_requests() -> Any:
            r = await c.get("/api/v1/follow_requests", headers=bearer(alice))
            return len(r.json()) == 2 and r.json()

        requests = await wait_for(two_requests)
        by_acct = {a["acct"]: a["id"] for a in requests}
        r = await c.post(
            f"/api/v1/follow_requests/{by_acct['bob']}/authorize", headers=bearer(alice)
        )
        assert r.json()["followed_by"] is True
        r = await c.post(f"/api/v1/follow_requests/{by_acct['carl']}/reject", headers=bearer(alice))
        assert r.json()["followed_by"] is False and r.json()["requested_by"] is False
        followers = await c.get(f"/api/v1/accounts/{alice_id}/followers")
        assert [a["acct"] for a in followers.json()] == ["bob"]

        status = (
            await c.post("/api/v1/statuses", data={"status": "Avant"}, headers=bearer(alice))
        ).json()
        r = await c.put(
            f"/api/v1/statuses/{status['id']}",
            data={"status": "Après #lilas", "spoiler_text": "info"},
            headers=bearer(alice),
        )
        assert r.status_code == 200, r.text
        edited = r.json()
        assert "Après" in edited["content"] and edited["spoiler_text"] == "info"
        assert edited["edited_at"] is not None
        r = await c.put(
            f"/api/v1/statuses/{status['id']}", data={"status": "x"}, headers=bearer(bob)
        )
        assert r.status_code == 404
        r = await c.get("/api/v1/timelines/tag/lilas")
        assert [s["id"] for s in r.json()] == [status["id"]]

        sid = status["id"]
        await c.post(f"/api/v1/statuses/{sid}/favourite", headers=bearer(bob))
        await c.post(f"/api/v1/statuses/{sid}/reblog", headers=bearer(bob))
        r = await c.get(f"/api/v1/statuses/{sid}/favourited_by")
        assert [a["acct"] for a in r.json()] == ["bob"]
        r = await c.get(f"/api/v1/statuses/{sid}/reblogged_by")
        assert [a["acct"] for a in r.json()] == ["bob"]
        r = await c.post(f"/api/v1/statuses/{sid}/unfavourite", headers=bearer(bob))
        assert r.json()["favourited"] is False and r.json()["favourites_count"] == 0
        r = await c.post(f"/api/v1/statuses/{sid}/unreblog", headers=bearer(bob))
        assert r.json()["reblogged"] is False and r.json()["reblogs_count"] == 0
        r = await c.get(f"/api/v1/statuses/{sid}/reblogged_by")
        assert r.json() == []


async def test_a_community_alert_notifies_every_member(instance: Instance) -> None:
    cour = await instance.community("les-lilas", name="Les Lilas")
    cour_token = await instance.token("les-lilas")
    await instance.person("alice")
    await instance.person("bob")
    alice, bob = await instance.token("alice"), await instance.token("bob")
    async with instance.http() as c:
        found = await c.get("/api/v2/search", params={"q": "lilas"}, headers=bearer(alice))
        community = next(a for a in found.json()["accounts"] if a["acct"] == "les-lilas")
        assert community["group"] is True
        for token in (alice, bob):
            r = await c.post(f"/api/v1/accounts/{community['id']}/follow", headers=bearer(token))
            assert r.status_code == 200

            async def member(token: str = token) -> bool:
                r = await c.get(
                    f"/api/v1/accounts/relationships?id[]={community['id']}",
                    headers=bearer(token),
                )
                return bool(r.json()[0]["following"])

            await wait_for(member)
        posted = await instance.c2s(
            "les-lilas",
            cour_token,
            {
                "type": "Note",
                "kind": "Alert",
                "name": "Coupure d'eau",
                "content": "<p>De 8 h à 12 h.</p>",
                "alertStatus": "Actual",
                "msgType": "Alert",
                "alertCategory": "Infra",
                "urgency": "Expected",
                "severity": "Moderate",
                "certainty": "Observed",
                "audience": cour,
                "to": [PUBLIC],
                "cc": [cour + "/followers"],
            },
        )
        assert posted.status_code == 201, posted.text
        for token in (alice, bob):

            async def notified(token: str = token) -> Any:
                r = await c.get("/api/v1/notifications?types[]=status", headers=bearer(token))
                return r.json()

            notes = await wait_for(notified)
            status = notes[0]["status"]
            assert notes[0]["account"]["acct"] == "les-lilas"
            assert "Moderate" in status["spoiler_text"] and "Coupure" in status["content"]
