"""Community membership: who may post to a community and see members-only posts."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .db import Store


@dataclass(frozen=True)
class Member:
    community: str
    member: str
    role: str
    state: str
    may_alert: bool
    title: str | None
    inbox: str | None
    shared_inbox: str | None
    activity_uri: str | None


def _row(r: sqlite3.Row) -> Member:
    return Member(
        r["community"],
        r["member"],
        r["role"],
        r["state"],
        bool(r["may_alert"]),
        r["title"],
        r["inbox"],
        r["shared_inbox"],
        r["activity_uri"],
    )


async def upsert(
    store: Store,
    community: str,
    member: str,
    *,
    now: float,
    role: str = "member",
    state: str = "accepted",
    inbox: str | None = None,
    shared_inbox: str | None = None,
    activity_uri: str | None = None,
) -> None:
    await store.execute(
        "INSERT INTO members (community, member, role, state, inbox, shared_inbox, activity_uri, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(community, member) DO UPDATE SET"
        "  state = CASE WHEN members.state = 'banned' THEN 'banned' ELSE excluded.state END,"
        "  inbox = coalesce(excluded.inbox, members.inbox),"
        "  shared_inbox = coalesce(excluded.shared_inbox, members.shared_inbox),"
        "  activity_uri = coalesce(excluded.activity_uri, members.activity_uri)",
        (community, member, role, state, inbox, shared_inbox, activity_uri, now),
    )


async def get(store: Store, community: str, member: str) -> Member | None:
    r = await store.fetchone(
        "SELECT * FROM members WHERE community = ? AND member = ?", (community, member)
    )
    return _row(r) if r else None


async def is_member(store: Store, community: str, member: str) -> bool:
    m = await get(store, community, member)
    return m is not None and m.state == "accepted"


async def members(store: Store, community: str, *, state: str = "accepted") -> list[Member]:
    rows = await store.fetchall(
        "SELECT * FROM members WHERE community = ? AND state = ? ORDER BY id", (community, state)
    )
    return [_row(r) for r in rows]


async def set_fields(store: Store, community: str, member: str, **fields: object) -> bool:
    sets = ", ".join(f"{k} = ?" for k in fields)
    return (
        await store.execute(
            f"UPDATE members SET {sets} WHERE community = ? AND member = ?",
            (*fields.values(), community, member),
        )
        > 0
    )


async def remove(store: Store, community: str, member: str) -> bool:
    return (
        await store.execute(
            "DELETE FROM members WHERE community = ? AND member = ?", (community, member)
        )
        > 0
    )


async def count(store: Store, community: str) -> int:
    r = await store.fetchone(
        "SELECT count(*) AS n FROM members WHERE community = ? AND state = 'accepted'", (community,)
    )
    return int(r["n"]) if r else 0


async def community_counts(store: Store, community: str) -> tuple[int, int]:
    """(accepted members, accepted followers) of a community, in one query (its page)."""
    r = await store.fetchone(
        "SELECT (SELECT count(*) FROM members WHERE community = ? AND state = 'accepted') AS m,"
        " (SELECT count(*) FROM follows WHERE followee = ? AND state = 'accepted') AS f",
        (community, community),
    )
    return (int(r["m"]), int(r["f"])) if r else (0, 0)


async def page_of(
    store: Store, community: str, *, max_id: int | None, size: int
) -> list[tuple[int, str]]:
    """Accepted members of `community`, newest first, keyset-paged by row id (below
    `max_id`): the members collection (web/routes/members.py)."""
    sql = "SELECT id, member FROM members WHERE community = ? AND state = 'accepted'"
    params: list[object] = [community]
    if max_id is not None:
        sql += " AND id < ?"
        params.append(max_id)
    rows = await store.fetchall(sql + " ORDER BY id DESC LIMIT ?", (*params, size))
    return [(int(r["id"]), r["member"]) for r in rows]
