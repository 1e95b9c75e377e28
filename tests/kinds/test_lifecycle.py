"""Issue 5: lifecycles as data: offers open → reserved → closed, CAP alert Update/Cancel,
and expiry (endTime) honoured by the community's listings."""

from __future__ import annotations

import time
from typing import Any

from fedivoisin.clock import iso

from .helpers import PUBLIC, get, neighbourhood, post, stored_doc


class SharedClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset


def offer(**extra: Any) -> dict[str, Any]:
    return {
        "type": "Note",
        "kind": "Proposal",
        "purpose": "offer",
        "name": "Je donne : poussette",
        "content": "<p>Bon état.</p>",
        "publishes": {
            "type": "Intent",
            "action": "transfer",
            "resourceConformsTo": "https://w3id.org/fedivoisin/resources#baby",
        },
        **extra,
    }


def alert(**extra: Any) -> dict[str, Any]:
    return {
        "type": "Note",
        "kind": "Alert",
        "name": "Ascenseur en panne",
        "content": "<p>Le technicien passe demain.</p>",
        "alertStatus": "Actual",
        "msgType": "Alert",
        "alertCategory": "Infra",
        "urgency": "Expected",
        "severity": "Minor",
        "certainty": "Observed",
        **extra,
    }


async def listed(inst: Any, slug: str, name: str) -> list[str]:
    r = await get(inst, inst.urls.collection(slug, name) + "?page=1")
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "OrderedCollectionPage"
    return [o["id"] for o in r.json()["orderedItems"]]


async def update(n: Any, oid: str, **fields: Any) -> Any:
    return await n.a.c2s("alice", n.alice, {"type": "Update", "object": {"id": oid, **fields}})


async def test_offer_lifecycle_and_a_bad_transition_names_the_field(instance_factory: Any) -> None:
    n = await neighbourhood(instance_factory)
    oid = (await post(n.a, "alice", n.alice, {**offer(), **n.audience}))["object"]["id"]
    assert await listed(n.a, "les-lilas", "offers") == [oid]
    for status, shown in (
        ("reserved", False),
        ("open", True),
        ("reserved", False),
        ("closed", False),
    ):
        r = await update(n, oid, proposalStatus=status)
        assert r.status_code == 201, r.text
        assert r.json()["object"]["proposalStatus"] == status
        assert (oid in await listed(n.a, "les-lilas", "offers")) is shown, status
    await stored_doc(n.b, oid, lambda d: d.get("proposalStatus") == "closed")
    for status in ("open", "reserved"):
        r = await update(n, oid, proposalStatus=status)
        assert r.status_code == 400, r.text
        assert r.json()["field"] == "proposalStatus" and "closed" in r.json()["detail"]
    r = await update(n, oid, proposalStatus="lost")
    assert r.status_code == 400 and r.json()["field"] == "proposalStatus"


async def test_alert_update_cancel_and_expiry(instance_factory: Any) -> None:
    clock = SharedClock()
    n = await neighbourhood(instance_factory, clock=clock)
    soon = iso(clock.now() + 3600)
    aid = (await post(n.a, "alice", n.alice, {**alert(endTime=soon), **n.audience}))["object"]["id"]
    drill = (
        await post(
            n.a,
            "alice",
            n.alice,
            {
                **alert(name="Exercice d'évacuation", alertStatus="Exercise", endTime=soon),
                **n.audience,
            },
        )
    )["object"]
    assert drill["summary"] == "EXERCICE"
    assert sorted(await listed(n.a, "les-lilas", "alerts")) == sorted([aid, drill["id"]])

    r = await update(n, aid, content="<p>Le technicien passe à 14h.</p>")
    assert r.status_code == 201 and r.json()["object"]["msgType"] == "Update"
    r = await update(n, aid, msgType="Cancel")
    assert r.status_code == 201, r.text
    assert await listed(n.a, "les-lilas", "alerts") == [drill["id"]]
    received = await stored_doc(n.b, aid, lambda d: d.get("msgType") == "Cancel")
    assert "14h" in received["content"]
    r = await update(n, aid, msgType="Update")
    assert r.status_code == 400 and r.json()["field"] == "msgType"

    clock.offset += 7200  # the drill expired
    assert await listed(n.a, "les-lilas", "alerts") == []


async def test_listings_honour_expiry_and_time(instance: Any) -> None:
    a = instance
    lilas = await a.community("les-lilas")
    token = await a.token("les-lilas")
    pub = {"to": [PUBLIC], "audience": lilas}

    async def new(body: dict[str, Any]) -> str:
        return str((await post(a, "les-lilas", token, {**body, **pub}))["object"]["id"])

    open_offer = await new(offer(endTime=iso(time.time() + 3600)))
    stale = await new(offer())
    # An expired listing (endTime can only be published in the future: age it in the store).
    await a.rt.store.execute(
        "UPDATE objects SET end_time = ? WHERE uri = ?", (time.time() - 60, stale)
    )
    assert await listed(a, "les-lilas", "offers") == [open_offer]
    event = {"type": "Event", "name": "Brocante", "timezone": "Europe/Paris"}
    e2 = await new({**event, "startTime": "2031-05-01T09:00:00+02:00"})
    e1 = await new({**event, "startTime": "2030-05-01T09:00:00+02:00"})
    await new({**event, "startTime": iso(time.time() - 3600)})  # already started
    assert await listed(a, "les-lilas", "events") == [e1, e2]  # upcoming, soonest first
    n1 = await new({"type": "Note", "kind": "News", "name": "Un", "content": "<p>1</p>"})
    n2 = await new({"type": "Note", "kind": "News", "name": "Deux", "content": "<p>2</p>"})
    assert await listed(a, "les-lilas", "news") == [n2, n1]  # newest first
    r = await get(a, a.urls.collection("les-lilas", "events"))
    assert r.json()["type"] == "OrderedCollection" and r.json()["totalItems"] == 2
    assert (await get(a, a.urls.collection("nobody", "events"))).status_code == 404
