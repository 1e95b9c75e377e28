"""Issue 15 item 5: communities re-announce Updates and Deletes of objects they announced,
so RSVP counts and cancellations reach their followers — loop-free and once."""

from __future__ import annotations

from typing import Any

from fedivoisin.outbox import community as cm
from fedivoisin.store import activities as activity_store
from tests.kinds.test_roundtrip import KINDS
from tests.rig import wait_for

from .test_communities import follow

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _announced(items: list[dict[str, Any]], type_: str, oid: str) -> list[str]:
    found = []
    for item in items:
        inner = item.get("object")
        if item["type"] == "Announce" and isinstance(inner, dict) and inner.get("type") == type_:
            target = inner.get("object")
            if (target.get("id") if isinstance(target, dict) else target) == oid:
                found.append(inner["id"])
    return found


async def test_rsvp_count_change_on_a_relayed_event_reaches_a_follower_exactly_once(
    instance_factory: Any,
) -> None:
    q = await instance_factory()  # quartier-nord publishes the event
    b = await instance_factory()  # les-tilleuls relays the quartier's events
    c = await instance_factory()  # rose follows les-tilleuls
    await q.community("quartier-nord", kind="quartier")
    await b.community("les-tilleuls")
    await q.person("paul")
    await c.person("rose")
    qn, paul, rose = await q.token("quartier-nord"), await q.token("paul"), await c.token("rose")
    tilleuls = await b.local("les-tilleuls")
    await cm.add_relay(b.rt, tilleuls, q.actor("quartier-nord"), ["event"])
    # A loop in the mesh: the quartier relays les-tilleuls back.
    await cm.add_relay(q.rt, await q.local("quartier-nord"), b.actor("les-tilleuls"), ["event"])
    await follow(c, "rose", rose, b.actor("les-tilleuls"))

    async def relays_accepted() -> bool:
        rows = await b.rt.store.fetchall("SELECT state FROM follows")
        rows_q = await q.rt.store.fetchall("SELECT state FROM follows")
        return (
            bool(rows) and bool(rows_q) and all(r["state"] == "accepted" for r in [*rows, *rows_q])
        )

    await wait_for(relays_accepted, timeout=10)
    r = await q.c2s(
        "quartier-nord",
        qn,
        {**KINDS["event"], "to": [PUBLIC], "cc": [q.actor("quartier-nord") + "/followers"]},
    )
    assert r.status_code == 201, r.text
    event = r.json()["object"]["id"]

    async def rose_has_event() -> bool:
        return await activity_store.get_object(c.rt.store, event) is not None

    await wait_for(rose_has_event, timeout=10)
    r = await q.c2s(
        "paul", paul, {"type": "Join", "object": event, "to": [q.actor("quartier-nord")]}
    )
    assert r.status_code == 201, r.text

    async def count_seen_by_rose() -> bool:
        stored = await activity_store.get_object(c.rt.store, event)
        return stored is not None and stored.document.get("participantCount") == 1

    await wait_for(count_seen_by_rose, timeout=15)
    updates = _announced(await c.inbox("rose", rose), "Update", event)
    assert len(updates) == 1, updates

    # The quartier cancels it by deleting it: the Delete reaches rose too, once.
    r = await q.c2s("quartier-nord", qn, {"type": "Delete", "object": event})
    assert r.status_code == 201, r.text

    async def deleted_for_rose() -> bool:
        stored = await activity_store.get_object(c.rt.store, event)
        return stored is not None and stored.deleted is not None

    await wait_for(deleted_for_rose, timeout=15)
    items = await c.inbox("rose", rose)
    assert len(_announced(items, "Delete", event)) == 1
    assert len(_announced(items, "Update", event)) == 1
