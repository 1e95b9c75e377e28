"""Issue 5: reading a community: its calendar (iCalendar) and feed (Atom) import into
standard parsers, and members-only objects never appear in a collection or a feed."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

import icalendar

from fedivoisin.clock import iso
from fedivoisin.outbox import community as cm

from .helpers import PLACE, PUBLIC, get, post

ATOM = "{http://www.w3.org/2005/Atom}"
COLLECTIONS = ("events", "offers", "alerts", "news", "polls")


async def community(instance: Any) -> tuple[str, str, str]:
    lilas = await instance.community("les-lilas", "Résidence Les Lilas")
    await instance.person("alice")
    await cm.add_member(instance.rt, await instance.local("les-lilas"), "alice", role="moderator")
    return lilas, await instance.token("alice"), await instance.token("les-lilas")


async def fetch(instance: Any, name: str) -> Any:
    async with instance.http() as c:
        return await c.get(instance.urls.collection("les-lilas", name))


async def test_calendar_imports_with_correct_times_and_zones(instance: Any) -> None:
    lilas, alice, _ = await community(instance)
    pub = {"to": [PUBLIC], "cc": [lilas + "/followers"], "audience": lilas}
    summer = (
        await post(
            instance,
            "alice",
            alice,
            {
                "type": "Event",
                "name": "Fête des voisins",
                "timezone": "Europe/Paris",
                "startTime": "2030-07-01T19:00:00+02:00",
                "endTime": "2030-07-01T23:00:00+02:00",
                "content": "<p>Apportez un plat &amp; vos chaises.</p><p>Tables fournies.</p>",
                "location": PLACE,
                **pub,
            },
        )
    )["object"]
    winter = (
        await post(
            instance,
            "alice",
            alice,
            {
                "type": "Event",
                "name": "Galette des rois",
                "timezone": "Europe/Paris",
                "startTime": "2030-12-15T18:00:00+01:00",
                **pub,
            },
        )
    )["object"]
    utc = (
        await post(
            instance,
            "alice",
            alice,
            {
                "type": "Event",
                "name": "Visio du conseil",
                "startTime": "2030-09-01T18:00:00Z",
                **pub,
            },
        )
    )["object"]
    await post(
        instance,
        "alice",
        alice,
        {"type": "Update", "object": {"id": winter["id"], "eventStatus": "EventCancelled"}},
    )

    r = await fetch(instance, "events.ics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(r.content)
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {summer["id"], winter["id"], utc["id"]}
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]

    s = events[summer["id"]]
    start = s.decoded("DTSTART")
    assert (
        s["DTSTART"].params["TZID"] == "Europe/Paris" and start.utcoffset().total_seconds() == 7200
    )
    assert start.astimezone(UTC) == datetime(2030, 7, 1, 17, 0, tzinfo=UTC)
    assert s.decoded("DTEND").astimezone(UTC) == datetime(2030, 7, 1, 21, 0, tzinfo=UTC)
    assert str(s["SUMMARY"]) == "Fête des voisins"
    assert str(s["LOCATION"]) == "Cour intérieure, 12 rue des Lilas, Lyon"
    assert str(s["DESCRIPTION"]) == "Apportez un plat & vos chaises.\nTables fournies."
    assert str(s["URL"]) == summer["url"] and str(s["STATUS"]) == "CONFIRMED"

    w = events[winter["id"]]
    assert w["DTSTART"].params["TZID"] == "Europe/Paris"
    assert w.decoded("DTSTART").utcoffset().total_seconds() == 3600
    assert w.decoded("DTSTART").astimezone(UTC) == datetime(2030, 12, 15, 17, 0, tzinfo=UTC)
    assert str(w["STATUS"]) == "CANCELLED"

    u = events[utc["id"]]
    assert "TZID" not in u["DTSTART"].params and b"DTSTART:20300901T180000Z" in r.content


async def test_atom_feed_is_valid_and_discoverable(instance: Any) -> None:
    lilas, alice, _ = await community(instance)
    pub = {"to": [PUBLIC], "audience": lilas}
    note = (
        await post(
            instance,
            "alice",
            alice,
            {"type": "Note", "content": "<p>Clés trouvées <b>hall</b> &lt;B&gt;</p>", **pub},
        )
    )["object"]
    news = (
        await post(
            instance,
            "alice",
            alice,
            {
                "type": "Article",
                "kind": "News",
                "name": "Ravalement",
                "summary": "Du 2 au 6 juin.",
                "content": "<p>Texte.</p>",
                **pub,
            },
        )
    )["object"]
    r = await fetch(instance, "feed.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(r.content)
    assert root.tag == f"{ATOM}feed" and root.findtext(f"{ATOM}id") == lilas
    self_link = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_link[0].get("href") == instance.urls.collection("les-lilas", "feed.atom")
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [news["id"], note["id"]]
    assert entries[0].findtext(f"{ATOM}title") == "Ravalement"
    assert entries[1].findtext(f"{ATOM}title") == "Clés trouvées hall <B>"
    assert entries[1].find(f"{ATOM}content").get("type") == "html"
    assert "<b>hall</b>" in entries[1].findtext(f"{ATOM}content")
    assert entries[0].find(f"{ATOM}author").findtext(f"{ATOM}name") == "Alice"

    async with instance.http() as c:
        page = (await c.get("/@les-lilas", headers={"Accept": "text/html"})).text
    assert 'type="text/calendar"' in page and 'type="application/atom+xml"' in page
    assert instance.urls.collection("les-lilas", "feed.atom") in page


async def test_members_only_objects_are_absent_from_every_collection_and_feed(
    instance: Any,
) -> None:
    lilas, alice, _ = await community(instance)
    soon = iso(time.time() + 3600)
    objects = {
        "event": {
            "type": "Event",
            "name": "AG",
            "startTime": "2030-06-01T18:00:00+02:00",
            "timezone": "Europe/Paris",
        },
        "offer": {
            "type": "Note",
            "kind": "Proposal",
            "purpose": "offer",
            "name": "Je prête : échelle",
            "content": "<p>Au 2e.</p>",
            "publishes": {"type": "Intent", "action": "transferCustody"},
        },
        "alert": {
            "type": "Note",
            "kind": "Alert",
            "name": "Digicode changé",
            "content": "<p>Nouveau code.</p>",
            "alertStatus": "Actual",
            "msgType": "Alert",
            "alertCategory": "Security",
            "urgency": "Expected",
            "severity": "Minor",
            "certainty": "Observed",
            "endTime": soon,
        },
        "news": {
            "type": "Note",
            "kind": "News",
            "name": "Compte rendu",
            "content": "<p>Réservé.</p>",
        },
        "poll": {
            "type": "Question",
            "content": "<p>Budget ?</p>",
            "endTime": soon,
            "oneOf": [{"type": "Note", "name": "Oui"}, {"type": "Note", "name": "Non"}],
        },
    }
    secret: list[str] = []
    public: list[str] = []
    for body in objects.values():
        members = await post(
            instance, "alice", alice, {**body, "to": [lilas + "/members"], "audience": lilas}
        )
        followers = await post(
            instance,
            "alice",
            alice,
            {**body, "to": [instance.actor("alice") + "/followers"], "audience": lilas},
        )
        shown = await post(instance, "alice", alice, {**body, "to": [PUBLIC], "audience": lilas})
        secret += [members["object"]["id"], followers["object"]["id"]]
        public.append(shown["object"]["id"])
    seen: list[str] = []
    for name in COLLECTIONS:
        r = await get(instance, instance.urls.collection("les-lilas", name) + "?page=1")
        assert r.status_code == 200, r.text
        ids = [o["id"] for o in r.json()["orderedItems"]]
        assert len(ids) == 1 and r.json()["totalItems"] == 1, name
        seen += ids
    assert sorted(seen) == sorted(public)
    for feed in ("events.ics", "feed.atom"):
        body = (await fetch(instance, feed)).text
        for oid in secret:
            assert oid not in body, feed
    assert public[0] in (await fetch(instance, "events.ics")).text
    atom = (await fetch(instance, "feed.atom")).text
    assert all(oid in atom for oid in public)
