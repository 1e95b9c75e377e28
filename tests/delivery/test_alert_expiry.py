"""An alert's expiry travels with everything derived from it (issue 17, item 1).

The community's Announce of a member's alert and the Announce of a community relaying it
carry the alert's `endTime` on their delivery rows; once it has passed they are dropped
(state failed, `last_error` "expired before delivery"), never retried. The direct path
(the author's own Create) is covered by test_outcomes.py.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.receiver import Receiver
from fedivoisin.clock import FrozenClock, iso
from fedivoisin.outbox import community as cm
from fedivoisin.outbox.expiry import derived_expiry
from tests.rig import Instance, wait_for

from .conftest import AS2_PUBLIC, follower, seed_followers


async def test_announced_and_relayed_alerts_carry_and_honour_the_alert_expiry(
    tmp_path: Path, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    clock = FrozenClock(float(int(time.time())))
    a = Instance(tmp_path / "a", clock=clock)
    r = await receivers()
    r.answers["/users/solo-v/inbox"] = [(503, {})] * 50
    r.answers["/users/solo-q/inbox"] = [(503, {})] * 50
    await a.start()
    try:
        await a.community("ville", kind="town")
        await a.community("quartier-nord", kind="quartier")
        await a.person("syndic", type_="Organization")
        ville = await a.local("ville")
        await cm.add_member(a.rt, ville, "syndic", may_alert=True, title="syndic")
        await cm.add_relay(a.rt, await a.local("quartier-nord"), a.actor("ville"), ["alert"])
        await seed_followers(a.rt.store, a.actor("ville"), [follower(r, "solo-v")])
        await seed_followers(a.rt.store, a.actor("quartier-nord"), [follower(r, "solo-q")])

        async def relay_accepted() -> bool:
            row = await a.rt.store.fetchone(
                "SELECT state FROM follows WHERE follower = ?", (a.actor("quartier-nord"),)
            )
            return row is not None and row["state"] == "accepted"

        await wait_for(relay_accepted, timeout=10)
        now = clock.now()
        end = now + 600
        resp = await a.c2s(
            "syndic",
            await a.token("syndic"),
            {
                "type": "Note",
                "kind": "Alert",
                "name": "Coupure d'eau",
                "content": "<p>Coupure d'eau mardi 8h-12h.</p>",
                "alertStatus": "Actual",
                "msgType": "Alert",
                "alertCategory": "Infra",
                "urgency": "Expected",
                "severity": "Minor",
                "certainty": "Observed",
                "startTime": iso(now - 60),
                "endTime": iso(end),
                "to": [AS2_PUBLIC, a.actor("ville")],
            },
        )
        assert resp.status_code == 201, resp.text
        inboxes = {r.inbox("solo-v"), r.inbox("solo-q")}

        async def both_announces_tried() -> list[dict[str, object]] | None:
            rows = await a.rt.store.fetchall(
                "SELECT d.*, a.type AS type FROM deliveries d"
                " JOIN activities a ON a.uri = d.activity_uri WHERE d.inbox IN (?, ?)",
                tuple(inboxes),
            )
            got = [dict(x) for x in rows if x["inbox"] in inboxes and x["attempts"] >= 1]
            return got if {x["inbox"] for x in got} == inboxes else None

        rows = await wait_for(both_announces_tried, timeout=10)
        assert {x["type"] for x in rows} == {"Announce"}
        assert all(x["expires_at"] == end for x in rows), rows  # announced and relayed
        # The issue-15 path (a community re-announcing the author's Update) inherits it too,
        # whether the Update is embedded or referenced; retractions carry no expiry.
        alert = resp.json()["object"]["id"]
        update = {"type": "Update", "object": {**resp.json()["object"], "content": "<p>x</p>"}}
        assert await derived_expiry(a.rt, {"type": "Announce", "object": update}) == end
        assert await derived_expiry(a.rt, {"type": "Announce", "object": resp.json()["id"]}) == end
        assert await derived_expiry(a.rt, {"type": "Announce", "object": alert}) == end
        assert await derived_expiry(a.rt, {"type": "Delete", "object": alert}) is None
        clock.advance(1200)
        a.rt.caches["delivery_wakeup"].set()

        async def all_dropped() -> list[dict[str, object]] | None:
            every = await a.rt.store.fetchall("SELECT * FROM deliveries")
            got = [dict(x) for x in every if x["id"] in {y["id"] for y in rows}]
            return got if all(x["state"] == "failed" for x in got) else None

        ids = {x["activity_uri"] for x in rows}
        dropped = await wait_for(all_dropped, timeout=10)
        assert all(x["last_error"] == "expired before delivery" for x in dropped), dropped
        assert not [p for p in r.posts if p.status < 300 and p.activity_id in ids]
    finally:
        await a.stop()
