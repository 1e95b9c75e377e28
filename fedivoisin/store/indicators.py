"""Raw monthly counts behind the town-hall indicators (docs/privacy.md "Indicators").

Only counts leave this module; outbox/indicators.py suppresses small ones before anything is
shown (protocol/indicators.py). A month is [start, end) in epoch seconds.
"""

from __future__ import annotations

from statistics import median
from typing import Any

from .activities import decode_document
from .db import Store


async def _one(store: Store, sql: str, params: tuple[Any, ...]) -> int:
    row = await store.fetchone(sql, params)
    return int(row[0] or 0) if row else 0


async def raw_counts(store: Store, community: str, start: float, end: float) -> dict[str, int]:
    """Every indicator of one community for one month, unsuppressed."""
    c, p = community, (community, start, end)
    out: dict[str, int] = {}
    out["events"] = await _one(
        store,
        "SELECT count(*) FROM objects WHERE community_uri = ? AND kind = 'event'"
        " AND deleted IS NULL AND published >= ? AND published < ?",
        p,
    )
    out["participants"] = await _one(
        store,
        "SELECT count(DISTINCT pa.actor_uri) FROM participants pa JOIN objects o"
        " ON o.uri = pa.event_uri WHERE o.community_uri = ? AND pa.state = 'accepted'"
        " AND o.start_time >= ? AND o.start_time < ?",
        p,
    )
    opened = {"offer": 0, "request": 0}
    fulfilled = {"offer": 0, "request": 0}
    rows = await store.fetchall(
        "SELECT document, published, updated, lifecycle FROM objects WHERE community_uri = ?"
        " AND kind = 'proposal' AND ((published >= ? AND published < ?)"
        " OR (updated >= ? AND updated < ?))",
        (c, start, end, start, end),
    )
    for r in rows:
        purpose = str(decode_document(r["document"]).get("purpose") or "offer").lower()
        purpose = purpose if purpose in opened else "offer"
        if start <= r["published"] < end:
            opened[purpose] += 1
        if r["lifecycle"] == "closed" and r["updated"] is not None and start <= r["updated"] < end:
            fulfilled[purpose] += 1
    for k in ("offer", "request"):
        out[f"{k}s_opened"] = opened[k]
        out[f"{k}s_fulfilled"] = fulfilled[k]
    out["alerts"] = await _one(
        store,
        "SELECT count(*) FROM objects WHERE community_uri = ? AND kind = 'alert'"
        " AND published >= ? AND published < ?",
        p,
    )
    out["reports_opened"] = await _one(
        store,
        "SELECT count(*) FROM flags WHERE community = ? AND created_at >= ? AND created_at < ?",
        p,
    )
    durations = [
        float(r[0])
        for r in await store.fetchall(
            "SELECT resolved_at - created_at FROM flags WHERE community = ?"
            " AND state = 'resolved' AND resolved_at >= ? AND resolved_at < ?",
            p,
        )
    ]
    out["reports_resolved"] = len(durations)
    # Not a count: published only when reports_resolved is (k or more), in hours.
    out["median_resolution_hours"] = round(median(durations) / 3600) if durations else 0
    out["new_members"] = await _one(
        store,
        "SELECT count(*) FROM members WHERE community = ? AND state = 'accepted'"
        " AND created_at >= ? AND created_at < ?",
        p,
    )
    out["replies_across_communities"] = await _one(
        store,
        "SELECT count(*) FROM objects o JOIN objects parent ON parent.uri = o.in_reply_to"
        " WHERE o.community_uri = ? AND parent.community_uri IS NOT NULL"
        " AND parent.community_uri != o.community_uri AND o.published >= ? AND o.published < ?",
        p,
    )
    out["relays"] = await _one(
        store,
        "SELECT count(*) FROM relayed r LEFT JOIN objects o ON o.uri = r.object_uri"
        " WHERE r.community = ? AND (o.community_uri IS NULL OR o.community_uri != r.community)"
        " AND r.at >= ? AND r.at < ?",
        p,
    )
    origin = community.split("/", 3)[:3]
    prefix = "/".join(origin) + "/"
    follows = await store.fetchall(
        "SELECT f.follower, f.followee FROM follows f WHERE (f.follower = ? OR f.followee = ?)"
        " AND f.state = 'accepted' AND f.created_at >= ? AND f.created_at < ?",
        (c, c, start, end),
    )
    same = across = 0
    for f in follows:
        other = f["followee"] if f["follower"] == c else f["follower"]
        if not await _is_community(store, other):
            continue
        if other.startswith(prefix):
            same += 1
        else:
            across += 1
    out["community_follows_same_instance"] = same
    out["community_follows_across_instances"] = across
    return out


async def _is_community(store: Store, uri: str) -> bool:
    row = await store.fetchone("SELECT type FROM remote_actors WHERE uri = ?", (uri,))
    if row is not None:
        return bool(row["type"] == "Group")
    slug = uri.rstrip("/").rsplit("/", 1)[-1]
    row = await store.fetchone(
        "SELECT type FROM actors WHERE slug = ? AND deleted_at IS NULL", (slug,)
    )
    return row is not None and row["type"] == "Group"


async def frozen(store: Store, community: str, month: str) -> str | None:
    row = await store.fetchone(
        "SELECT figures FROM indicator_snapshots WHERE community = ? AND month = ?",
        (community, month),
    )
    return str(row["figures"]) if row else None


async def freeze(store: Store, community: str, month: str, figures: str, now: float) -> None:
    await store.execute(
        "INSERT INTO indicator_snapshots (community, month, figures, created_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT(community, month) DO NOTHING",
        (community, month, figures, now),
    )


async def received_documents(store: Store) -> list[tuple[str, dict[str, Any]]]:
    """(author, document) of received Documents, oldest first (indicators sent to a town)."""
    rows = await store.fetchall(
        "SELECT attributed_to, document FROM objects WHERE type = 'Document' AND local = 0"
        " AND deleted IS NULL ORDER BY id"
    )
    return [(r["attributed_to"], decode_document(r["document"])) for r in rows]
