"""Issue 5: citizen reports (Open311): the responsible actor changes reportStatus, the
reporter's server updates the report and federates it; the lifecycle is enforced."""

from __future__ import annotations

from typing import Any

from fedivoisin.outbox import community as cm
from tests.rig import wait_for

from .helpers import PUBLIC, post, stored_doc


def report(syndic: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Note",
        "kind": "Report",
        "content": f'<p><a href="{syndic}" class="mention">@syndic</a> Fuite d\'eau au 3e.</p>',
        "tag": [{"type": "Mention", "href": syndic, "name": "@syndic"}],
        "location": {"type": "Place", "name": "Escalier B", "latitude": 45.75, "longitude": 4.83},
        "serviceCode": "plomberie",
        "to": [syndic],
        **extra,
    }


async def test_report_status_round_trip_between_resident_on_b_and_syndic_on_a(
    instance_factory: Any,
) -> None:
    a = await instance_factory()
    b = await instance_factory()
    await a.person("syndic", type_="Organization")
    await a.person("voisin")
    await b.person("lea")
    syndic_token, voisin, lea = (
        await a.token("syndic"),
        await a.token("voisin"),
        await b.token("lea"),
    )
    syndic = a.actor("syndic")
    created = await post(b, "lea", lea, report(syndic, cc=[PUBLIC]))
    rid = created["object"]["id"]
    assert created["object"]["reportStatus"] == "open"
    await stored_doc(a, rid)

    # Someone the report is not addressed to cannot change it.
    r = await a.c2s(
        "voisin", voisin, {"type": "Update", "object": {"id": rid, "reportStatus": "closed"}}
    )
    assert r.status_code == 403, r.text
    # The responsible actor may only change the status.
    r = await a.c2s("syndic", syndic_token, {"type": "Update", "object": {"id": rid, "name": "x"}})
    assert r.status_code == 400 and r.json()["field"] == "name"

    reply = await post(
        a,
        "syndic",
        syndic_token,
        {
            "type": "Update",
            "object": {"id": rid, "reportStatus": "acknowledged"},
        },
    )
    assert reply["type"] == "Create" and reply["object"]["inReplyTo"] == rid
    assert reply["object"]["reportStatus"] == "acknowledged" and reply["to"] == [b.actor("lea")]
    # The reporter's server applies it and federates the Update back to the syndic's server.
    await stored_doc(b, rid, lambda d: d.get("reportStatus") == "acknowledged")

    async def lea_saw_reply() -> bool:
        return any(
            i["type"] == "Create" and i["object"]["id"] == reply["object"]["id"]
            for i in await b.inbox("lea", lea)
        )

    await wait_for(lea_saw_reply, timeout=10)

    async def syndic_got_update() -> bool:
        return any(
            i["type"] == "Update"
            and i["object"]["id"] == rid
            and i["object"]["reportStatus"] == "acknowledged"
            for i in await a.inbox("syndic", syndic_token)
        )

    await wait_for(syndic_got_update, timeout=10)

    await post(
        a,
        "syndic",
        syndic_token,
        {"type": "Update", "object": {"id": rid, "reportStatus": "closed"}},
    )
    await stored_doc(b, rid, lambda d: d.get("reportStatus") == "closed")
    await stored_doc(a, rid, lambda d: d.get("reportStatus") == "closed")
    # closed is final.
    r = await a.c2s(
        "syndic", syndic_token, {"type": "Update", "object": {"id": rid, "reportStatus": "open"}}
    )
    assert r.status_code == 400 and r.json()["field"] == "reportStatus"


async def test_local_syndic_and_local_resident(instance: Any) -> None:
    a = instance
    lilas = await a.community("les-lilas")
    await a.person("syndic", type_="Organization")
    await a.person("lea")
    await cm.add_member(a.rt, await a.local("les-lilas"), "lea")
    syndic_token, lea = await a.token("syndic"), await a.token("lea")
    created = await post(a, "lea", lea, report(a.actor("syndic"), cc=[lilas], audience=lilas))
    rid = created["object"]["id"]
    await post(
        a,
        "syndic",
        syndic_token,
        {"type": "Update", "object": {"id": rid, "reportStatus": "closed"}},
    )
    doc = await stored_doc(a, rid, lambda d: d.get("reportStatus") == "closed")
    assert doc["attributedTo"] == a.actor("lea")
    # The reporter herself may not go back from closed.
    r = await a.c2s("lea", lea, {"type": "Update", "object": {"id": rid, "reportStatus": "open"}})
    assert r.status_code == 400 and r.json()["field"] == "reportStatus"
