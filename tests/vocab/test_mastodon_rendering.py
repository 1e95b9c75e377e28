"""Issue 15 item 3: each kind, as we send it, is what Mastodon turns into a complete status
with its essential facts visible (what, when, where, severity). The rules are a pure
function (tests/vocab/mastodon_rules.py) read from Mastodon's source."""

from __future__ import annotations

from typing import Any

import pytest

from fedivoisin.outbox import community as cm
from tests.kinds.helpers import PUBLIC, post
from tests.kinds.test_roundtrip import KINDS
from tests.rig import Instance

from .mastodon_rules import mastodon_status

#: kind → facts a Mastodon user must read (in the text or the content warning).
FACTS: dict[str, list[str]] = {
    "event": ["Fête des voisins", "28 juin", "19h", "Cour intérieure"],
    "alert": ["Coupure d'eau", "10 juin", "8h", "Cour intérieure", "mineure", "réserves d'eau"],
    "news-article": ["Ravalement : le calendrier", "Échafaudages du 2 au 6 juin"],
    "news-note": ["Composteur", "ouvert le samedi"],
    "poll": ["Quel samedi pour le vide-grenier"],
    "report": ["Lampadaire éteint", "12 rue des Lilas"],
    "proposal": ["Je prête : perceuse", "Le week-end"],
}


def test_rules_follow_mastodon() -> None:
    event = {"type": "Event", "id": "https://x/e", "name": "N", "summary": "S", "content": "C"}
    status = mastodon_status(event)
    assert status is not None and status.text == "N\n\nS\n\nhttps://x/e"
    assert status.spoiler_text == ""
    note = {"type": "Note", "content": "<p>a &amp; b</p>", "summary": "cw"}
    status = mastodon_status(note)
    assert status is not None and (status.text, status.spoiler_text) == ("a & b", "cw")
    assert mastodon_status({"type": "Offer", "content": "x"}) is None
    no_end = {"type": "Question", "content": "q", "oneOf": [{"name": "a"}]}
    assert mastodon_status(no_end).poll_options == ()  # type: ignore[union-attr]


@pytest.fixture
async def sent(instance: Instance) -> dict[str, dict[str, Any]]:
    """Each kind posted by a moderator of a community, as the C2S API returns (and sends) it."""
    lilas = await instance.community("les-lilas")
    await instance.person("alice")
    await cm.add_member(instance.rt, await instance.local("les-lilas"), "alice", role="moderator")
    token = await instance.token("alice")
    audience = {"to": [PUBLIC], "cc": [lilas + "/followers"], "audience": lilas}
    out = {}
    for name, body in KINDS.items():
        out[name] = (await post(instance, "alice", token, {**body, **audience}))["object"]
    return out


async def test_every_kind_shows_its_facts_on_mastodon(sent: dict[str, dict[str, Any]]) -> None:
    missing = []
    for name, obj in sent.items():
        status = mastodon_status(obj)
        assert status is not None, f"Mastodon drops our {name} ({obj['type']})"
        seen = f"{status.spoiler_text}\n{status.text}"
        missing += [f"{name}: {fact!r} not in {seen!r}" for fact in FACTS[name] if fact not in seen]
    assert not missing, "\n".join(missing)
    poll = mastodon_status(sent["poll"])
    assert poll is not None and poll.poll_options == ("14 juin", "21 juin")
    assert poll.poll_expires_at and not poll.poll_multiple
    assert mastodon_status(sent["alert"]).spoiler_text == "EXERCICE"  # type: ignore[union-attr]
