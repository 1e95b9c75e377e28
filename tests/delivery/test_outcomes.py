"""What the worker does with each answer: expiry, 410 Gone, 429 with Retry-After."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.receiver import Receiver
from fedivoisin.clock import FrozenClock, iso
from fedivoisin.outbox.publish import new_id, publish
from fedivoisin.store import follows as follow_store
from tests.rig import Instance, wait_for

from .conftest import AS2_PUBLIC, delivery_rows, follower, note, seed_followers

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"


def water_cut_alert(a: Instance, start: float, end: float) -> dict[str, Any]:
    """The schema's valid example alert, addressed to les-lilas' followers, from start to end."""
    doc = json.loads((EXAMPLES / "alert" / "valid-coupure-eau.json").read_text("utf-8"))
    for k in ("$comment", "@context", "id", "attributedTo", "audience", "published"):
        doc.pop(k, None)
    doc.update(
        startTime=iso(start),
        endTime=iso(end),
        to=[AS2_PUBLIC],
        cc=[a.urls.followers("les-lilas")],
    )
    return doc


async def test_an_alert_that_expires_while_queued_is_never_delivered(
    tmp_path: Path, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    """The alert is valid when posted (expiry in 10 min), its first delivery gets a 503,
    and by the time the retry is due (the FrozenClock moved 20 min) it has expired: the
    worker drops it without sending it again. A later note still goes through."""
    clock = FrozenClock(float(int(time.time())))  # whole seconds, as iso() writes them
    a = Instance(tmp_path / "a", clock=clock)
    r = await receivers()
    r.answers["/users/solo-x/inbox"] = [(503, {})]
    await a.start()
    try:
        await a.community("les-lilas")
        token = await a.token("les-lilas")
        await seed_followers(a.rt.store, a.actor("les-lilas"), [follower(r, "solo-x")])
        now = clock.now()
        resp = await a.c2s("les-lilas", token, water_cut_alert(a, now - 3600, now + 600))
        assert resp.status_code == 201, resp.text
        alert = resp.json()["id"]
        inbox = r.inbox("solo-x")

        async def attempted_once() -> bool:
            row = (await delivery_rows(a.rt.store, alert))[inbox]
            return bool(row["attempts"] == 1 and row["last_status"] == 503)

        await wait_for(attempted_once, timeout=5)
        assert (await delivery_rows(a.rt.store, alert))[inbox]["expires_at"] == now + 600
        clock.advance(1200)

        async def dropped() -> dict[str, Any] | None:
            row = (await delivery_rows(a.rt.store, alert))[inbox]
            return row if row["state"] == "failed" else None

        row = await wait_for(dropped, timeout=5)
        assert "expired" in row["last_error"]
        resp = await a.c2s("les-lilas", token, note(a, "les-lilas", "Eau rétablie"))
        later = resp.json()["id"]

        async def later_arrived() -> bool:
            return bool(r.accepted(later))

        await wait_for(later_arrived, timeout=5)
        assert [p.status for p in r.received(alert)] == [503]  # the one refused attempt
        assert not r.accepted(alert)
    finally:
        await a.stop()


async def test_an_activity_already_expired_at_delivery_time_is_never_sent(
    tmp_path: Path, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    """publish(expires_at=…) in the past: the row is queued, then dropped unsent."""
    a = Instance(tmp_path / "a")
    r = await receivers()
    await a.start()
    try:
        await a.community("les-lilas")
        await seed_followers(a.rt.store, a.actor("les-lilas"), [follower(r, "solo-x")])
        lilas = await a.local("les-lilas")
        obj = {**note(a, "les-lilas", "Alerte"), "id": new_id(a.rt, "object")}
        expired = await publish(
            a.rt, lilas, {"type": "Create", "object": obj}, expires_at=time.time() - 1
        )
        fresh = await publish(
            a.rt,
            lilas,
            {"type": "Create", "object": {**obj, "id": new_id(a.rt, "object")}},
            expires_at=time.time() + 3600,
        )

        async def both_settled() -> bool:
            rows = [
                (await delivery_rows(a.rt.store, d["id"]))[r.inbox("solo-x")]
                for d in (expired, fresh)
            ]
            return [row["state"] for row in rows] == ["failed", "delivered"]

        await wait_for(both_settled, timeout=5)
        assert not r.received(expired["id"])
        assert r.accepted(fresh["id"])
        row = (await delivery_rows(a.rt.store, expired["id"]))[r.inbox("solo-x")]
        assert row["last_error"] == "expired before delivery"
        assert row["last_status"] is None
    finally:
        await a.stop()


async def test_410_from_a_personal_inbox_removes_that_follower(
    tmp_path: Path, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    """Only the follower whose own inbox answered 410 goes. A shared inbox answering 410
    says nothing about each actor behind it, so its followers are kept (and its delivery
    is not retried)."""
    a = Instance(tmp_path / "a")
    r, shared = await receivers(), await receivers()
    r.answers["/users/solo-gone/inbox"] = [(410, {})]
    shared.answers["/inbox"] = [(410, {})]
    await a.start()
    try:
        await a.community("les-lilas")
        token = await a.token("les-lilas")
        lilas = a.actor("les-lilas")
        gone, kept, behind_shared = (
            follower(r, "solo-gone"),
            follower(r, "solo-kept"),
            follower(shared, "voisin"),
        )
        await seed_followers(a.rt.store, lilas, [gone, kept, behind_shared])
        resp = await a.c2s("les-lilas", token, note(a, "les-lilas", "Fête des voisins"))
        create = resp.json()["id"]

        async def follower_removed() -> bool:
            return await follow_store.get(a.rt.store, gone[0], lilas) is None

        await wait_for(follower_removed, timeout=5)
        rows = await delivery_rows(a.rt.store, create)
        assert rows[gone[1]]["state"] == "failed"
        assert rows[gone[1]]["last_status"] == 410
        assert rows[shared.shared_inbox()]["state"] == "failed"
        assert rows[shared.shared_inbox()]["last_status"] == 410
        assert rows[kept[1]]["state"] == "delivered"

        # The next post no longer goes to the removed follower; once it is delivered, the
        # cycle that handled the 410s is long over and the others still follow.
        resp = await a.c2s("les-lilas", token, note(a, "les-lilas", "Merci à tous"))
        thanks = resp.json()["id"]

        async def thanks_delivered() -> dict[str, dict[str, Any]] | None:
            rows = await delivery_rows(a.rt.store, thanks)
            return rows if all(r["state"] == "delivered" for r in rows.values()) else None

        rows = await wait_for(thanks_delivered, timeout=5)
        assert set(rows) == {kept[1], shared.shared_inbox()}
        assert await follow_store.get(a.rt.store, kept[0], lilas) is not None
        assert await follow_store.get(a.rt.store, behind_shared[0], lilas) is not None
    finally:
        await a.stop()


async def test_429_with_retry_after_delays_the_retry_by_at_least_that(
    tmp_path: Path, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    """The backoff alone would retry after ~0.2 s (test settings); Retry-After says 2 s."""
    a = Instance(tmp_path / "a", retry_base_delay=0.2)
    r = await receivers()
    r.answers["/users/solo-x/inbox"] = [(429, {"Retry-After": "2"})]
    await a.start()
    try:
        await a.community("les-lilas")
        token = await a.token("les-lilas")
        await seed_followers(a.rt.store, a.actor("les-lilas"), [follower(r, "solo-x")])
        resp = await a.c2s("les-lilas", token, note(a, "les-lilas", "Collecte"))
        create = resp.json()["id"]

        async def rescheduled() -> dict[str, Any] | None:
            row = (await delivery_rows(a.rt.store, create))[r.inbox("solo-x")]
            return row if row["attempts"] == 1 else None

        row = await wait_for(rescheduled, timeout=5)
        assert row["last_status"] == 429
        assert row["state"] == "pending"
        first_try = r.received(create)[0]

        async def accepted() -> bool:
            return bool(r.accepted(create))

        await wait_for(accepted, timeout=10)
        first, second = r.received(create)
        assert first is first_try
        assert (first.status, second.status) == (429, 202)
        # The receiver times with time.monotonic(), the sender schedules with the wall clock
        # (next_try is stored): a slewing wall clock can make 2 s look 1-3 ms shorter here.
        assert second.at - first.at >= 2.0 - 0.02
    finally:
        await a.stop()
