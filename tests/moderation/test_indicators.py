"""Indicators end to end: the authenticated endpoint (scope read:indicators, JSON and CSV),
figures frozen once published, and a town adding up what communities of two instances sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fedivoisin.outbox import indicators
from tests.bridge.oauth_helpers import client_token, register
from tests.rig import Instance, wait_for

OCT = datetime(2026, 10, 10, tzinfo=UTC).timestamp()


async def _event(inst: Instance, community: str, n: int, participants: int) -> None:
    db = inst.rt.store
    uri = f"{inst.base_url}/objects/ev-{community}-{n}"
    await db.execute(
        "INSERT INTO objects (uri, type, kind, attributed_to, local, public, addressees,"
        " community_uri, document, published, start_time) VALUES (?, 'Event', 'event', ?, 1, 1,"
        " '[]', ?, '{}', ?, ?)",
        (uri, inst.actor(community), inst.actor(community), OCT, OCT + 3600),
    )
    for i in range(participants):
        await db.execute(
            "INSERT INTO participants (event_uri, actor_uri, state, created_at)"
            " VALUES (?, ?, 'accepted', ?)",
            (uri, f"https://p.example/u/{community}-{n}-{i}", OCT),
        )


async def test_endpoint_suppresses_and_freezes(instance_factory: Any) -> None:
    inst: Instance = await instance_factory()
    for slug in ("lilas", "tilleuls", "acacias"):
        await inst.community(slug)
    await _event(inst, "lilas", 1, 3)
    for n in range(6):
        await _event(inst, "tilleuls", n, 2)
    for n in range(7):
        await _event(inst, "acacias", n, 1)

    app = await register(inst, scopes="write read:indicators")
    token = await client_token(inst, app, scope="read:indicators")
    plain = await client_token(inst, app, scope="write")  # (`read` implies read:indicators)
    async with inst.http() as c:
        r = await c.get("/api/v1/indicators?month=2026-10")
        assert r.status_code == 401
        r = await c.get(
            "/api/v1/indicators?month=2026-10", headers={"Authorization": f"Bearer {plain}"}
        )
        assert r.status_code == 403
        auth = {"Authorization": f"Bearer {token}"}
        r = await c.get("/api/v1/indicators?month=2026-10&community=lilas", headers=auth)
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["figures"]["participants"] is None  # 3 participants
        assert doc["figures"]["events"] is None  # 1 event
        assert doc["territory"]["events"] == 14
        assert doc["territory"]["participants"] == 22
        r = await c.get("/api/v1/indicators?month=2026-10&format=csv", headers=auth)
        assert r.headers["content-type"].startswith("text/csv")
        assert f"2026-10,{inst.actor('lilas')},participants,\n" in r.text
        r = await c.get("/api/v1/indicators?month=2099-01", headers=auth)
        assert r.status_code == 400

        # a late change does not alter a published month (no differencing over time)
        await _event(inst, "lilas", 2, 9)
        r = await c.get("/api/v1/indicators?month=2026-10&community=lilas", headers=auth)
        assert r.json() == doc


async def test_town_adds_up_figures_from_two_instances(instance_factory: Any) -> None:
    a: Instance = await instance_factory()
    b: Instance = await instance_factory()
    await a.community("lilas")
    await a.community("tilleuls")
    await b.community("ville", kind="town")
    for n in range(6):
        await _event(a, "lilas", n, 1)
    for n in range(8):
        await _event(a, "tilleuls", n, 1)
    town = b.actor("ville")
    for slug in ("lilas", "tilleuls"):
        await indicators.send_to_town(a.rt, await a.local(slug), "2026-10", town)

    async def totals() -> Any:
        got = await indicators.town_totals(b.rt, await b.local("ville"), "2026-10")
        return got if len(got["senders"]) == 2 else None

    got = await wait_for(totals)
    assert got["totals"]["events"] == 14
    assert got["totals"]["participants"] == 14
