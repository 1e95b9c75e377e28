"""The territory mesh: which communities a community relays, and what it already relayed."""

from __future__ import annotations

from collections.abc import Collection

import orjson

from .db import Store
from .memo import batching, forget, memoised, prime


async def add(store: Store, community: str, source: str, kinds: list[str], now: float) -> None:
    await store.execute(
        "INSERT INTO relays (community, source, kinds, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(community, source) DO UPDATE SET kinds = excluded.kinds",
        (community, source, orjson.dumps(kinds).decode(), now),
    )
    forget()


async def remove(store: Store, community: str, source: str) -> bool:
    n = await store.execute(
        "DELETE FROM relays WHERE community = ? AND source = ?", (community, source)
    )
    forget()
    return n > 0


async def relaying(store: Store, source: str) -> list[tuple[str, list[str]]]:
    """(local community, kinds) for every community that relays `source`."""

    async def read() -> list[tuple[str, list[str]]]:
        rows = await store.fetchall(
            "SELECT community, kinds FROM relays WHERE source = ?", (source,)
        )
        return [(r["community"], orjson.loads(r["kinds"])) for r in rows]

    # Relays change only by a resident's or admin's request, never inside an inbox batch.
    return await memoised(("relaying", source), read)


async def prefetch_relaying(store: Store, sources: Collection[str]) -> None:
    """relaying() for every sender of an inbox batch, in one query."""
    if not sources or not batching():
        return
    marks = ", ".join("?" for _ in sources)
    rows = await store.fetchall(
        f"SELECT source, community, kinds FROM relays WHERE source IN ({marks}) ORDER BY id",
        tuple(sources),
    )
    found: dict[str, list[tuple[str, list[str]]]] = {s: [] for s in sources}
    for r in rows:
        found[r["source"]].append((r["community"], orjson.loads(r["kinds"])))
    for source, relayed in found.items():
        prime(("relaying", source), relayed)


async def of_community(store: Store, community: str) -> list[tuple[str, list[str]]]:
    rows = await store.fetchall(
        "SELECT source, kinds FROM relays WHERE community = ? ORDER BY id", (community,)
    )
    return [(r["source"], orjson.loads(r["kinds"])) for r in rows]


async def claim(store: Store, community: str, object_uri: str, now: float) -> bool:
    """Record that `community` announces `object_uri`; False if it already did (loop- and
    duplicate-free relaying: each object is announced once per community, whatever path)."""
    return (
        await store.execute(
            "INSERT OR IGNORE INTO relayed (community, object_uri, at) VALUES (?, ?, ?)",
            (community, object_uri, now),
        )
        > 0
    )


async def both_ways(
    store: Store, community: str
) -> tuple[list[tuple[str, list[str]]], list[tuple[str, list[str]]]]:
    """(sources this community relays, communities relaying it) in one query."""
    rows = await store.fetchall(
        "SELECT 0 AS dir, source AS uri, kinds, id FROM relays WHERE community = ?"
        " UNION ALL SELECT 1 AS dir, community AS uri, kinds, id FROM relays WHERE source = ?"
        " ORDER BY dir, id",
        (community, community),
    )
    ways: tuple[list[tuple[str, list[str]]], list[tuple[str, list[str]]]] = ([], [])
    for r in rows:
        ways[r["dir"]].append((r["uri"], orjson.loads(r["kinds"])))
    return ways


async def announcers(store: Store, object_uri: str) -> list[str]:
    """Local communities that announced `object_uri` (its Updates and Deletes follow)."""
    rows = await store.fetchall(
        "SELECT community FROM relayed WHERE object_uri = ? ORDER BY community", (object_uri,)
    )
    return [r["community"] for r in rows]
