"""Personal blocks: a local actor blocking another actor (domain blocks are in blocks.py)."""

from __future__ import annotations

from collections.abc import Collection

from .db import Store
from .memo import batching, forget, memoised, prime


async def add(store: Store, blocker: str, blocked: str, activity_uri: str, now: float) -> None:
    await store.execute(
        "INSERT INTO actor_blocks (blocker, blocked, activity_uri, created_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT(blocker, blocked) DO UPDATE SET"
        " activity_uri = excluded.activity_uri",
        (blocker, blocked, activity_uri, now),
    )
    forget()


async def remove_by_activity(store: Store, activity_uri: str) -> bool:
    """Undo(Block): the block ends; nothing it removed comes back."""
    n = await store.execute("DELETE FROM actor_blocks WHERE activity_uri = ?", (activity_uri,))
    forget()
    return n > 0


async def blocks(store: Store, blocker: str, blocked: str) -> bool:
    r = await store.fetchone(
        "SELECT 1 FROM actor_blocks WHERE blocker = ? AND blocked = ?", (blocker, blocked)
    )
    return r is not None


async def blockers_of(store: Store, blocked: str) -> frozenset[str]:
    """The local actors that block `blocked` (one indexed lookup per received activity)."""

    async def read() -> frozenset[str]:
        rows = await store.fetchall(
            "SELECT blocker FROM actor_blocks WHERE blocked = ?", (blocked,)
        )
        return frozenset(str(r[0]) for r in rows)

    return await memoised(("blockers_of", blocked), read)  # once per inbox batch


async def prefetch_blockers_of(store: Store, blocked: Collection[str]) -> None:
    """blockers_of() for every sender of an inbox batch, in one query."""
    if not blocked or not batching():
        return
    marks = ", ".join("?" for _ in blocked)
    rows = await store.fetchall(
        f"SELECT blocked, blocker FROM actor_blocks WHERE blocked IN ({marks})", tuple(blocked)
    )
    found: dict[str, set[str]] = {b: set() for b in blocked}
    for r in rows:
        found[str(r[0])].add(str(r[1]))
    for b, blockers in found.items():
        prime(("blockers_of", b), frozenset(blockers))
