"""The reads that filter `objects` on a mostly-NULL column find their rows by an index.

Migration 131 made the indexes on community_uri (two), in_reply_to, end_time, deleted and
updated partial (`WHERE column IS NOT NULL`): a received post, which has none of them,
no longer writes six index entries. A partial index serves a query only when the
planner can prove the query's WHERE implies the index's, so this test runs each read
that relied on those indexes and checks SQLite's plan never scans `objects` whole (nor,
for streaming's changes, every status). The plans are SQLite's, so it opens an SQLite
store whatever backend the suite runs on."""

from __future__ import annotations

from pathlib import Path

from fedivoisin.store import activities, indicators, listings, polls
from fedivoisin.store import mastodon as mastodon_store
from fedivoisin.store.db import Store

COMMUNITY = "https://q.example/actors/les-lilas"
POST = "https://a.example/notes/1"


async def test_reads_on_mostly_null_columns_search_an_index(tmp_path: Path) -> None:
    store = await Store.open_sqlite(tmp_path / "plans.sqlite3")
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    try:
        for listing in (
            listings.UPCOMING_EVENTS,
            listings.OPEN_PROPOSALS,
            listings.ACTIVE_ALERTS,
            listings.RECENT_NEWS,
            listings.OPEN_POLLS,
            listings.POSTS,
            listings.CALENDAR,
        ):
            await listings.page(store, listing, COMMUNITY, now=1e9, size=20)
            await listings.page(store, listing, COMMUNITY, now=1e9, size=20, after=(1e9, 5))
            await listings.count(store, listing, COMMUNITY, now=1e9)
            await listings.next_change(store, listing, COMMUNITY, 1e9)
        await listings.ended_polls(store, COMMUNITY, 1e9)
        await polls.ended_open_candidates(store, 1e9, 1e9 - 60)
        await activities.replies(store, POST)
        await mastodon_store.counts(store, [POST, POST + "x"])
        await mastodon_store.changed_since(store, 1e9, me=None, local_only=False)
        await mastodon_store.changed_since(
            store, 1e9, me="https://q.example/actors/a", local_only=True
        )
        await indicators.raw_counts(store, COMMUNITY, 1e9, 1e9 + 86400)
    finally:
        store.db.set_trace_callback(None)
    reads = [s for s in statements if "objects" in s and s.lstrip().startswith("SELECT")]
    assert len(reads) > 30, statements
    for sql in reads:
        plan = [r[3] for r in store.db.execute("EXPLAIN QUERY PLAN " + sql)]
        whole = [step for step in plan if step in ("SCAN objects", "SCAN o", "SCAN s")]
        assert not whole, (sql, plan)
        if "o.deleted >= " in sql:  # streaming's edits and deletes: from the changed objects
            assert "SEARCH o USING INDEX objects_deleted (deleted>?)" in plan, (sql, plan)
    await store.close()
