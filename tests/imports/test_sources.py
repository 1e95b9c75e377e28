"""Calendars and feeds → vocabulary objects (pure: fedivoisin/protocol/sources.py)."""

from __future__ import annotations

import json

import pytest

from fedivoisin.protocol.sources import SourceError, parse_calendar, parse_feed
from fedivoisin.protocol.vocab import validate_local

from .helpers import THREE_EVENTS, calendar, rss, vevent


def test_vevents_become_valid_events_with_zone_place_and_html() -> None:
    parsed = parse_calendar(calendar(*THREE_EVENTS))
    assert [i.uid for i in parsed.items] == ["fete@mairie", "brocante@mairie", "conseil@mairie"]
    fete = parsed.items[0].obj
    assert fete["name"] == "Fête des voisins"
    assert fete["startTime"] == "2031-06-06T19:00:00+02:00"
    assert fete["endTime"] == "2031-06-06T23:00:00+02:00"
    assert fete["timezone"] == "Europe/Paris"
    assert fete["location"] == {"type": "Place", "name": "Cour intérieure, 12 rue des Lilas"}
    assert fete["content"] == "<p>Apportez un plat.</p>"
    assert fete["eventStatus"] == "EventScheduled"
    for item in parsed.items:
        validate_local("event", item.obj)


def test_dtstamp_does_not_change_the_digest_but_a_new_time_does() -> None:
    a = parse_calendar(calendar(*THREE_EVENTS, stamp="20260101T000000Z")).items
    b = parse_calendar(calendar(*THREE_EVENTS, stamp="20261203T070000Z")).items
    assert [i.digest for i in a] == [i.digest for i in b]
    moved = vevent("brocante@mairie", "Brocante", "20310614T080000", "20310614T180000")
    c = parse_calendar(calendar(THREE_EVENTS[0], moved)).items
    assert c[0].digest == a[0].digest and c[1].digest != a[1].digest


def test_cancelled_all_day_utc_geo_and_url() -> None:
    body = calendar(
        "\r\n".join(
            [
                "BEGIN:VEVENT",
                "UID:x1",
                "DTSTART;VALUE=DATE:20310607",
                "SUMMARY:Vide <grenier>",
                "STATUS:CANCELLED",
                "GEO:45.75;4.83",
                "URL:https://mairie.example/x1",
                "END:VEVENT",
            ]
        ),
        "\r\n".join(
            [
                "BEGIN:VEVENT",
                "UID:x2",
                "DTSTART:20310608T100000Z",
                "DURATION:PT2H",
                "SUMMARY:Atelier",
                "END:VEVENT",
            ]
        ),
        "\r\n".join(["BEGIN:VEVENT", "UID:x3", "SUMMARY:sans date", "END:VEVENT"]),
        "\r\n".join(["BEGIN:VEVENT", "DTSTART:20310608T100000Z", "SUMMARY:sans uid", "END:VEVENT"]),
    )
    parsed = parse_calendar(body)
    x1, x2 = (i.obj for i in parsed.items)
    assert x1["eventStatus"] == "EventCancelled" and x1["status"] == "CANCELLED"
    assert x1["name"] == "Vide ‹grenier›"  # names are plain text (FEP-b2b8)
    assert (x1["startTime"], x1["endTime"]) == (
        "2031-06-07T00:00:00+00:00",
        "2031-06-08T00:00:00+00:00",
    )
    assert x1["location"] == {"type": "Place", "latitude": 45.75, "longitude": 4.83}
    assert (
        x1["joinMode"] == "external"
        and x1["externalParticipationUrl"] == "https://mairie.example/x1"
    )
    assert x2["endTime"] == "2031-06-08T12:00:00+00:00" and x2["timezone"] == "UTC"
    assert parsed.skipped == ["x3: no DTSTART", "(no UID): no UID"]
    for item in parsed.items:
        validate_local("event", item.obj)


@pytest.mark.parametrize(
    "body", [b"", b"garbage", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", b"<rss/>"]
)
def test_unreadable_calendars_are_a_source_error(body: bytes) -> None:
    with pytest.raises(SourceError, match="not an iCalendar document"):
        parse_calendar(body)


def test_rss_entries_become_sanitised_news_articles() -> None:
    body = rss(
        (
            "n1",
            "Ravalement",
            "<p>Le <script>alert(1)</script><b>ravalement</b></p>",
            "Mon, 01 Jun 2026 10:00:00 GMT",
        ),
    )
    (item,) = parse_feed(body, content_type="application/rss+xml").items
    assert item.uid == "n1"
    assert item.obj == {
        "type": "Article",
        "kind": "News",
        "name": "Ravalement",
        "summary": "Le ravalement",
        "content": "<p>Le <b>ravalement</b></p>",
        "url": "https://mairie.example/n/n1",
    }
    validate_local("news", item.obj)


def test_atom_and_json_feed() -> None:
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>urn:a1</id>'
        b"<title>Travaux</title><summary>Rue barr\xc3\xa9e</summary>"
        b'<content type="html">&lt;p&gt;Du 2 au 6 juin&lt;/p&gt;</content>'
        b"<updated>2026-06-01T00:00:00Z</updated></entry></feed>"
    )
    (a,) = parse_feed(atom).items
    assert (a.uid, a.obj["name"], a.obj["summary"]) == ("urn:a1", "Travaux", "Rue barrée")
    assert a.obj["content"] == "<p>Du 2 au 6 juin</p>"
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Mairie",
        "items": [
            {
                "id": "j1",
                "title": "Collecte",
                "content_html": "<p>Mardi<img src=x onerror=y></p>",
                "url": "https://mairie.example/j1",
                "date_published": "2026-06-02T08:00:00Z",
            },
            {"id": "j2", "content_text": "Sans titre ici\n\nsecond"},
        ],
    }
    j1, j2 = parse_feed(json.dumps(feed).encode(), content_type="application/feed+json").items
    assert j1.obj["content"] == '<p>Mardi<img src="x" /></p>'  # feedparser's sanitiser
    assert j1.item_time == 1780387200.0
    assert j2.obj["name"] == "Sans titre ici second"
    assert j2.obj["content"] == "<p>Sans titre ici</p><p>second</p>"
    for item in (a, j1, j2):
        validate_local("news", item.obj)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"<html><body>Hello</body></html>", "no RSS, Atom or JSON Feed"),
        (b"{}", "JSON Feed 'version'"),
        (b"{oops", "invalid JSON"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": 3}', "without 'items'"),
        (b"\x00\x01garbage", "not a feed"),
    ],
)
def test_unreadable_feeds_are_a_source_error(body: bytes, why: str) -> None:
    with pytest.raises(SourceError, match=why):
        parse_feed(body)
