"""SQL of the Mastodon client API: account and status ids, timelines as keyset queries,
counts, favourites, notifications (read from inbox_items), markers, idempotency keys,
per-resident blocks and mutes. Paging never uses OFFSET: every page is `id < max_id`,
`id > since_id` or `id > min_id` (ascending, then reversed) with a LIMIT.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from .activities import StoredObject, decode_document
from .activities import _object as row_to_object
from .db import Store


@dataclass(frozen=True)
class Page:
    """Keyset bounds of one page (Mastodon's max_id / since_id / min_id / limit)."""

    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20


@dataclass(frozen=True)
class StatusRow:
    id: int
    object_uri: str
    announce_uri: str | None
    account_uri: str
    created_at: float


def _status(r: sqlite3.Row) -> StatusRow:
    return StatusRow(r["id"], r["object_uri"], r["announce_uri"], r["account_uri"], r["created_at"])


def _keyset(column: str, page: Page) -> tuple[str, list[Any], str]:
    """WHERE fragment, its parameters and the ORDER BY (ascending for min_id)."""
    where, params = [], []
    if page.max_id is not None:
        where.append(f"{column} < ?")
        params.append(page.max_id)
    lower = page.min_id if page.min_id is not None else page.since_id
    if lower is not None:
        where.append(f"{column} > ?")
        params.append(lower)
    order = "ASC" if page.min_id is not None else "DESC"
    return (" AND " + " AND ".join(where)) if where else "", params, f"{column} {order}"


# -- ids -------------------------------------------------------------------------------


async def account_id(store: Store, uri: str) -> int:
    r = await store.fetchone("SELECT id FROM account_ids WHERE uri = ?", (uri,))
    if r is not None:
        return int(r["id"])
    await store.execute("INSERT OR IGNORE INTO account_ids (uri) VALUES (?)", (uri,))
    r = await store.fetchone("SELECT id FROM account_ids WHERE uri = ?", (uri,))
    assert r is not None
    return int(r["id"])


async def account_uri(store: Store, id_: int) -> str | None:
    r = await store.fetchone("SELECT uri FROM account_ids WHERE id = ?", (id_,))
    return str(r["uri"]) if r else None


async def status(store: Store, id_: int) -> StatusRow | None:
    r = await store.fetchone("SELECT * FROM statuses WHERE id = ?", (id_,))
    return _status(r) if r else None


async def original_ids(store: Store, object_uris: list[str]) -> dict[str, int]:
    if not object_uris:
        return {}
    marks = ",".join("?" * len(object_uris))
    rows = await store.fetchall(
        # Not `announce_uri IS NULL`: SQLite would walk the NULL entries of the
        # UNIQUE(announce_uri) index, i.e. every original (migration 128).
        f"SELECT id, object_uri FROM statuses WHERE coalesce(announce_uri, '') = ''"
        f" AND object_uri IN ({marks})",
        object_uris,
    )
    return {r["object_uri"]: int(r["id"]) for r in rows}


async def reblog_of(store: Store, object_uri: str, actor_uri: str) -> StatusRow | None:
    r = await store.fetchone(
        "SELECT * FROM statuses WHERE object_uri = ? AND account_uri = ?"
        " AND announce_uri IS NOT NULL ORDER BY id DESC LIMIT 1",
        (object_uri, actor_uri),
    )
    return _status(r) if r else None


# -- timelines ---------------------------------------------------------------------------

_VISIBLE_OBJECT = (
    "JOIN objects o ON o.uri = s.object_uri"
    " WHERE o.deleted IS NULL AND coalesce(o.lifecycle, '') != 'vote'"
)


async def _statuses(store: Store, where: str, params: list[Any], page: Page) -> list[StatusRow]:
    extra, kparams, order = _keyset("s.id", page)
    rows = await store.fetchall(
        f"SELECT s.* FROM statuses s {_VISIBLE_OBJECT} AND ({where}){extra}"
        f" ORDER BY {order} LIMIT ?",
        [*params, *kparams, page.limit],
    )
    out = [_status(r) for r in rows]
    return out[::-1] if page.min_id is not None else out


async def home(store: Store, me: str, page: Page) -> list[StatusRow]:
    """Own statuses, those of followed accounts, posts in followed communities, and
    posts addressed to me by name (mentions, direct)."""
    followed = "SELECT followee FROM follows WHERE follower = ? AND state = 'accepted'"
    where = (
        f"s.account_uri = ? OR s.account_uri IN ({followed})"
        f" OR (s.announce_uri IS NULL AND o.community_uri IN ({followed}))"
        " OR (s.announce_uri IS NULL AND instr(o.addressees, ?) > 0)"
    )
    return await _statuses(store, where, [me, me, me, f'"{me}"'], page)


async def public(store: Store, page: Page, *, local_only: bool) -> list[StatusRow]:
    where = "s.announce_uri IS NULL AND o.public = 1"
    if local_only:
        where += " AND o.local = 1"
    return await _statuses(store, where, [], page)


async def tagged(store: Store, tag: str, page: Page, *, local_only: bool) -> list[StatusRow]:
    where = (
        "s.announce_uri IS NULL AND o.public = 1"
        " AND o.id IN (SELECT object_id FROM object_hashtags WHERE tag = ?)"
    )
    if local_only:
        where += " AND o.local = 1"
    return await _statuses(store, where, [tag.lower().lstrip("#")], page)


async def changed_since(
    store: Store, since: float, *, me: str | None, local_only: bool
) -> list[tuple[int, float | None, float | None]]:
    """Original statuses deleted or edited at or after `since` (streaming's `delete` and
    `status.update`): (status id, deleted, updated). `me` = those of my home timeline's
    authors (myself and whom I follow), else public ones (local only with `local_only`)."""
    if me is not None:
        followed = "SELECT followee FROM follows WHERE follower = ? AND state = 'accepted'"
        scope, params = f"(s.account_uri = ? OR s.account_uri IN ({followed}))", [me, me]
    else:
        scope, params = "o.public = 1" + (" AND o.local = 1" if local_only else ""), []
    # From the few objects changed since then (objects_deleted, objects_updated), never
    # from every original status: CROSS JOIN fixes SQLite's join order (PostgreSQL plans
    # it as an inner join), and `coalesce` keeps it off the NULLs of UNIQUE(announce_uri).
    rows = await store.fetchall(
        "SELECT s.id, o.deleted, o.updated FROM objects o CROSS JOIN statuses s"
        " WHERE s.object_uri = o.uri AND coalesce(s.announce_uri, '') = ''"
        f" AND (o.deleted >= ? OR o.updated >= ?) AND {scope} ORDER BY s.id LIMIT 200",
        [since, since, *params],
    )
    return [(int(r["id"]), r["deleted"], r["updated"]) for r in rows]


async def by_account(
    store: Store, uri: str, page: Page, *, exclude_replies: bool, exclude_reblogs: bool
) -> list[StatusRow]:
    where = "s.account_uri = ?"
    if exclude_replies:
        where += " AND (o.in_reply_to IS NULL OR s.announce_uri IS NOT NULL)"
    if exclude_reblogs:  # by statuses_account, not the NULLs of UNIQUE(announce_uri)
        where += " AND coalesce(s.announce_uri, '') = ''"
    return await _statuses(store, where, [uri], page)


async def count_by_account(store: Store, uri: str) -> tuple[int, float | None]:
    """How many statuses the account has, and when it last posted."""
    r = await store.fetchone(
        f"SELECT count(*) AS n, max(s.created_at) AS last FROM statuses s {_VISIBLE_OBJECT}"
        " AND s.account_uri = ?",
        (uri,),
    )
    return (int(r["n"]), r["last"]) if r else (0, None)


async def search_statuses(store: Store, text: str, limit: int) -> list[StatusRow]:
    """Local public statuses whose content contains the text (case-insensitive)."""
    like = "%" + text.replace("%", "").replace("_", "") + "%"
    rows = await store.fetchall(
        f"SELECT s.* FROM statuses s {_VISIBLE_OBJECT} AND s.announce_uri IS NULL"
        " AND o.local = 1 AND o.public = 1 AND (json_extract(o.document, '$.content') LIKE ?"
        " OR json_extract(o.document, '$.name') LIKE ?) ORDER BY s.id DESC LIMIT ?",
        (like, like, limit),
    )
    return [_status(r) for r in rows]


# -- counts and the viewer's own interactions ------------------------------------------------


async def counts(store: Store, uris: list[str]) -> dict[str, tuple[int, int, int]]:
    """object uri → (replies, reblogs, favourites), in one statement."""
    if not uris:
        return {}
    marks = ",".join("?" * len(uris))
    rows = await store.fetchall(
        "SELECT 0 AS w, in_reply_to AS k, count(*) AS n FROM objects"
        f" WHERE in_reply_to IN ({marks}) AND deleted IS NULL"
        " AND coalesce(lifecycle, '') != 'vote' GROUP BY in_reply_to"
        " UNION ALL SELECT 1, object_uri, count(*) FROM statuses"
        f" WHERE object_uri IN ({marks}) AND announce_uri IS NOT NULL GROUP BY object_uri"
        " UNION ALL SELECT 2, object_uri, count(*) FROM favourites"
        f" WHERE object_uri IN ({marks}) GROUP BY object_uri",
        [*uris, *uris, *uris],
    )
    found = {u: [0, 0, 0] for u in uris}
    for r in rows:
        found[r["k"]][r["w"]] = int(r["n"])
    return {u: (c[0], c[1], c[2]) for u, c in found.items()}


async def mine(store: Store, uris: list[str], me: str) -> tuple[set[str], set[str]]:
    """Which of these objects the viewer favourited, and reblogged (one statement)."""
    if not uris:
        return set(), set()
    marks = ",".join("?" * len(uris))
    rows = await store.fetchall(
        "SELECT 0 AS w, object_uri FROM favourites WHERE actor_uri = ?"
        f" AND object_uri IN ({marks})"
        " UNION ALL SELECT 1, object_uri FROM statuses WHERE account_uri = ?"
        f" AND announce_uri IS NOT NULL AND object_uri IN ({marks})",
        [me, *uris, me, *uris],
    )
    return (
        {r["object_uri"] for r in rows if r["w"] == 0},
        {r["object_uri"] for r in rows if r["w"] == 1},
    )


async def favourite_activity(store: Store, object_uri: str, me: str) -> str | None:
    r = await store.fetchone(
        "SELECT activity_uri FROM favourites WHERE object_uri = ? AND actor_uri = ?",
        (object_uri, me),
    )
    return str(r["activity_uri"]) if r else None


async def local_interactors(store: Store, object_uri: str, origin: str) -> list[str]:
    """Our residents who favourited, reblogged or replied to a status (they are told of its
    edits: Mastodon's `update` notification)."""
    like = origin + "/%"
    rows = await store.fetchall(
        "SELECT actor_uri AS who FROM favourites WHERE object_uri = ? AND actor_uri LIKE ?"
        " UNION SELECT account_uri AS who FROM statuses WHERE object_uri = ?"
        " AND announce_uri IS NOT NULL AND account_uri LIKE ?"
        " UNION SELECT attributed_to AS who FROM objects WHERE in_reply_to = ? AND local = 1"
        " AND deleted IS NULL AND coalesce(lifecycle, '') != 'vote'",
        (object_uri, like, object_uri, like, object_uri),
    )
    return [r["who"] for r in rows]


async def replied(store: Store, object_uri: str, me: str) -> bool:
    r = await store.fetchone(
        "SELECT 1 FROM objects WHERE in_reply_to = ? AND attributed_to = ? AND deleted IS NULL"
        " AND coalesce(lifecycle, '') != 'vote'",
        (object_uri, me),
    )
    return r is not None


async def favouriters(store: Store, object_uri: str, limit: int) -> list[str]:
    rows = await store.fetchall(
        "SELECT actor_uri FROM favourites WHERE object_uri = ? ORDER BY created_at DESC LIMIT ?",
        (object_uri, limit),
    )
    return [r["actor_uri"] for r in rows]


async def rebloggers(store: Store, object_uri: str, limit: int) -> list[str]:
    rows = await store.fetchall(
        "SELECT account_uri FROM statuses WHERE object_uri = ? AND announce_uri IS NOT NULL"
        " ORDER BY id DESC LIMIT ?",
        (object_uri, limit),
    )
    return [r["account_uri"] for r in rows]


async def own_votes(store: Store, question_uri: str, voter: str) -> set[str]:
    """Options the voter chose, from their own vote Notes (known at once, local or remote
    poll, before the poll's server has counted them)."""
    rows = await store.fetchall(
        "SELECT document FROM objects WHERE in_reply_to = ?"
        " AND attributed_to = ? AND deleted IS NULL AND lifecycle = 'vote'",
        (question_uri, voter),
    )
    return {str(decode_document(r["document"]).get("name")) for r in rows}


async def record_reblog(
    store: Store, object_uri: str, announce_uri: str, actor_uri: str, now: float
) -> None:
    await store.execute(
        "INSERT OR IGNORE INTO statuses (object_uri, announce_uri, account_uri, created_at)"
        " VALUES (?, ?, ?, ?)",
        (object_uri, announce_uri, actor_uri, now),
    )


async def objects(store: Store, uris: list[str]) -> dict[str, StoredObject]:
    """Several objects in one query (a timeline page)."""
    if not uris:
        return {}
    marks = ",".join("?" * len(uris))
    rows = await store.fetchall(f"SELECT * FROM objects WHERE uri IN ({marks})", uris)
    return {r["uri"]: row_to_object(r) for r in rows}
