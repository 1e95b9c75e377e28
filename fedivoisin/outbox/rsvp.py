"""RSVP for people whose server cannot send `Join` (Mastodon, Misskey, Pleroma…), as Gathio
does: their answer to a direct poll counts as participation.

Flow (docs/vocabulary.md, "RSVP by poll"):
1. A remote person replies to one of our events, or posts a Note that mentions the
   event's organiser and links the event (its id in `inReplyTo`, a `tag` href or the text),
   or is mentioned by a new event of ours.
2. The organiser sends that person, once per event, a direct `Question` (to: [person],
   a Mention tag, `inReplyTo` their Note) with three options: « Je viens », « Peut-être »,
   « Je ne viens pas », closing when the event starts.
3. Their vote arrives as FEP-9967 / Mastodon votes do: `Create(Note{name: option,
   inReplyTo: question})`. The poll machinery counts it; then « Je viens » records an
   accepted participation (within `maximumAttendeeCapacity`), « Je ne viens pas » removes
   one, « Peut-être » only counts in the poll. A changed count publishes
   `Update(Event{participantCount})` as for a `Join`.
"""

from __future__ import annotations

import functools
import logging
import re
from html import escape
from typing import Any

from ..clock import iso
from ..protocol.addressing import as_list, ref, refs
from ..protocol.vocab import parse_object
from ..protocol.vocab_render import mastodon_summary_for_event
from ..runtime import Runtime
from ..store import events as event_store
from ..store import remote_actors as remote_store
from ..store import rsvp as rsvp_store
from ..store.activities import StoredObject
from . import events, kinds
from .publish import new_id, publish

log = logging.getLogger("fedivoisin.rsvp")

GOING, MAYBE, NOT_GOING = "Je viens", "Peut-être", "Je ne viens pas"
OPTIONS = (GOING, MAYBE, NOT_GOING)
_OBJECT_ID = r"/objects/[A-Za-z0-9_-]+"


@functools.lru_cache(maxsize=8)
def _object_links(origin: str) -> re.Pattern[str]:
    return re.compile(re.escape(origin) + _OBJECT_ID)


def linked_objects(rt: Runtime, obj: dict[str, Any]) -> list[str]:
    """Our object ids a Note points at: inReplyTo, tag hrefs, links in its content."""
    found = [ref(obj.get("inReplyTo"))]
    found += [ref(t.get("href")) for t in as_list(obj.get("tag")) if isinstance(t, dict)]
    content = obj.get("content")
    if isinstance(content, str) and rt.urls.origin in content:
        found += _object_links(rt.urls.origin).findall(content)
    out: list[str] = []
    for uri in found:
        if uri and rt.urls.is_local(uri) and uri not in out:
            out.append(uri)
    return out


def _speaks_to(obj: dict[str, Any], organiser: str) -> bool:
    mentioned = [
        ref(t.get("href"))
        for t in as_list(obj.get("tag"))
        if isinstance(t, dict) and t.get("type") == "Mention"
    ]
    return organiser in mentioned or organiser in refs(obj.get("to")) + refs(obj.get("cc"))


async def event_asked_about(rt: Runtime, obj: dict[str, Any]) -> StoredObject | None:
    """The upcoming event of ours this Note replies to, or links while speaking to its
    organiser; None otherwise."""
    for uri in linked_objects(rt, obj):
        event = await events.local_event(rt, uri)
        if event is None or events.is_cancelled(event.document):
            continue
        if event.start_time is not None and event.start_time <= rt.clock.now():
            continue
        if ref(obj.get("inReplyTo")) == uri or _speaks_to(obj, event.attributed_to):
            return event
    return None


def question_for(
    rt: Runtime, event: StoredObject, person: str, reply_to: str | None
) -> dict[str, Any]:
    parsed = parse_object(event.document)
    title = parsed.name or "l’événement"
    when = mastodon_summary_for_event(event.document)
    user = person.rstrip("/").rsplit("/", 1)[-1]
    text = (
        f'<p><span class="h-card"><a class="u-url mention" href="{escape(person)}">'
        f"@{escape(user)}</a></span> Venez-vous à « {escape(title)} »"
        f"{' (' + escape(when) + ')' if when else ''} ? Votre réponse à ce sondage compte"
        f' comme inscription : <a href="{escape(event.uri)}">{escape(event.uri)}</a></p>'
    )
    question: dict[str, Any] = {
        "id": new_id(rt, "object"),
        "type": "Question",
        "attributedTo": event.attributed_to,
        "published": iso(rt.clock.now()),
        "content": text,
        "contentMap": {"fr": text},
        "oneOf": [
            {"type": "Note", "name": o, "replies": {"type": "Collection", "totalItems": 0}}
            for o in OPTIONS
        ],
        "votersCount": 0,
        "to": [person],
        "tag": [{"type": "Mention", "href": person, "name": f"@{user}"}],
    }
    if event.start_time is not None:
        question["endTime"] = iso(event.start_time)
    if reply_to:
        question["inReplyTo"] = reply_to
    question["url"] = question["id"]
    return question


async def offer(rt: Runtime, event: StoredObject, person: str, reply_to: str | None) -> bool:
    """Send `person` the RSVP poll of `event`, once; True when sent."""
    if rt.urls.is_local(person) or person == event.attributed_to:
        return False  # our residents join directly (C2S Join, or the page's form)
    if await event_store.get(rt.store, event.uri, person) is not None:
        return False
    organiser = await kinds.author_of(rt, event)
    if organiser is None:
        return False
    question = question_for(rt, event, person, reply_to)
    if not await rsvp_store.claim(rt.store, event.uri, person, question["id"], rt.clock.now()):
        return False
    await publish(rt, organiser, {"type": "Create", "object": question, "to": [person]})
    log.info("RSVP poll %s sent to %s for %s", question["id"], person, event.uri)
    return True


#: At most this many people are asked by one event's mentions (a typo'd list of hundreds
#: of handles must not turn into hundreds of direct messages).
MAX_MENTIONED = 20


async def offer_to_mentioned(rt: Runtime, obj: dict[str, Any]) -> int:
    """A new event of ours that mentions remote people asks each of them, as a reply to
    them would: their server shows the event as a post with a link and no "take part"
    button, so the poll is how they can answer. Groups are not asked (a community does
    not take part). Returns how many questions were sent."""
    mentioned = [
        ref(t.get("href"))
        for t in as_list(obj.get("tag"))
        if isinstance(t, dict) and t.get("type") == "Mention"
    ]
    people = [u for u in dict.fromkeys(mentioned) if u and not rt.urls.is_local(u)]
    if not people:
        return 0
    event = await events.local_event(rt, ref(obj.get("id")))
    if event is None or events.is_cancelled(event.document):
        return 0
    if event.start_time is not None and event.start_time <= rt.clock.now():
        return 0
    sent = 0
    for person in people[:MAX_MENTIONED]:
        known = await remote_store.get(rt.store, person)
        if known is not None and known.type == "Group":
            continue
        if await offer(rt, event, person, None):
            sent += 1
    return sent


async def on_vote(rt: Runtime, question: StoredObject, voter: str, choice: Any) -> bool:
    """A counted vote on an RSVP poll becomes participation; False for any other poll."""
    asked = await rsvp_store.event_of(rt.store, question.uri)
    if asked is None:
        return False
    event = await events.local_event(rt, asked[0])
    if event is None or voter != asked[1]:
        return True
    if choice == GOING:
        if await event_store.join_within_capacity(
            rt.store, event.uri, voter, None, rt.clock.now(), events.capacity(event.document)
        ):
            await events.publish_count(rt, event)
    elif choice == NOT_GOING:
        await events.leave(rt, event, voter)
    return True
