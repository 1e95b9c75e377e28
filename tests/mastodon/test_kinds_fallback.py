"""The Offer, News and Report kinds as statuses: `content` carries the readable fallback
(what, for whom, status; headline and link; category, place, status), read at display time
so a later status change shows. Event and Alert: test_mastodon_py.py, test_api_more.py."""

from __future__ import annotations

from typing import Any

from tests.mastodon.clients import strip_tags
from tests.rig import Instance

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def test_offer_news_and_report_fallbacks(instance: Instance) -> None:
    await instance.person("alice")
    await instance.person("syndic", type_="Organization")
    token = await instance.token("alice")
    syndic = instance.actor("syndic")

    async def publish(obj: dict[str, Any]) -> str:
        r = await instance.c2s("alice", token, obj)
        assert r.status_code == 201, r.text
        return str(r.json()["object"]["id"])

    offer = await publish(
        {
            "type": "Note",
            "kind": "Proposal",
            "purpose": "offer",
            "name": "Je prête : perceuse",
            "content": "<p>Le week-end.</p>",
            "publishes": {"type": "Intent", "action": "transfer"},
            "to": [PUBLIC],
        }
    )
    news = await publish(
        {
            "type": "Note",
            "kind": "News",
            "name": "Travaux rue des Lilas",
            "content": "<p>Chaussée fermée lundi.</p>",
            "to": [PUBLIC],
        }
    )
    report = await publish(
        {
            "type": "Note",
            "kind": "Report",
            "content": "<p>Fuite d'eau au 3e.</p>",
            "location": {
                "type": "Place",
                "name": "Escalier B",
                "latitude": 45.75,
                "longitude": 4.83,
            },
            "serviceCode": "plomberie",
            "to": [syndic],
            "cc": [PUBLIC],
        }
    )
    r = await instance.c2s(
        "alice", token, {"type": "Update", "object": {"id": offer, "proposalStatus": "closed"}}
    )
    assert r.status_code in (200, 201), r.text

    headers = {"Authorization": f"Bearer {token}"}
    async with instance.http() as c:
        me = (await c.get("/api/v1/accounts/verify_credentials", headers=headers)).json()["id"]
        shown = (await c.get(f"/api/v1/accounts/{me}/statuses", headers=headers)).json()
    text = {s["uri"]: strip_tags(s["content"]) for s in shown}
    assert "perceuse" in text[offer] and "Offre" in text[offer]
    assert "Pour : tout le monde" in text[offer]
    assert "Statut : terminée" in text[offer]
    assert "Travaux rue des Lilas" in text[news] and news in text[news]  # headline + link
    assert "Catégorie : plomberie" in text[report] and "Escalier B" in text[report]
    assert "Statut : ouvert" in text[report]
