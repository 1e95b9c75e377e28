"""Notifications beyond the acceptance run: `poll` when a poll ends (its author and its
voters, not the others), and `update` when a status someone favourited, reblogged or
replied to is edited (followers of its author or not)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from fedivoisin.outbox.polls import close_ended
from tests.rig import Instance, wait_for


class MovableClock:
    """Real time plus an offset the test moves forward (a poll's end passes)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def counted(c: httpx.AsyncClient, poll_id: str) -> None:
    """The vote reaches the author's poll through the inbox worker: wait until it counts
    (a vote arriving after the end would be refused)."""

    async def one_vote() -> bool:
        return bool((await c.get(f"/api/v1/polls/{poll_id}")).json()["votes_count"] == 1)

    await wait_for(one_vote, timeout=5)


async def _types(c: httpx.AsyncClient, token: str, status_id: str) -> list[str]:
    r = await c.get("/api/v1/notifications", headers=bearer(token))
    assert r.status_code == 200, r.text
    return [n["type"] for n in r.json() if n["status"] and n["status"]["id"] == status_id]


async def test_poll_end_notifies_author_and_voters(instance_factory: Any) -> None:
    clock = MovableClock()
    inst: Instance = await instance_factory(clock=clock)
    for slug in ("alice", "bob", "carl"):
        await inst.person(slug, manually_approves=False)
    alice, bob, carl = [await inst.token(s) for s in ("alice", "bob", "carl")]
    async with inst.http() as c:
        r = await c.post(
            "/api/v1/statuses",
            json={
                "status": "Quel soir ?",
                "poll": {"options": ["jeudi", "vendredi"], "expires_in": 600},
            },
            headers=bearer(alice),
        )
        assert r.status_code == 200, r.text
        status = r.json()
        r = await c.post(
            f"/api/v1/polls/{status['poll']['id']}/votes",
            json={"choices": [1]},
            headers=bearer(bob),
        )
        assert r.status_code == 200, r.text
        await counted(c, status["poll"]["id"])
        assert await _types(c, bob, status["id"]) == []  # not ended yet

        clock.offset += 601
        # The retention worker's pass closes it (no one has read anything yet) …
        assert await close_ended(inst.rt) == 1
        assert await close_ended(inst.rt) == 0
        # … and the author and the voter are told; carl, who did not vote, is not.
        assert await _types(c, alice, status["id"]) == ["poll"]
        assert await _types(c, bob, status["id"]) == ["poll"]
        assert await _types(c, carl, status["id"]) == []
        r = await c.get("/api/v1/notifications", params={"types[]": "poll"}, headers=bearer(bob))
        ended = r.json()[0]
        assert ended["account"]["acct"] == "alice" and ended["status"]["poll"]["expired"] is True


async def test_poll_end_is_computed_when_notifications_are_read(instance_factory: Any) -> None:
    clock = MovableClock()
    inst: Instance = await instance_factory(clock=clock)
    await inst.person("alice")
    await inst.person("bob")
    alice, bob = await inst.token("alice"), await inst.token("bob")
    async with inst.http() as c:
        r = await c.post(
            "/api/v1/statuses",
            json={"status": "Oui ?", "poll": {"options": ["oui", "non"], "expires_in": 300}},
            headers=bearer(alice),
        )
        status = r.json()
        await c.post(
            f"/api/v1/polls/{status['poll']['id']}/votes",
            json={"choices": [0]},
            headers=bearer(bob),
        )
        await counted(c, status["poll"]["id"])
        clock.offset += 301
        assert await _types(c, bob, status["id"]) == ["poll"]


async def test_editing_a_status_notifies_who_favourited_reblogged_or_replied(
    instance: Instance,
) -> None:
    for slug in ("alice", "fav", "boost", "reply", "other"):
        await instance.person(slug, manually_approves=False)
    tokens = {s: await instance.token(s) for s in ("alice", "fav", "boost", "reply", "other")}
    async with instance.http() as c:
        r = await c.post(
            "/api/v1/statuses",
            json={"status": "Réunion jeudi", "visibility": "public"},
            headers=bearer(tokens["alice"]),
        )
        sid = r.json()["id"]
        await c.post(f"/api/v1/statuses/{sid}/favourite", headers=bearer(tokens["fav"]))
        await c.post(f"/api/v1/statuses/{sid}/reblog", headers=bearer(tokens["boost"]))
        r = await c.post(
            "/api/v1/statuses",
            json={"status": "J'y serai", "in_reply_to_id": sid},
            headers=bearer(tokens["reply"]),
        )
        assert r.status_code == 200, r.text
        r = await c.put(
            f"/api/v1/statuses/{sid}",
            json={"status": "Réunion vendredi"},
            headers=bearer(tokens["alice"]),
        )
        assert r.status_code == 200, r.text

        for who in ("fav", "boost", "reply"):

            async def told(who: str = who) -> bool:
                return "update" in await _types(c, tokens[who], sid)

            await wait_for(told, timeout=5)
        r = await c.get(
            "/api/v1/notifications", params={"types[]": "update"}, headers=bearer(tokens["fav"])
        )
        assert "vendredi" in r.json()[0]["status"]["content"]
        assert await _types(c, tokens["other"], sid) == []
