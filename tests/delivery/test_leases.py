"""Deliveries are claimed with a lease (issue 17, item 3).

A slow peer (3 s per answer) has six posts in flight when the sender restarts:
- a graceful restart (SIGTERM) lets the in-flight sends finish and records them, so the
  restarted server sends nothing again: each post arrives once;
- after a SIGKILL nobody knows whether the peer got the request, so the rows stay claimed
  until their lease ends: the restarted server sends nothing while the first attempt may
  still be in flight (the peer's answer takes 3 s; the lease is longer than any attempt), then delivers (at-least-once).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.receiver import Receiver
from fedivoisin.clock import Clock
from fedivoisin.store.db import Store
from tests.rig import ProcessInstance, wait_for

from .conftest import follower, note, seed_followers

SENDER = {"delivery_per_domain": 8, "delivery_drain": 8.0}
POSTS = 6
LEASE = 12.0


async def _six_in_flight(
    tmp_path: Path, receivers: Callable[..., Awaitable[Receiver]], delay: float, lease: float
) -> tuple[ProcessInstance, Receiver, list[str]]:
    r = await receivers(delay=delay)
    a = ProcessInstance(tmp_path / "a", **SENDER, delivery_lease=lease)
    await a.community("les-lilas")
    token = await a.token("les-lilas")

    async def seed(store: Store, _clock: Clock) -> None:
        await seed_followers(store, a.actor("les-lilas"), [follower(r, "solo-x")])

    await a.admin(seed)
    await a.start()
    from fedivoisin.protocol import keys as keylib

    doc = (await a.get_json(a.actor("les-lilas"))).json()
    r._keys[doc["publicKey"]["id"]] = keylib.load_public_key_pem(doc["publicKey"]["publicKeyPem"])
    ids = []
    async with a.http() as c:
        for i in range(POSTS):
            resp = await c.post(
                "/actors/les-lilas/outbox",
                json=note(a, "les-lilas", f"post {i}"),
                headers={"Authorization": f"Bearer {token}"},
            )
            assert resp.status_code == 201, resp.text
            ids.append(resp.json()["id"])

    async def all_in_flight() -> bool:
        return len(r.posts) >= POSTS

    await wait_for(all_in_flight, timeout=10, interval=0.02)
    return a, r, ids


async def _delivered(a: ProcessInstance, ids: list[str]) -> bool:
    async def rows(store: Store, _clock: Clock) -> list[Any]:
        return await store.fetchall("SELECT state FROM deliveries")

    got = await a.admin(rows)
    return len(got) == len(ids) and all(x["state"] == "delivered" for x in got)


async def test_a_restart_with_a_slow_peer_delivers_each_post_once(
    tmp_path: Path, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    a, r, ids = await _six_in_flight(tmp_path, receivers, 3.0, 5.0)
    try:
        await a.stop()  # SIGTERM while six sends wait for the slow peer
        a = ProcessInstance(tmp_path / "a", port=a.port, **SENDER, delivery_lease=5.0)
        await a.start()
        await wait_for(lambda: _delivered(a, ids), timeout=40)
        await asyncio.sleep(0.5)  # a wrong re-send would be under way by now
    finally:
        await a.stop()
    assert Counter(p.activity_id for p in r.posts) == dict.fromkeys(ids, 1)
    assert r.duplicates == 0


async def test_after_a_crash_nothing_is_resent_while_the_first_attempt_may_be_in_flight(
    tmp_path: Path, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    # A restart takes seconds on a loaded machine: the lease (12 s) is longer than that, so
    # a re-send before it ends can only mean the claim was ignored.
    a, r, ids = await _six_in_flight(tmp_path, receivers, 3.0, LEASE)
    first = {p.activity_id: p.at for p in r.posts[:POSTS]}
    assert set(first) == set(ids)
    try:
        a.kill()
        a = ProcessInstance(tmp_path / "a", port=a.port, **SENDER, delivery_lease=LEASE)
        await a.start()
        await wait_for(lambda: _delivered(a, ids), timeout=50)
    finally:
        await a.stop()
    again = r.posts[POSTS:]
    assert again and {p.activity_id for p in again} <= set(ids)  # at-least-once
    for p in again:  # ... but never while the first attempt could still be answered
        assert p.at - first[p.activity_id] >= LEASE - 1.0, p.at - first[p.activity_id]
