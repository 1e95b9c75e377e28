"""Sources served by the rig's peer, a follower of the community, and what it received."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.rig.peer import RecordingPeer

ICS_TYPE = "text/calendar; charset=utf-8"
RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
JSON_FEED_TYPE = "application/feed+json"


def vevent(uid: str, summary: str, start: str, end: str, **extra: str) -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART;TZID=Europe/Paris:{start}",
        f"DTEND;TZID=Europe/Paris:{end}",
        f"SUMMARY:{summary}",
        *(f"{k.upper()}:{v}" for k, v in extra.items()),
        "END:VEVENT",
    ]
    return "\r\n".join(lines)


def calendar(*events: str, stamp: str = "20260101T000000Z") -> bytes:
    """A VCALENDAR; `stamp` re-stamps every DTSTAMP, as generators do on each request."""
    body = "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//mairie//agenda//FR", *events, "END:VCALENDAR"]
    )
    return body.replace("DTSTAMP:20260101T000000Z", f"DTSTAMP:{stamp}").encode() + b"\r\n"


THREE_EVENTS = [
    vevent(
        "fete@mairie",
        "Fête des voisins",
        "20310606T190000",
        "20310606T230000",
        location="Cour intérieure\\, 12 rue des Lilas",
        description="Apportez un plat.",
    ),
    vevent("brocante@mairie", "Brocante", "20310607T080000", "20310607T180000"),
    vevent("conseil@mairie", "Conseil de quartier", "20310610T183000", "20310610T203000"),
]


def rss(*items: tuple[str, str, str, str]) -> bytes:
    """Items (guid, title, description html, RFC 822 date)."""
    body = "".join(
        f"<item><guid>{g}</guid><title>{t}</title><link>https://mairie.example/n/{g}</link>"
        f"<description><![CDATA[{d}]]></description><pubDate>{p}</pubDate></item>"
        for g, t, d, p in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Mairie</title>'
        f"<link>https://mairie.example/</link><description>x</description>{body}</channel></rss>"
    ).encode()


async def follow(peer: RecordingPeer, instance: Any, slug: str) -> str:
    """A remote actor of the peer follows a community; returns its URI once accepted."""
    bob = peer.add_actor("/users/bob")
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": peer.url("/follows/bob"),
        "type": "Follow",
        "actor": bob,
        "object": instance.actor(slug),
    }
    r = await peer.deliver(instance.urls.inbox(slug), activity)
    assert r.status_code == 202, r.text
    await peer.wait_for_post(lambda p: p.json()["type"] == "Accept", timeout=15)
    return bob


def received(peer: RecordingPeer, sender: str) -> Counter[str]:
    """Activity types the peer received from `sender` (an actor URI)."""
    return Counter(p.json()["type"] for p in peer.posts if p.json().get("actor") == sender)


def objects_of(peer: RecordingPeer, sender: str, type_: str) -> list[dict[str, Any]]:
    return [
        p.json()["object"]
        for p in peer.posts
        if p.json().get("actor") == sender and p.json()["type"] == type_
    ]
