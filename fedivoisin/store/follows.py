"""Follow relations, local and remote, keyed by actor URIs."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass

from . import versions
from .db import Store
from .memo import batching, forget, memoised, prime


@dataclass(frozen=True)
class Follow:
    follower: str
    followee: str
    state: str
    activity_uri: str | None
    inbox: str | None
    shared_inbox: str | None


def _row(r: sqlite3.Row) -> Follow:
    return Follow(
        r["follower"], r["followee"], r["state"], r["activity_uri"], r["inbox"], r["shared_inbox"]
    )


async def upsert(
    store: Store,
    follower: str,
    followee: str,
    state: str,
    activity_uri: str | None,
    now: float,
    *,
    inbox: str | None = None,
    shared_inbox: str | None = None,
) -> None:
    await store.execute(
        "INSERT INTO follows (follower, followee, state, activity_uri, inbox, shared_inbox, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(follower, followee) DO UPDATE SET"
        "  state = CASE WHEN follows.state = 'accepted' THEN 'accepted' ELSE excluded.state END,"
        "  activity_uri = excluded.activity_uri,"
        "  inbox = coalesce(excluded.inbox, follows.inbox),"
        "  shared_inbox = coalesce(excluded.shared_inbox, follows.shared_inbox)",
        (follower, followee, state, activity_uri, inbox, shared_inbox, now),
    )
    forget()  # an inbox batch's memoised following_of must see it (store/memo.py)


async def get(store: Store, follower: str, followee: str) -> Follow | None:
    r = await store.fetchone(
        "SELECT * FROM follows WHERE follower = ? AND followee = ?", (follower, followee)
    )
    return _row(r) if r else None


async def by_activity(store: Store, activity_uri: str) -> Follow | None:
    r = await store.fetchone("SELECT * FROM follows WHERE activity_uri = ?", (activity_uri,))
    return _row(r) if r else None


async def set_state(store: Store, follower: str, followee: str, state: str) -> bool:
    forget()
    return (
        await store.execute(
            "UPDATE follows SET state = ? WHERE follower = ? AND followee = ?",
            (state, follower, followee),
        )
        > 0
    )


async def remove(store: Store, follower: str, followee: str) -> bool:
    forget()
    return (
        await store.execute(
            "DELETE FROM follows WHERE follower = ? AND followee = ?", (follower, followee)
        )
        > 0
    )


async def remove_actor(store: Store, actor_uri: str) -> int:
    forget()
    return await store.execute(
        "DELETE FROM follows WHERE follower = ? OR followee = ?", (actor_uri, actor_uri)
    )


async def count(store: Store, *, followee: str | None = None, follower: str | None = None) -> int:
    """Accepted follows, from the counters the triggers keep (migration 050)."""
    if followee is not None:
        return await versions.counter(store, followee, "followers")
    assert follower is not None
    return await versions.counter(store, follower, "following")


async def followers(store: Store, followee: str, *, state: str = "accepted") -> list[Follow]:
    rows = await store.fetchall(
        "SELECT * FROM follows WHERE followee = ? AND state = ? ORDER BY id", (followee, state)
    )
    return [_row(r) for r in rows]


async def follower_inboxes(store: Store, followee: str) -> list[tuple[str, str | None, str | None]]:
    """(follower, inbox, shared inbox) of the accepted followers: only what a fan-out
    needs, 10,000 rows read without building a Follow each."""
    rows = await store.fetchall(
        "SELECT follower, inbox, shared_inbox FROM follows"
        " WHERE followee = ? AND state = 'accepted' ORDER BY id",
        (followee,),
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def following(store: Store, follower: str, *, state: str | None = None) -> list[Follow]:
    if state is None:
        rows = await store.fetchall(
            "SELECT * FROM follows WHERE follower = ? ORDER BY id", (follower,)
        )
    else:
        rows = await store.fetchall(
            "SELECT * FROM follows WHERE follower = ? AND state = ? ORDER BY id",
            (follower, state),
        )
    return [_row(r) for r in rows]


async def page_of(
    store: Store,
    *,
    followee: str | None = None,
    follower: str | None = None,
    max_id: int | None,
    size: int,
) -> list[tuple[int, str]]:
    """Newest first, keyset-paged by row id (below `max_id`)."""
    if followee is not None:
        sql = "SELECT id, follower AS u FROM follows WHERE followee = ? AND state = 'accepted'"
        params: list[object] = [followee]
    else:
        sql = "SELECT id, followee AS u FROM follows WHERE follower = ? AND state = 'accepted'"
        params = [follower]
    if max_id is not None:
        sql += " AND id < ?"
        params.append(max_id)
    rows = await store.fetchall(sql + " ORDER BY id DESC LIMIT ?", (*params, size))
    return [(int(r["id"]), r["u"]) for r in rows]


async def following_of(store: Store, followee: str, *, prefix: str) -> list[str]:
    """Accepted followers of `followee` whose URI starts with `prefix` (our local actors).
    Memoised in an inbox batch, which reads it for all its senders at once (below); every
    write above forgets the batch's memo, so an Accept earlier in the batch is seen."""
    return await memoised(
        ("following_of", followee, prefix), lambda: _following_of(store, followee, prefix)
    )


async def _following_of(store: Store, followee: str, prefix: str) -> list[str]:
    rows = await store.fetchall(
        "SELECT follower FROM follows WHERE followee = ? AND state = 'accepted'"
        " AND substr(follower, 1, ?) = ?",
        (followee, len(prefix), prefix),
    )
    return [r["follower"] for r in rows]


async def prefetch_following_of(store: Store, followees: Collection[str], *, prefix: str) -> None:
    """following_of() for every sender of an inbox batch, in one query (a statement per
    received activity saved; on PostgreSQL a round trip)."""
    if not followees or not batching():
        return
    marks = ", ".join("?" for _ in followees)
    rows = await store.fetchall(
        f"SELECT followee, follower FROM follows WHERE followee IN ({marks})"
        " AND state = 'accepted' AND substr(follower, 1, ?) = ?",
        (*followees, len(prefix), prefix),
    )
    found: dict[str, list[str]] = {f: [] for f in followees}
    for r in rows:
        found[str(r[0])].append(str(r[1]))
    for followee, followers in found.items():
        prime(("following_of", followee, prefix), followers)
