"""The PostgreSQL inbox claim walks its index in order and stops at the LIMIT.

A queue table analysed while nearly empty (a new or idle instance) has statistics that
say a handful of rows. After a burst, the planner then chose to fetch every due row by
bitmap and sort them all, bodies included, for each claim of 50: 8 ms per claim with
4,000 queued (docs/performance.md, "Inbox processing", session 12). The claim's
transaction now rules that plan out; this test recreates the stale statistics and reads
the claim's plan. PostgreSQL only (SQLite's queue has no claim and one plan).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fedivoisin.store.db import TEST_POSTGRES_ENV, Store
from fedivoisin.store.inbox_queue import CLAIM, CLAIM_IN_INDEX_ORDER

pytestmark = pytest.mark.skipif(
    not os.environ.get(TEST_POSTGRES_ENV),
    reason="needs PostgreSQL: runs in the suite's PostgreSQL run (scripts/test)",
)


async def test_a_claim_after_a_burst_reads_the_index_in_order(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "claim.sqlite3")
    try:
        await store.execute("ANALYZE received")  # statistics of an empty queue
        await store.executemany(
            "INSERT INTO received (activity_uri, signer, actor_uri, recipient, body,"
            " received_at, next_try) VALUES (?, ?, ?, NULL, ?, ?, ?)",
            [
                (f"https://a.example/activities/{i}", "s", "https://a.example/u", b"x" * 2000, i, i)
                for i in range(3000)
            ],
        )
        async with store.transaction(content=False):
            await store.fetchone(CLAIM_IN_INDEX_ORDER)
            rows = await store.fetchall("EXPLAIN " + CLAIM, (1e9, 1e9, 50))
        plan = "\n".join(str(r[0]) for r in rows)
        assert "Index Scan using received_due" in plan, plan
        assert "Sort" not in plan and "Bitmap" not in plan, plan
    finally:
        await store.close()
