"""RSVP questions: the direct polls sent to people whose server cannot send `Join`."""

from __future__ import annotations

from .db import Store


async def claim(
    store: Store, event_uri: str, actor_uri: str, question_uri: str, now: float
) -> bool:
    """Record the question; False when this person was already asked about this event."""
    n = await store.execute(
        "INSERT OR IGNORE INTO rsvp_questions (event_uri, actor_uri, question_uri, created_at)"
        " VALUES (?, ?, ?, ?)",
        (event_uri, actor_uri, question_uri, now),
    )
    return n > 0


async def event_of(store: Store, question_uri: str) -> tuple[str, str] | None:
    """(event, person asked) of an RSVP question, None for any other poll."""
    r = await store.fetchone(
        "SELECT event_uri, actor_uri FROM rsvp_questions WHERE question_uri = ?", (question_uri,)
    )
    return (r["event_uri"], r["actor_uri"]) if r else None
