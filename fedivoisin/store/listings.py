"""What a community lists: its public objects of one kind, filtered by lifecycle and time.

An object belongs to a community by `audience` (the community_uri column) or by being the
community's own post. Only public, undeleted objects are ever listed: members-only and
direct objects never appear in a collection or a feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .activities import StoredObject
from .activities import _object as row_to_object
from .db import Store


@dataclass(frozen=True)
class Listing:
    """A named filter: SQL condition on `objects` with `:now` as its only parameter."""

    kinds: tuple[str, ...]
    where: str = ""
    order: str = "published DESC, id DESC"
    uses_now: bool = False
    #: when an item leaves the listing by itself (time passing), as an SQL expression;
    #: None when the listing depends on writes only.
    leaves: str | None = None

    @property
    def sort_column(self) -> str:
        return self.order.split()[0]

    @property
    def descending(self) -> bool:
        return self.order.split(",")[0].strip().upper().endswith("DESC")


def _sql(listing: Listing, public_only: bool = True) -> str:
    marks = ", ".join("?" for _ in listing.kinds)
    sql = (
        "FROM objects WHERE (community_uri = ? OR attributed_to = ?)"
        f" AND kind IN ({marks}) AND deleted IS NULL"
    )
    if public_only:
        sql += " AND public = 1"
    if listing.where:
        sql += " AND " + listing.where
    return sql


def _params(listing: Listing, community: str, now: float) -> tuple[Any, ...]:
    params: tuple[Any, ...] = (community, community, *listing.kinds)
    if listing.uses_now:
        params += (now,) * listing.where.count("?")
    return params


async def page(
    store: Store,
    listing: Listing,
    community: str,
    *,
    now: float,
    size: int,
    after: tuple[float, int] | None = None,
    public_only: bool = True,
) -> list[tuple[tuple[float, int], StoredObject]]:
    """One keyset page: the items after the cursor `(sort value, id)` in the listing's
    order (no OFFSET). Each item comes with its own cursor, for the next page's link.

    `public_only=False` also returns non-public rows: only for a caller that then asks
    `outbox.visibility.visible_to` about each one (the HTML pages for a member)."""
    col = listing.sort_column
    sql = f"SELECT * {_sql(listing, public_only)}"
    params: tuple[Any, ...] = _params(listing, community, now)
    if after is not None:
        op = "<" if listing.descending else ">"
        sql += f" AND ({col} {op} ? OR ({col} = ? AND id {op} ?))"
        params += (after[0], after[0], after[1])
    rows = await store.fetchall(f"{sql} ORDER BY {listing.order} LIMIT ?", (*params, size))
    return [((r[col], int(r["id"])), row_to_object(r)) for r in rows]


async def next_change(store: Store, listing: Listing, community: str, now: float) -> float | None:
    """The next moment the listing changes by itself (an item's start or end passes), so
    a cached rendering knows when it lapses; None when only writes change it."""
    if listing.leaves is None:
        return None
    marks = ", ".join("?" for _ in listing.kinds)
    r = await store.fetchone(
        f"SELECT min({listing.leaves}) FROM objects WHERE (community_uri = ? OR attributed_to = ?)"
        f" AND kind IN ({marks}) AND public = 1 AND deleted IS NULL AND {listing.leaves} >= ?",
        (community, community, *listing.kinds, now),
    )
    return float(r[0]) if r and r[0] is not None else None


async def sections(
    store: Store,
    wanted: list[tuple[str, Listing, int]],
    community: str,
    *,
    now: float,
    public_only: bool = True,
) -> dict[str, list[StoredObject]]:
    """The first `size` rows of several listings in ONE query (a community's page shows
    five of them: one round trip instead of five)."""
    parts: list[str] = []
    params: list[Any] = []
    for i, (_, listing, size) in enumerate(wanted):
        parts.append(
            f"SELECT * FROM (SELECT {i} AS section, * {_sql(listing, public_only)}"
            f" ORDER BY {listing.order} LIMIT ?) AS s{i}"
        )
        params += [*_params(listing, community, now), size]
    rows = await store.fetchall(" UNION ALL ".join(parts), tuple(params))
    out: dict[str, list[StoredObject]] = {name: [] for name, _, _ in wanted}
    for r in rows:
        out[wanted[r["section"]][0]].append(row_to_object(r))
    return out


async def by_author(
    store: Store, author: str, *, size: int, after: tuple[float, int] | None = None
) -> list[tuple[tuple[float, int], StoredObject]]:
    """An actor's public top-level posts, newest first, one keyset page (their profile)."""
    sql = (
        "SELECT * FROM objects WHERE attributed_to = ? AND public = 1 AND deleted IS NULL"
        " AND in_reply_to IS NULL"
    )
    params: tuple[Any, ...] = (author,)
    if after is not None:
        sql += " AND (published < ? OR (published = ? AND id < ?))"
        params += (after[0], after[0], after[1])
    rows = await store.fetchall(sql + " ORDER BY published DESC, id DESC LIMIT ?", (*params, size))
    return [((r["published"], int(r["id"])), row_to_object(r)) for r in rows]


async def count(store: Store, listing: Listing, community: str, *, now: float) -> int:
    r = await store.fetchone(
        f"SELECT count(*) AS n {_sql(listing)}", _params(listing, community, now)
    )
    return int(r["n"]) if r else 0


async def ended_polls(store: Store, community: str, now: float) -> list[StoredObject]:
    """Local polls of the community past their end that are not marked closed yet."""
    rows = await store.fetchall(
        "SELECT * FROM objects WHERE (community_uri = ? OR attributed_to = ?) AND kind = 'poll'"
        " AND local = 1 AND deleted IS NULL AND lifecycle = 'open' AND end_time <= ?",
        (community, community, now),
    )
    return [row_to_object(r) for r in rows]


UPCOMING_EVENTS = Listing(
    ("event",), "start_time >= ?", "start_time ASC, id ASC", True, leaves="start_time"
)
OPEN_PROPOSALS = Listing(
    ("proposal",),
    "lifecycle = 'open' AND (end_time IS NULL OR end_time > ?)",
    uses_now=True,
    leaves="end_time",
)
ACTIVE_ALERTS = Listing(
    ("alert",),
    "lifecycle = 'active' AND (end_time IS NULL OR end_time > ?)",
    uses_now=True,
    leaves="end_time",
)
RECENT_NEWS = Listing(("news",))
OPEN_POLLS = Listing(
    ("poll",),
    "lifecycle = 'open' AND (end_time IS NULL OR end_time > ?)",
    uses_now=True,
    leaves="end_time",
)
#: The Atom feed: every public top-level post of the community, newest first.
POSTS = Listing(
    ("note", "event", "proposal", "alert", "news", "poll", "report"), "in_reply_to IS NULL"
)
#: The calendar: upcoming events and those that ended in the last 30 days.
CALENDAR = Listing(
    ("event",),
    "coalesce(end_time, start_time) >= ? - 2592000",
    "start_time ASC, id ASC",
    True,
    leaves="coalesce(end_time, start_time) + 2592000",
)
