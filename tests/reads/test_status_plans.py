"""Lookups of original statuses by object or by account stay O(result) at any size.

SQLite's planner, given `announce_uri IS NULL`, walks the NULL entries of the
UNIQUE(announce_uri) index: every original status. Fine for a timeline (newest first,
LIMIT), but a lookup of a few objects' status ids or of one account's posts then read
the whole table (migration 128). The plans are SQLite's, so this test opens an SQLite
store whatever backend the suite runs on."""

from __future__ import annotations

from pathlib import Path

from fedivoisin.store import mastodon as mastodon_store
from fedivoisin.store import pins
from fedivoisin.store.db import Store


async def test_lookups_of_originals_use_the_object_or_account_index(tmp_path: Path) -> None:
    store = await Store.open_sqlite(tmp_path / "plans.sqlite3")
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    try:
        await mastodon_store.original_ids(store, ["https://a.example/1", "https://a.example/2"])
        await mastodon_store.by_account(
            store,
            "https://a.example/users/u",
            mastodon_store.Page(max_id=1000),
            exclude_replies=False,
            exclude_reblogs=True,
        )
        await pins.pinned_rows(store, "https://b.example/actors/alice")
    finally:
        store.db.set_trace_callback(None)
    on_statuses = [s for s in statements if "statuses" in s and s.lstrip().startswith("SELECT")]
    assert len(on_statuses) == 3, statements
    for sql in on_statuses:
        plan = " | ".join(r[3] for r in store.db.execute("EXPLAIN QUERY PLAN " + sql))
        assert "sqlite_autoindex_statuses" not in plan, (sql, plan)
        assert "statuses_object" in plan or "statuses_account" in plan, (sql, plan)
    await store.close()
