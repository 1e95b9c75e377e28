"""What Mastodon users see: complete_for_mastodon and the French summaries (VOCABULARY.md §4).

Why: Mastodon shows an Event as name + summary + link and a Note as content only, so the
date, place, title, drill warning and cancellation must be in those plain fields.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from fedivoisin.protocol.vocab import (
    alert_content_html,
    complete_for_mastodon,
    mastodon_summary_for_event,
)
from fedivoisin.protocol.vocab_render import french_when

from ._data import EXAMPLES, load


def example(kind: str, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = load(EXAMPLES / kind / f"{name}.json")
    return doc


def test_event_summary_is_the_design_example() -> None:
    doc = example("event", "valid-fete-des-voisins")
    doc["location"]["name"] = "Cour"
    assert (
        mastodon_summary_for_event(doc)
        == "Ven. 30 mai 2025, 19h–23h · Cour, 12 rue des Lilas, Lyon"
    )


def test_event_summary_uses_the_event_time_zone() -> None:
    doc = {
        "startTime": "2025-12-24T17:30:00Z",
        "endTime": "2025-12-24T20:00:00Z",
        "timezone": "Europe/Paris",
    }
    assert mastodon_summary_for_event(doc) == "Mer. 24 décembre 2025, 18h30–21h"
    doc["timezone"] = "America/Montreal"
    assert mastodon_summary_for_event(doc) == "Mer. 24 décembre 2025, 12h30–15h"


def test_event_summary_without_zone_keeps_the_given_offset_and_unknown_zone_is_ignored() -> None:
    doc = {"startTime": "2025-08-01T09:00:00+02:00", "timezone": "Mars/Olympus"}
    assert mastodon_summary_for_event(doc) == "Ven. 1er août 2025, 9h"


def test_multi_day_event_names_both_days() -> None:
    start = datetime(2025, 12, 31, 20, tzinfo=UTC)
    assert french_when(start, start + timedelta(hours=6)) == (
        "Mer. 31 décembre 2025, 20h – jeu. 1er janvier 2026, 2h"
    )
    assert french_when(start, start + timedelta(hours=2, minutes=15)) == (
        "Mer. 31 décembre 2025, 20h–22h15"
    )
    june = datetime(2025, 6, 6, 18, tzinfo=UTC)
    assert french_when(june, june + timedelta(days=2)) == "Ven. 6 juin 2025, 18h – dim. 8 juin, 18h"


def test_summary_with_place_only_and_gancio_string_address() -> None:
    doc = {
        "location": {
            "type": "Place",
            "name": "Salle des fêtes",
            "address": "3 place de la Mairie, Vaulx",
        }
    }
    assert mastodon_summary_for_event(doc) == "Salle des fêtes, 3 place de la Mairie, Vaulx"


def test_completed_event_gets_the_summary_and_keeps_the_input_untouched() -> None:
    doc = example("event", "valid-fete-des-voisins")
    del doc["summary"]
    before = copy.deepcopy(doc)
    out = complete_for_mastodon("event", doc)
    assert doc == before
    assert out["summary"] == "Ven. 30 mai 2025, 19h–23h · Cour intérieure, 12 rue des Lilas, Lyon"


@pytest.mark.parametrize("marker", [{"eventStatus": "EventCancelled"}, {"status": "CANCELLED"}])
def test_cancelled_event_is_marked_for_every_receiver(marker: dict[str, str]) -> None:
    doc = {**example("event", "valid-vide-grenier-inscription-externe"), **marker}
    out = complete_for_mastodon("event", doc)
    assert out["name"] == "ANNULÉ – Vide-grenier de Montchat"
    assert out["eventStatus"] == "EventCancelled"
    assert out["status"] == "CANCELLED"
    assert complete_for_mastodon("event", out)["name"] == out["name"]


def test_alert_content_is_built_from_cap_fields() -> None:
    doc = example("alert", "valid-coupure-eau")
    doc["content"] = "<p>Intervention sur la colonne montante.</p>"
    doc.pop("contentMap", None)
    out = complete_for_mastodon("alert", doc)
    assert out["content"] == (
        "<p>⚠️ <strong>Coupure d'eau – Bâtiment B</strong></p><p>Mardi 10 juin 8h–12h.</p>"
        "<p>📍 Bâtiment B, 12 rue des Lilas, Lyon · Gravité : mineure</p>"
        "<p>Intervention sur la colonne montante.</p><p>👉 Faites des réserves d'eau.</p>"
    )
    assert out["contentMap"] == {"fr": out["content"]}
    assert "summary" not in out  # an Actual alert has no content warning


def test_severe_alert_icon_source_and_escaping() -> None:
    html = alert_content_html(
        {
            "name": "Fuite <gaz>",
            "severity": "Extreme",
            "senderName": "Mairie & Co",
            "content": "<p>x</p>",
        }
    )
    assert (
        html == "<p>🚨 <strong>Fuite &lt;gaz&gt;</strong></p><p>Gravité : extrême</p>"
        "<p>x</p><p>Source : Mairie &amp; Co</p>"
    )


@pytest.mark.parametrize("status", ["Exercise", "Test"])
def test_exercise_and_test_alerts_get_the_exercice_content_warning(status: str) -> None:
    doc = {
        **example("alert", "valid-coupure-eau"),
        "alertStatus": status,
        "content": "<p>Essai.</p>",
    }
    out = complete_for_mastodon("alert", doc)
    assert out["summary"] == "EXERCICE"
    assert "<strong>EXERCICE – Coupure d'eau – Bâtiment B</strong>" in out["content"]


@pytest.mark.parametrize(
    ("kind", "name", "icon"),
    [
        ("proposal", "valid-offer-pret-perceuse", "🤝 "),
        ("request", "valid-request-aide-courses", "🙋 "),
    ],
)
def test_proposal_title_goes_into_content(kind: str, name: str, icon: str) -> None:
    doc = example("proposal", name)
    doc["content"] = "<p>Détails.</p>"
    doc.pop("contentMap", None)
    out = complete_for_mastodon(kind, doc)
    assert out["content"] == f"<p>{icon}<strong>{doc['name']}</strong></p><p>Détails.</p>"


def test_short_news_note_and_report_get_their_title_but_articles_do_not() -> None:
    note = {**example("news", "valid-note-composteur"), "content": "<p>Au fond du jardin.</p>"}
    assert complete_for_mastodon("news", note)["content"].startswith(
        "<p><strong>Le composteur est installé</strong></p>"
    )
    article = example("news", "valid-article-ravalement")
    assert complete_for_mastodon("news", article)["content"] == article["content"]


def test_content_map_is_added_in_french_and_an_existing_language_is_kept() -> None:
    out = complete_for_mastodon("note", {"type": "Note", "content": "<p>Bonjour</p>"})
    assert out["contentMap"] == {"fr": "<p>Bonjour</p>"}
    out = complete_for_mastodon("note", {"type": "Note", "contentMap": {"br": "<p>Demat</p>"}})
    assert (out["content"], out["contentMap"]) == ("<p>Demat</p>", {"br": "<p>Demat</p>"})
    out = complete_for_mastodon(
        "proposal", {"type": "Note", "name": "Je donne", "contentMap": {"br": "<p>x</p>"}}
    )
    assert out["contentMap"] == {"br": out["content"]}


def test_event_summary_tolerates_missing_fields() -> None:
    assert mastodon_summary_for_event({}) == ""
    start = datetime(2025, 6, 1, 10, tzinfo=timezone(timedelta(hours=2)))
    assert french_when(start, None, short=False) == "Dimanche 1er juin 10h"
