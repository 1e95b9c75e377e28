"""Issue 15 item 7: a Mobilizon event created by a member for its group (`actor` = the
member, `attributedTo` = the group, same origin) is accepted when the group lists the member;
SECURITY.md rule 5 holds for every other case (another origin, a group that does not list
the actor, a Person as attributedTo)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fedivoisin.store import activities as activity_store
from tests.interop.fedify import wait_processed
from tests.rig.peer import RecordingPeer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def group_event(peer: RecordingPeer, actor: str, group: str, n: int) -> dict[str, Any]:
    create = json.loads((FIXTURES / "mobilizon/create-event.json").read_text())
    obj = json.loads((FIXTURES / "mobilizon/event.json").read_text())
    obj = {k: v for k, v in obj.items() if k != "@context"}
    obj.update(
        {
            "id": peer.url(f"/events/{n}"),
            "attributedTo": group,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [group + "/followers"],
        }
    )
    obj.pop("url", None)
    create.update(
        {
            "id": peer.url(f"/events/{n}/activity"),
            "actor": actor,
            "object": obj,
            "to": obj["to"],
            "cc": obj["cc"],
        }
    )
    return create


async def deliver_and_wait(instance: Any, peer: RecordingPeer, activity: dict[str, Any]) -> Any:
    r = await peer.deliver(instance.urls.shared_inbox, activity)
    assert r.status_code == 202, r.text
    row = await wait_processed(instance, activity["id"])
    return row, await activity_store.get_object(instance.rt.store, activity["object"]["id"])


@pytest.mark.parametrize("shape", ["uris", "member-objects", "paged"])
async def test_member_creates_an_event_for_a_group_that_lists_them(
    instance: Any, shape: str
) -> None:
    async with RecordingPeer() as peer:
        tcit = peer.add_actor("/@tcit")
        members = peer.url("/@group/members")
        group = peer.add_actor("/@group", type_="Group", members=members)
        items: list[Any] = [tcit]
        if shape != "uris":
            items = [{"type": "Member", "actor": tcit, "object": group, "role": "administrator"}]
        if shape == "paged":
            peer.serve(
                members, {"id": members, "type": "OrderedCollection", "first": members + "?page=1"}
            )
            peer.serve(
                members + "?page=1",
                {"id": members + "?page=1", "type": "OrderedCollectionPage", "orderedItems": items},
            )
        else:
            peer.serve(members, {"id": members, "type": "OrderedCollection", "orderedItems": items})
        row, stored = await deliver_and_wait(instance, peer, group_event(peer, tcit, group, 1))
        assert row["state"] == "done", row
        assert stored is not None and stored.attributed_to == group


async def test_rule_5_holds_when_the_group_does_not_vouch(instance: Any) -> None:
    async with RecordingPeer() as peer, RecordingPeer() as other:
        mallory = peer.add_actor("/@mallory")
        members = peer.url("/@group/members")
        group = peer.add_actor("/@group", type_="Group", members=members)
        peer.serve(members, {"id": members, "type": "OrderedCollection", "orderedItems": []})
        person = peer.add_actor("/@someone")
        far_group = other.add_actor("/@group", type_="Group")

        for n, author in enumerate((group, person, far_group), start=1):
            row, stored = await deliver_and_wait(
                instance, peer, group_event(peer, mallory, author, n)
            )
            assert stored is None, (author, row)
