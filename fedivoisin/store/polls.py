"""Poll votes (FEP-9967): one row per (question, voter, choice).

A single-choice poll takes one vote per voter (the first one); a multiple-choice poll one
per voter and option. Duplicates are refused by the database, so redelivery is harmless.
"""

from __future__ import annotations

from .activities import decode_document, object_document_value
from .db import Store


async def add(
    store: Store,
    question_uri: str,
    voter: str,
    choice: str,
    vote_uri: str | None,
    now: float,
    *,
    single: bool,
) -> bool:
    """Record a vote; False when it is a duplicate (or a second vote on a single choice)."""
    guard = (
        " WHERE NOT EXISTS (SELECT 1 FROM votes WHERE question_uri = ? AND voter = ?)"
        if single
        else ""
    )
    params: tuple[object, ...] = (question_uri, voter, choice, vote_uri, now)
    if single:
        params += (question_uri, voter)
    n = await store.execute(
        "INSERT OR IGNORE INTO votes (question_uri, voter, choice, vote_uri, created_at)"
        " SELECT ?, ?, ?, ?, ?" + guard,
        params,
    )
    return n > 0


async def tally(store: Store, question_uri: str) -> dict[str, int]:
    rows = await store.fetchall(
        "SELECT choice, count(*) AS n FROM votes WHERE question_uri = ? GROUP BY choice",
        (question_uri,),
    )
    return {r["choice"]: int(r["n"]) for r in rows}


async def voters_count(store: Store, question_uri: str) -> int:
    r = await store.fetchone(
        "SELECT count(DISTINCT voter) AS n FROM votes WHERE question_uri = ?", (question_uri,)
    )
    return int(r["n"]) if r else 0


async def voters(store: Store, question_uri: str) -> list[str]:
    rows = await store.fetchall(
        "SELECT DISTINCT voter FROM votes WHERE question_uri = ? ORDER BY voter", (question_uri,)
    )
    return [r["voter"] for r in rows]


async def has_voted(store: Store, question_uri: str, voter: str, choice: str | None = None) -> bool:
    sql = "SELECT 1 FROM votes WHERE question_uri = ? AND voter = ?"
    params: tuple[object, ...] = (question_uri, voter)
    if choice is not None:
        sql += " AND choice = ?"
        params += (choice,)
    return await store.fetchone(sql, params) is not None


async def mark_closed(store: Store, question_uri: str, closed: str) -> bool:
    """Set `closed` on a stored question once; False if it was already closed.

    A compare-and-set on the whole document (the UPDATE names the text it read), so two
    processes closing the same poll at once cannot both win, on either engine."""
    for _ in range(5):
        row = await store.fetchone(
            "SELECT document, local FROM objects WHERE uri = ?", (question_uri,)
        )
        if row is None:
            return False
        old = row["document"]
        doc = decode_document(old)
        if doc.get("closed") is not None:
            return False
        doc["closed"] = closed
        n = await store.execute(
            "UPDATE objects SET document = ?, lifecycle = 'closed' WHERE uri = ? AND document = ?",
            (object_document_value(store, doc, bool(row["local"])), question_uri, old),
        )
        if n > 0:
            return True
    return False


async def ended_open_candidates(
    store: Store, now: float, since: float, involving: str | None = None
) -> list[str]:
    """Our polls whose end time passed in (since, now], optionally only those `involving`
    wrote or voted in: the ones `close_if_ended` may still have to close."""
    sql = (
        "SELECT o.uri FROM objects o WHERE o.kind = 'poll' AND o.local = 1"
        " AND o.deleted IS NULL AND o.end_time <= ? AND o.end_time > ?"
    )
    params: list[object] = [now, since]
    if involving is not None:
        sql += (
            " AND (o.attributed_to = ? OR EXISTS (SELECT 1 FROM votes v"
            " WHERE v.question_uri = o.uri AND v.voter = ?))"
        )
        params += [involving, involving]
    rows = await store.fetchall(sql + " ORDER BY o.end_time", params)
    return [r["uri"] for r in rows]
