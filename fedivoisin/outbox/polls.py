"""Polls (FEP-9967, Mastodon-compatible `Question`): counting votes and publishing results.

A vote is `Create(Note{name, inReplyTo: question})` without content, addressed to the
author. We count one vote per voter (per option for `anyOf`), local and remote alike, refuse
votes after `endTime`, for unknown options and on one's own poll, and publish each new count
as `Update(Question)` (options' `replies.totalItems`, `votersCount`) to the question's
audience and its remote voters. A poll past its end gets `closed` (its end time, as Mastodon
writes it) the first time it is fetched or listed, or by the retention worker's pass,
announced by one last Update that also notifies its author and voters.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from ..errors import InvalidActivity
from ..protocol.addressing import as_list, ref
from ..protocol.vocab import parse_object
from ..runtime import Runtime
from ..store import activities as activity_store
from ..store import inbox_items
from ..store import polls as poll_store
from ..store.activities import StoredObject
from ..store.actors import LocalActor
from . import kinds

log = logging.getLogger("fedivoisin.polls")


def is_vote(obj: dict[str, Any]) -> bool:
    """FEP-9967: a Note with `name` and `inReplyTo` and no content."""
    return (
        obj.get("type") == "Note"
        and isinstance(obj.get("name"), str)
        and ref(obj.get("inReplyTo")) is not None
        and "content" not in obj
        and "contentMap" not in obj
    )


def _now(rt: Runtime) -> datetime:
    return datetime.fromtimestamp(rt.clock.now(), UTC)


def refusal(rt: Runtime, question: StoredObject, voter: str, choice: Any) -> InvalidActivity | None:
    """Why this vote cannot count (a 400 naming the field), or None."""
    poll = parse_object(question.document).poll
    if question.kind != "poll" or poll is None or question.deleted is not None:
        return InvalidActivity("inReplyTo: this is not a poll", field="inReplyTo")
    if poll.is_closed(_now(rt)):
        return InvalidActivity("inReplyTo: the poll is closed (endTime passed)", field="inReplyTo")
    if voter == question.attributed_to:
        return InvalidActivity("inReplyTo: you cannot vote on your own poll", field="inReplyTo")
    if choice not in [o.name for o in poll.options]:
        return InvalidActivity(f"name: {choice!r} is not an option of this poll", field="name")
    return None


async def prepare_vote(rt: Runtime, actor: LocalActor, obj: dict[str, Any]) -> None:
    """C2S: refuse a vote that cannot count on a poll we know, and address it to the author."""
    if not is_vote(obj):
        return
    question = await activity_store.get_object(rt.store, ref(obj["inReplyTo"]) or "")
    if question is None or question.kind != "poll":
        return  # a poll we have never seen: its server decides
    me = rt.urls.actor(actor.slug)
    reason = refusal(rt, question, me, obj["name"])
    if reason is not None:
        raise reason
    poll = parse_object(question.document).poll
    if question.local and poll is not None:
        choice = None if not poll.multiple else obj["name"]
        if await poll_store.has_voted(rt.store, question.uri, me, choice):
            raise InvalidActivity("inReplyTo: you already voted on this poll", field="inReplyTo")
    to = as_list(obj.get("to"))
    if question.attributed_to not in to:
        obj["to"] = [*to, question.attributed_to]


async def record_vote(
    rt: Runtime, question: StoredObject, voter: str, vote: dict[str, Any]
) -> bool:
    """Count a received vote on our poll and publish the new result; False if refused."""
    reason = refusal(rt, question, voter, vote.get("name"))
    if reason is not None:
        log.info("vote %s by %s refused: %s", vote.get("id"), voter, reason.detail)
        if question.kind == "poll":
            await close_if_ended(rt, question)
        return False
    poll = parse_object(question.document).poll
    assert poll is not None
    counted = await poll_store.add(
        rt.store,
        question.uri,
        voter,
        vote["name"],
        ref(vote.get("id")),
        rt.clock.now(),
        single=not poll.multiple,
    )
    if not counted:
        log.info("vote %s by %s ignored: already voted", vote.get("id"), voter)
        return False
    await publish_result(rt, question)
    return True


async def publish_result(
    rt: Runtime, question: StoredObject, changes: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    author = await kinds.author_of(rt, question)
    if author is None:
        return None
    fresh = await activity_store.get_object(rt.store, question.uri) or question
    tally = await poll_store.tally(rt.store, question.uri)
    voters = await poll_store.voters(rt.store, question.uri)
    doc = kinds.with_tally(fresh.document, tally, len(voters))
    remote_voters = [v for v in voters if not rt.urls.is_local(v)]
    return await kinds.republish(rt, author, "poll", doc, changes or {}, extra=remote_voters)


async def close_if_ended(rt: Runtime, question: StoredObject) -> StoredObject:
    """Mark our ended poll `closed` once (with a final Update); returns the fresh copy."""
    if question.kind != "poll" or not question.local or question.deleted is not None:
        return question
    if "closed" in question.document or question.end_time is None:
        return question
    if question.end_time > rt.clock.now():
        return question
    closed = question.document.get("endTime")
    if not isinstance(closed, str):
        return question
    if await poll_store.mark_closed(rt.store, question.uri, closed):
        activity = await publish_result(rt, question, {"closed": closed})
        if activity is not None and isinstance(activity.get("id"), str):
            await _tell_ended(rt, question, activity["id"])
    return await activity_store.get_object(rt.store, question.uri) or question


async def _tell_ended(rt: Runtime, question: StoredObject, activity_uri: str) -> None:
    """The closing Update reaches the author's and every local voter's notifications
    (Mastodon's `poll` notification); remote voters receive the Update itself."""
    people = [question.attributed_to, *await poll_store.voters(rt.store, question.uri)]
    local: list[str] = []
    for uri in dict.fromkeys(people):
        slug = rt.urls.slug_of(uri)
        if slug and uri == rt.urls.actor(slug):
            local.append(slug)
    await inbox_items.add_many(rt.store, local, activity_uri, rt.clock.now())


#: How far back a pass looks for polls that ended unnoticed (a server down longer than
#: this closes them on their next read, without a notification).
ENDED_WINDOW = 30 * 86400.0


async def close_ended(rt: Runtime, involving: str | None = None) -> int:
    """Close every poll of ours that has ended (the retention worker's pass, and a
    resident's notifications read for the polls they wrote or voted in)."""
    now = rt.clock.now()
    done = 0
    for uri in await poll_store.ended_open_candidates(rt.store, now, now - ENDED_WINDOW, involving):
        question = await activity_store.get_object(rt.store, uri)
        if question is not None and "closed" not in question.document:
            await close_if_ended(rt, question)
            done += 1
    return done
