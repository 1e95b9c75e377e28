"""Per-resident state of the Mastodon client API: notifications (read from inbox_items),
markers, idempotency keys, blocks and mutes, follow lists, account search. Keyset paging
as in store/mastodon.py, never OFFSET."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from .db import Store
from .mastodon import Page, _keyset

# -- notifications: the resident's inbox items, newest first -----------------------------------


@dataclass(frozen=True)
class InboxEntry:
    id: int
    received_at: float
    activity_uri: str
    type: str
    actor_uri: str
    object_uri: str | None
    document: str | bytes


async def inbox_entries(store: Store, slug: str, page: Page) -> list[InboxEntry]:
    extra, params, order = _keyset("i.id", page)
    rows = await store.fetchall(
        "SELECT i.id, i.received_at, a.uri, a.type, a.actor_uri, a.object_uri, a.document"
        " FROM inbox_items i JOIN activities a ON a.id = i.activity_id"
        " WHERE i.owner = ? AND a.type IN ('Follow', 'Like', 'Announce', 'Create', 'Update')"
        f"{extra} ORDER BY {order} LIMIT ?",
        [slug, *params, page.limit],
    )
    out = [InboxEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]
    return out[::-1] if page.min_id is not None else out


async def inbox_entry(store: Store, slug: str, id_: int) -> InboxEntry | None:
    rows = await inbox_entries(store, slug, Page(max_id=id_ + 1, since_id=id_ - 1, limit=1))
    return rows[0] if rows else None


async def dismiss(store: Store, slug: str, id_: int | None) -> None:
    if id_ is None:
        await store.execute("DELETE FROM inbox_items WHERE owner = ?", (slug,))
    else:
        await store.execute("DELETE FROM inbox_items WHERE owner = ? AND id = ?", (slug, id_))


# -- markers, idempotency, blocks and mutes ------------------------------------------------


async def markers(store: Store, slug: str) -> list[sqlite3.Row]:
    return await store.fetchall("SELECT * FROM markers WHERE owner = ?", (slug,))


async def set_marker(store: Store, slug: str, timeline: str, last_read_id: str, now: float) -> None:
    await store.execute(
        "INSERT INTO markers (owner, timeline, last_read_id, version, updated_at)"
        " VALUES (?, ?, ?, 1, ?) ON CONFLICT (owner, timeline) DO UPDATE SET"
        " last_read_id = excluded.last_read_id, version = markers.version + 1,"
        " updated_at = excluded.updated_at",
        (slug, timeline, last_read_id, now),
    )


async def idempotent(store: Store, slug: str, key: str, since: float) -> str | None:
    r = await store.fetchone(
        "SELECT object_uri FROM idempotency_keys WHERE owner = ? AND key = ? AND created_at > ?",
        (slug, key, since),
    )
    return str(r["object_uri"]) if r else None


async def remember_key(store: Store, slug: str, key: str, object_uri: str, now: float) -> None:
    await store.execute(
        "INSERT INTO idempotency_keys (owner, key, object_uri, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (owner, key) DO UPDATE SET object_uri = excluded.object_uri,"
        " created_at = excluded.created_at",
        (slug, key, object_uri, now),
    )


async def set_block(store: Store, owner: str, target: str, kind: str, on: bool, now: float) -> None:
    if on:
        await store.execute(
            "INSERT OR IGNORE INTO account_blocks (owner, target, kind, created_at)"
            " VALUES (?, ?, ?, ?)",
            (owner, target, kind, now),
        )
    else:
        await store.execute(
            "DELETE FROM account_blocks WHERE owner = ? AND target = ? AND kind = ?",
            (owner, target, kind),
        )


async def blocked(store: Store, owner: str, kind: str) -> list[str]:
    rows = await store.fetchall(
        "SELECT target FROM account_blocks WHERE owner = ? AND kind = ? ORDER BY created_at DESC",
        (owner, kind),
    )
    return [r["target"] for r in rows]


async def hidden_for(store: Store, owner: str) -> set[str]:
    """Accounts whose statuses the resident does not want to see (blocked or muted)."""
    rows = await store.fetchall("SELECT target FROM account_blocks WHERE owner = ?", (owner,))
    return {r["target"] for r in rows}


async def blocks_between(store: Store, me: str, other: str) -> set[tuple[str, str]]:
    rows = await store.fetchall(
        "SELECT owner, kind FROM account_blocks WHERE (owner = ? AND target = ?)"
        " OR (owner = ? AND target = ?)",
        (me, other, other, me),
    )
    return {(r["owner"], r["kind"]) for r in rows}


# -- follows lists (keyset on follows.id) --------------------------------------------------


async def follow_page(
    store: Store, *, followee: str | None, follower: str | None, state: str, page: Page
) -> list[tuple[int, str]]:
    """(follows.id, the other actor) for followers of `followee` or accounts `follower`
    follows."""
    extra, params, order = _keyset("id", page)
    if followee is not None:
        sql = "SELECT id, follower AS other FROM follows WHERE followee = ? AND state = ?"
        first: list[Any] = [followee, state]
    else:
        sql = "SELECT id, followee AS other FROM follows WHERE follower = ? AND state = ?"
        first = [follower, state]
    rows = await store.fetchall(
        f"{sql}{extra} ORDER BY {order} LIMIT ?", [*first, *params, page.limit]
    )
    out = [(int(r["id"]), str(r["other"])) for r in rows]
    return out[::-1] if page.min_id is not None else out


async def last_activity(store: Store, actor: str, type_: str, object_uri: str) -> str | None:
    r = await store.fetchone(
        "SELECT uri FROM activities WHERE actor_uri = ? AND type = ? AND object_uri = ?"
        " ORDER BY id DESC LIMIT 1",
        (actor, type_, object_uri),
    )
    return str(r["uri"]) if r else None


async def find_accounts(store: Store, text: str, limit: int) -> list[str]:
    """Local actors and known remote actors whose name or username contains the text."""
    like = "%" + text.replace("%", "").replace("_", "") + "%"
    rows = await store.fetchall(
        "SELECT slug AS k, NULL AS uri FROM actors WHERE deleted_at IS NULL"
        " AND type != 'Application' AND (slug LIKE ? OR name LIKE ?)"
        " UNION ALL SELECT NULL AS k, uri FROM remote_actors WHERE gone = 0"
        " AND (preferred_username LIKE ? OR name LIKE ?) LIMIT ?",
        (like, like, like, like, limit),
    )
    return [("slug:" + r["k"]) if r["k"] else r["uri"] for r in rows]
