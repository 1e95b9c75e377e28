"""The moderation queue: reports (ActivityPub `Flag`) received or sent, per instance and per
community (docs/moderation.md)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson

from .db import Store


@dataclass(frozen=True)
class Flag:
    id: int
    uri: str
    direction: str
    reporter: str | None
    account: str | None
    objects: list[str]
    community: str | None
    comment: str
    state: str
    assignee: str | None
    action: str | None
    note: str
    created_at: float
    resolved_at: float | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "uri": self.uri,
            "direction": self.direction,
            "reporter": self.reporter,
            "account": self.account,
            "objects": self.objects,
            "community": self.community,
            "comment": self.comment,
            "state": self.state,
            "assignee": self.assignee,
            "action": self.action,
            "note": self.note,
            "created_at": self.created_at,
            "resolved_at": self.resolved_at,
        }


def _row(r: sqlite3.Row) -> Flag:
    return Flag(
        id=r["id"],
        uri=r["uri"],
        direction=r["direction"],
        reporter=r["reporter"],
        account=r["account"],
        objects=list(orjson.loads(r["objects"])),
        community=r["community"],
        comment=r["comment"],
        state=r["state"],
        assignee=r["assignee"],
        action=r["action"],
        note=r["note"],
        created_at=r["created_at"],
        resolved_at=r["resolved_at"],
    )


async def insert(
    store: Store,
    *,
    uri: str,
    direction: str,
    reporter: str | None,
    account: str | None,
    objects: list[str],
    community: str | None,
    comment: str,
    now: float,
) -> int | None:
    """The new row's id; None when this Flag id was already queued (redelivery)."""
    n = await store.execute(
        "INSERT INTO flags (uri, direction, reporter, account, objects, community, comment,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(uri) DO NOTHING",
        (
            uri,
            direction,
            reporter,
            account,
            orjson.dumps(objects).decode(),
            community,
            comment,
            now,
        ),
    )
    if not n:
        return None
    row = await store.fetchone("SELECT id FROM flags WHERE uri = ?", (uri,))
    return int(row["id"]) if row else None


async def get(store: Store, flag_id: int) -> Flag | None:
    r = await store.fetchone("SELECT * FROM flags WHERE id = ?", (flag_id,))
    return _row(r) if r else None


async def listing(
    store: Store, *, community: str | None, state: str | None = "open", every: bool = False
) -> list[Flag]:
    """One queue: a community's (community URI) or the instance's (None); `every` = all."""
    where, params = [], []
    if not every:
        if community is None:
            where.append("community IS NULL")
        else:
            where.append("community = ?")
            params.append(community)
    if state:
        where.append("state = ?")
        params.append(state)
    sql = "SELECT * FROM flags" + (" WHERE " + " AND ".join(where) if where else "")
    return [_row(r) for r in await store.fetchall(sql + " ORDER BY id", params)]


async def assign(store: Store, flag_id: int, assignee: str | None) -> bool:
    return (
        await store.execute("UPDATE flags SET assignee = ? WHERE id = ?", (assignee, flag_id)) > 0
    )


async def resolve(store: Store, flag_id: int, action: str, note: str, now: float) -> bool:
    return (
        await store.execute(
            "UPDATE flags SET state = 'resolved', action = ?, note = ?, resolved_at = ?"
            " WHERE id = ? AND state = 'open'",
            (action, note, now, flag_id),
        )
        > 0
    )


async def reopen(store: Store, flag_id: int) -> bool:
    return (
        await store.execute(
            "UPDATE flags SET state = 'open', action = NULL, resolved_at = NULL"
            " WHERE id = ? AND state = 'resolved'",
            (flag_id,),
        )
        > 0
    )


async def admin_page(
    store: Store,
    *,
    instance_queue: bool,
    communities: list[str],
    resolved: bool,
    reporter: str | None,
    account: str | None,
    max_id: int | None,
    lower: int | None,
    ascending: bool,
    limit: int,
) -> list[Flag]:
    """The Mastodon admin API's page of reports: the queues one moderator handles (the
    instance's and/or some communities'), open or resolved, newest first (keyset paging)."""
    queues, params = [], []
    if instance_queue:
        queues.append("community IS NULL")
    if communities:
        queues.append("community IN (" + ", ".join("?" for _ in communities) + ")")
        params.extend(communities)
    if not queues:
        return []
    where = ["(" + " OR ".join(queues) + ")", "state = ?"]
    params.append("resolved" if resolved else "open")
    for column, value in (("reporter", reporter), ("account", account)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if max_id is not None:
        where.append("id < ?")
        params.append(max_id)
    if lower is not None:
        where.append("id > ?")
        params.append(lower)
    order = "ASC" if ascending else "DESC"
    rows = await store.fetchall(
        "SELECT * FROM flags WHERE " + " AND ".join(where) + f" ORDER BY id {order} LIMIT ?",
        [*params, limit],
    )
    out = [_row(r) for r in rows]
    return list(reversed(out)) if ascending else out
