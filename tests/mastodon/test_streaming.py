"""The streaming API: a second instance's community post reaches the resident's home
timeline and arrives on the `user` WebSocket stream within 2 s; `public:local` and
`hashtag` streams; a bad token is refused."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import orjson
import pytest
import websockets

from tests.rig import Instance, wait_for

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def ws_url(inst: Instance, query: str) -> str:
    return inst.base_url.replace("http://", "ws://") + "/api/v1/streaming?" + query


async def next_event(ws: Any, event: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {event} event within {timeout}s")
        msg = orjson.loads(await asyncio.wait_for(ws.recv(), left))
        if msg.get("event") == event:
            msg["payload"] = orjson.loads(msg["payload"])
            return dict(msg)


async def test_remote_community_post_arrives_on_the_user_stream_within_2s(
    instance_factory: Callable[..., Any],
) -> None:
    home: Instance = await instance_factory()
    other: Instance = await instance_factory()
    await home.person("alice")
    token = await home.token("alice")
    cour = await other.community("cour-s", name="Cour S")
    cour_token = await other.token("cour-s")
    headers = {"Authorization": f"Bearer {token}"}
    async with home.http() as c:
        found = await c.get(
            "/api/v2/search",
            params={"q": f"cour-s@{other.domain}", "resolve": "true"},
            headers=headers,
        )
        community_id = found.json()["accounts"][0]["id"]
        await c.post(f"/api/v1/accounts/{community_id}/follow", headers=headers)

        async def joined() -> bool:
            r = await c.get(f"/api/v1/accounts/relationships?id[]={community_id}", headers=headers)
            return bool(r.json()[0]["following"])

        await wait_for(joined)
        async with websockets.connect(ws_url(home, f"access_token={token}&stream=user")) as ws:
            await asyncio.sleep(0.3)  # the subscription is in place
            started = time.monotonic()
            r = await other.c2s(
                "cour-s",
                cour_token,
                {
                    "type": "Note",
                    "content": "<p>Coupure d'eau demain matin.</p>",
                    "audience": cour,
                    "to": [PUBLIC],
                    "cc": [cour + "/followers"],
                },
            )
            assert r.status_code == 201, r.text
            event = await next_event(ws, "update", timeout=2.0)
            assert time.monotonic() - started < 2.0
            assert event["stream"] == ["user"]
            assert "Coupure" in event["payload"]["content"]
            assert event["payload"]["account"]["group"] is True
        timeline = await c.get("/api/v1/timelines/home", headers=headers)
        assert event["payload"]["id"] in [s["id"] for s in timeline.json()]


async def test_public_and_hashtag_streams_and_notifications(instance: Instance) -> None:
    await instance.person("alice")
    await instance.person("bob", manually_approves=False)
    alice = await instance.token("alice")
    bob = await instance.token("bob")
    async with (
        websockets.connect(ws_url(instance, "stream=public:local")) as public,
        websockets.connect(ws_url(instance, f"access_token={alice}")) as user,
        instance.http() as c,
    ):
        await user.send(
            orjson.dumps({"type": "subscribe", "stream": "hashtag", "tag": "eau"}).decode()
        )
        await user.send(orjson.dumps({"type": "subscribe", "stream": "user"}).decode())
        await asyncio.sleep(0.3)
        r = await c.post(
            "/api/v1/statuses",
            data={"status": "Fuite au 3e #eau @alice"},
            headers={"Authorization": f"Bearer {bob}"},
        )
        assert r.status_code == 200
        event = await next_event(public, "update", timeout=3)
        assert event["stream"] == ["public:local"] and event["payload"]["id"] == r.json()["id"]
        seen = {}
        for _ in range(2):
            msg = await next_event(user, "update", timeout=3)
            seen[tuple(msg["stream"])] = msg
        assert ("hashtag", "eau") in seen and ("user",) in seen
        note = await next_event(user, "notification", timeout=3)
        assert note["payload"]["type"] == "mention"


async def test_a_bad_token_is_refused(instance: Instance) -> None:
    with pytest.raises(websockets.exceptions.WebSocketException):
        async with websockets.connect(ws_url(instance, "access_token=nope&stream=user")) as ws:
            await asyncio.wait_for(ws.recv(), 2)


async def test_deletes_and_edits_reach_the_user_and_public_local_streams(
    instance: Instance,
) -> None:
    await instance.person("alice")
    await instance.person("bob", manually_approves=False)
    alice = await instance.token("alice")
    bob = await instance.token("bob")
    auth = {"Authorization": f"Bearer {bob}"}
    async with instance.http() as c:
        bob_id = (await c.get("/api/v1/accounts/lookup", params={"acct": "bob"})).json()["id"]
        await c.post(
            f"/api/v1/accounts/{bob_id}/follow", headers={"Authorization": f"Bearer {alice}"}
        )
        r = await c.post("/api/v1/statuses", data={"status": "Vide-grenier samedi"}, headers=auth)
        sid = r.json()["id"]
        async with (
            websockets.connect(ws_url(instance, "stream=public:local")) as public,
            websockets.connect(ws_url(instance, f"access_token={alice}&stream=user")) as user,
        ):
            await asyncio.sleep(0.3)
            r = await c.put(
                f"/api/v1/statuses/{sid}", data={"status": "Vide-grenier dimanche"}, headers=auth
            )
            assert r.status_code == 200, r.text
            for ws, stream in ((public, ["public:local"]), (user, ["user"])):
                event = await next_event(ws, "status.update", timeout=3)
                assert event["stream"] == stream and event["payload"]["id"] == sid
                assert "dimanche" in event["payload"]["content"]
                assert event["payload"]["edited_at"] is not None
            r = await c.delete(f"/api/v1/statuses/{sid}", headers=auth)
            assert r.status_code == 200, r.text
            for ws in (public, user):
                msg = orjson.loads(await asyncio.wait_for(_raw_event(ws, "delete"), 3))
                assert msg["payload"] == sid  # the bare id, as Mastodon sends it


async def _raw_event(ws: Any, event: str) -> str:
    while True:
        raw = await ws.recv()
        if orjson.loads(raw).get("event") == event:
            return str(raw)
