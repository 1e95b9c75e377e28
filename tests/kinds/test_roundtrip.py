"""Issue 5: each kind posted through C2S, fetched back and received on a second instance
reads the same (parse_object of the three copies); Mobilizon events and Mastodon questions
delivered by a fake remote land in the store as the same kinds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fedivoisin.protocol.context import context_document
from fedivoisin.protocol.vocab import detect_kind, parse_object
from fedivoisin.store import activities as activity_store
from tests.rig import wait_for
from tests.rig.peer import RecordingPeer

from .helpers import PLACE, PUBLIC, get, neighbourhood, post, stored_doc

FIXTURES = Path(__file__).parent.parent / "fixtures"

KINDS: dict[str, dict[str, Any]] = {
    "event": {
        "type": "Event",
        "name": "Fête des voisins",
        "content": "<p>Apportez un plat à partager.</p>",
        "startTime": "2030-06-28T19:00:00+02:00",
        "endTime": "2030-06-28T23:00:00+02:00",
        "timezone": "Europe/Paris",
        "location": PLACE,
        "category": "COMMUNITY",
        "joinMode": "free",
        "maximumAttendeeCapacity": 60,
        "tag": [{"type": "Hashtag", "name": "#FeteDesVoisins", "href": "https://x.example/t/f"}],
        "attachment": [
            {"type": "Image", "mediaType": "image/jpeg", "url": "https://x.example/f.jpg"}
        ],
    },
    "proposal": {
        "type": "Note",
        "kind": "Proposal",
        "purpose": "offer",
        "name": "Je prête : perceuse",
        "content": "<p>Le week-end, au 3e.</p>",
        "endTime": "2030-07-01T00:00:00+02:00",
        "publishes": {
            "type": "Intent",
            "action": "transferCustody",
            "resourceConformsTo": "https://w3id.org/fedivoisin/resources#tools",
            "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
        },
        "unitBased": False,
    },
    "alert": {
        "type": "Note",
        "kind": "Alert",
        "name": "Coupure d'eau – Bâtiment B",
        "content": "<p>Mardi 10 juin 8h–12h.</p>",
        "startTime": "2030-06-10T08:00:00+02:00",
        "endTime": "2030-06-10T12:00:00+02:00",
        "location": {**PLACE, "radius": 50, "units": "m"},
        "alertStatus": "Exercise",
        "msgType": "Alert",
        "alertCategory": "Infra",
        "responseType": "Prepare",
        "urgency": "Expected",
        "severity": "Minor",
        "certainty": "Observed",
        "instruction": "Faites des réserves d'eau.",
    },
    "news-article": {
        "type": "Article",
        "kind": "News",
        "name": "Ravalement : le calendrier",
        "summary": "Échafaudages du 2 au 6 juin.",
        "content": "<p>Le ravalement commence le 2 juin.</p>",
    },
    "news-note": {
        "type": "Note",
        "kind": "News",
        "name": "Composteur",
        "content": "<p>Le composteur est ouvert le samedi.</p>",
    },
    "poll": {
        "type": "Question",
        "content": "<p>Quel samedi pour le vide-grenier ?</p>",
        "oneOf": [{"type": "Note", "name": "14 juin"}, {"type": "Note", "name": "21 juin"}],
        "endTime": "2030-06-05T20:00:00+02:00",
    },
    "report": {
        "type": "Note",
        "kind": "Report",
        "content": "<p>Lampadaire éteint devant le 12 depuis 3 soirs.</p>",
        "location": {
            "type": "Place",
            "name": "12 rue des Lilas",
            "latitude": 45.75,
            "longitude": 4.83,
        },
        "serviceCode": "eclairage-public",
    },
}


async def test_context_is_served_as_json_ld(instance: Any) -> None:
    async with instance.http() as c:
        r = await c.get("/ns/v1")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/ld+json")
    assert r.content == context_document("fedivoisin-v1")
    assert json.loads(r.content)["@context"]["proposalStatus"]


async def test_every_kind_round_trips_post_fetch_and_delivery(instance_factory: Any) -> None:
    n = await neighbourhood(instance_factory)
    await n.a.person("syndic", type_="Organization")
    syndic = n.a.actor("syndic")
    posted: dict[str, dict[str, Any]] = {}
    for name, body in KINDS.items():
        addressing = n.audience
        if name == "report":
            addressing = {**addressing, "to": [syndic, PUBLIC]}
            body = {**body, "tag": [{"type": "Mention", "href": syndic, "name": "@syndic"}]}
        doc = await post(n.a, "alice", n.alice, {**body, **addressing})
        posted[name] = doc["object"]
        assert detect_kind(doc["object"]) == name.split("-")[0], name
    for name, obj in posted.items():
        r = await get(n.a, obj["id"])
        assert r.status_code == 200, (name, r.text)
        fetched = r.json()
        received = await stored_doc(n.b, obj["id"])
        mine = parse_object(obj)
        assert mine == parse_object(fetched) == parse_object(received), name
        if name in ("event", "proposal", "alert", "poll", "report"):
            assert getattr(mine, name) is not None, name
    # Server-owned starting values are explicit.
    assert posted["proposal"]["proposalStatus"] == "open"
    assert posted["report"]["reportStatus"] == "open"
    assert posted["event"]["participantCount"] == 0
    assert posted["poll"]["votersCount"] == 0
    assert [o["replies"]["totalItems"] for o in posted["poll"]["oneOf"]] == [0, 0]
    assert posted["alert"]["summary"] == "EXERCICE"


def _rehost(path: str, old: str, new: str) -> Any:
    return json.loads((FIXTURES / path).read_text().replace(old, new))


async def test_mobilizon_event_and_mastodon_question_from_a_remote_are_stored_by_kind(
    instance: Any,
) -> None:
    async with RecordingPeer() as peer:
        event = _rehost("mobilizon/event.json", "https://rendezvous.nomagic.uk", peer.origin)
        group = peer.add_actor("/@devon_caledonian_society", type_="Group")
        peer.add_actor("/@emorrp1")
        event.pop("@context")
        create = {
            "@context": ["https://www.w3.org/ns/activitystreams"],
            "id": event["id"] + "/activity",
            "type": "Create",
            "actor": group,
            "to": event["to"],
            "object": event,
        }
        r = await peer.deliver(instance.urls.shared_inbox, create)
        assert r.status_code == 202, r.text
        question = _rehost(
            "mastodon/create-question-oneof.json", "https://mastodon.sdf.org", peer.origin
        )
        peer.add_actor("/users/rinpatch")
        r = await peer.deliver(instance.urls.shared_inbox, question)
        assert r.status_code == 202, r.text

        async def both() -> list[Any] | None:
            e = await activity_store.get_object(instance.rt.store, event["id"])
            q = await activity_store.get_object(instance.rt.store, question["object"]["id"])
            return [e, q] if e and q else None

        stored_event, stored_question = await wait_for(both, timeout=10)
    assert stored_event.kind == "event"
    assert stored_event.start_time == parse_object(event).event.start.timestamp()
    assert stored_event.end_time == parse_object(event).event.end.timestamp()
    place = parse_object(stored_event.document).event.location
    assert place.name == "The Kenn Centre" and place.latitude == 50.66881615
    assert place.address.locality == "Teignbridge"
    assert stored_question.kind == "poll"
    poll = parse_object(stored_question.document).poll
    assert [o.votes for o in poll.options] == [0, 1, 0, 1] and not poll.multiple
