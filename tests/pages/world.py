"""A small neighbourhood with one object of every kind, for the page tests, the browser
tests, the probe and the benchmark: built through the real C2S API of a rig Instance."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from fedivoisin.clock import iso
from fedivoisin.outbox import community as cm
from tests.kinds.helpers import PLACE, PUBLIC, post
from tests.rig import Instance

SECRET = "Code secret du local vélo : 4512"
FOLLOWERS_SECRET = "Réservé aux abonnés : clé chez la gardienne"


@dataclass
class World:
    inst: Instance
    tokens: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def lilas(self) -> str:
        return self.inst.actor("les-lilas")


def event_body(lilas: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Event",
        "name": "Fête des voisins",
        "content": "<p>Apportez un plat à partager.</p>",
        "startTime": "2031-06-06T19:00:00+02:00",
        "endTime": "2031-06-06T23:00:00+02:00",
        "timezone": "Europe/Paris",
        "maximumAttendeeCapacity": 60,
        "joinMode": "free",
        "location": PLACE,
        "to": [PUBLIC],
        "cc": [lilas + "/followers"],
        "audience": lilas,
        **extra,
    }


async def build(inst: Instance) -> World:
    lilas = await inst.community(
        "les-lilas", "Résidence Les Lilas", summary="Bâtiments A et B, 12 rue des Lilas"
    )
    await inst.community("quartier-nord", "Quartier Nord", kind="quartier")
    await inst.person("alice", name="Alice Martin")
    await inst.person("syndic", type_="Organization", name="Syndic Dupont")
    await inst.person("bruno", name="Bruno")  # a resident who is not a member
    community = await inst.local("les-lilas")
    await cm.add_member(inst.rt, community, "alice", role="moderator")
    await cm.add_relay(inst.rt, community, inst.actor("quartier-nord"), ["alert", "event"])
    tokens = {s: await inst.token(s) for s in ("alice", "syndic", "bruno")}
    w = World(inst, tokens)
    aud = {"to": [PUBLIC], "cc": [lilas + "/followers"], "audience": lilas}
    soon = iso(time.time() + 7 * 86400)
    bodies: dict[str, dict[str, Any]] = {
        "event": event_body(lilas),
        "offer": {
            "type": "Note",
            "kind": "Proposal",
            "purpose": "offer",
            "name": "Je prête : échelle",
            "content": "<p>Au 2e étage, bâtiment A.</p>",
            "publishes": {"type": "Intent", "action": "transferCustody"},
            **aud,
        },
        "alert": {
            "type": "Note",
            "kind": "Alert",
            "name": "Coupure d’eau",
            "content": "<p>Travaux sur la colonne montante.</p>",
            "alertStatus": "Actual",
            "msgType": "Alert",
            "alertCategory": "Infra",
            "urgency": "Expected",
            "severity": "Severe",
            "certainty": "Observed",
            "instruction": "Remplissez des bouteilles avant 8 h.",
            "endTime": soon,
            "location": PLACE,
            **aud,
        },
        "news": {
            "type": "Note",
            "kind": "News",
            "name": "Compte rendu du conseil syndical",
            "content": "<p>Le ravalement est voté.</p>",
            **aud,
        },
        "poll": {
            "type": "Question",
            "content": "<p>Quelle date pour l’AG ?</p>",
            "endTime": soon,
            "oneOf": [{"type": "Note", "name": "Mardi"}, {"type": "Note", "name": "Jeudi"}],
            **aud,
        },
    }
    for name, body in bodies.items():
        w.ids[name] = (await post(inst, "alice", tokens["alice"], body))["object"]["id"]
    report = {
        "type": "Note",
        "kind": "Report",
        "name": "Fuite escalier B",
        "content": "<p>Une fuite au plafond du 3e.</p>",
        "location": {"type": "Place", "name": "Escalier B", "latitude": 45.75, "longitude": 4.83},
        "serviceCode": "plomberie",
        "serviceName": "Plomberie",
        "tag": [{"type": "Mention", "href": inst.actor("syndic"), "name": "@syndic"}],
        "to": [inst.actor("syndic"), PUBLIC],
        "audience": lilas,
    }
    w.ids["report"] = (await post(inst, "alice", tokens["alice"], report))["object"]["id"]
    r = await inst.c2s(
        "syndic",
        tokens["syndic"],
        {"type": "Update", "object": {"id": w.ids["report"], "reportStatus": "acknowledged"}},
    )
    assert r.status_code == 201, r.text
    joined = await inst.c2s("bruno", tokens["bruno"], {"type": "Join", "object": w.ids["event"]})
    assert joined.status_code == 201, joined.text
    members_only = {
        "type": "Note",
        "kind": "News",
        "name": "Note aux membres",
        "content": f"<p>{SECRET}</p>",
        "to": [lilas + "/members"],
        "audience": lilas,
    }
    w.ids["secret"] = (await post(inst, "alice", tokens["alice"], members_only))["object"]["id"]
    followers_only = {
        "type": "Note",
        "kind": "News",
        "name": "Pour mes abonnés",
        "content": f"<p>{FOLLOWERS_SECRET}</p>",
        "to": [inst.actor("alice") + "/followers"],
        "audience": lilas,
    }
    w.ids["followers_secret"] = (await post(inst, "alice", tokens["alice"], followers_only))[
        "object"
    ]["id"]
    return w
