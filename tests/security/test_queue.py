"""The durable inbox queue's group commit (fedivoisin/store/inbox_queue.py).

Why here: a peer's 202 means "stored"; batching concurrent INSERTs must never turn into a
202 for a row that a shared transaction later rolled back (SECURITY.md rule 4 spirit:
nothing is acknowledged before it is durable), nor let one request's duplicate hide
another's row.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from fedivoisin.store import inbox_queue
from fedivoisin.store.db import Store
from tests.rig import database


def _row(uri: str) -> dict[str, Any]:
    return {
        "activity_uri": uri,
        "signer": "https://a.example/u",
        "actor_uri": "https://a.example/u",
        "recipient": None,
        "body": b"{}",
        "now": 1.0,
    }


async def test_group_commit_flags_duplicates_and_commits_before_answering(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    try:
        uris = [f"https://a.example/{i % 40}" for i in range(100)]  # 60 duplicates
        results = await asyncio.gather(*(inbox_queue.enqueue(store, **_row(u)) for u in uris))
        assert sum(results) == 40
        assert [uris.index(u) == i for i, u in enumerate(uris)] == results  # first one wins
        # Every True was committed: a separate connection sees all of them right away.
        rows = database.query(tmp_path / "db.sqlite3", "SELECT count(*) FROM received")
        assert rows[0][0] == 40
        again = await asyncio.gather(*(inbox_queue.enqueue(store, **_row(u)) for u in uris[:5]))
        assert again == [False] * 5
    finally:
        await store.close()


async def test_group_commit_failure_reaches_every_caller_of_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failing batch is rolled back and EVERY request in it gets the error (so each
    answers 5xx and the peers retry); none is told its row was queued."""
    store = await Store.open(tmp_path / "db.sqlite3")
    try:
        real = store.executemany
        calls = 0

        async def failing(sql: str, rows: Any) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                await real(sql, rows)  # the INSERT runs inside the transaction…
                raise OSError("disk full")  # …then the batch fails before COMMIT
            await real(sql, rows)

        monkeypatch.setattr(store, "executemany", failing)
        first = [
            asyncio.ensure_future(inbox_queue.enqueue(store, **_row(f"https://a.example/f{i}")))
            for i in range(3)
        ]
        await asyncio.sleep(0)  # these three form the first batch
        rest = [
            asyncio.ensure_future(inbox_queue.enqueue(store, **_row(f"https://a.example/{i}")))
            for i in range(5)
        ]
        outcomes = await asyncio.gather(*first, *rest, return_exceptions=True)
        assert all(isinstance(o, OSError) for o in outcomes[:3]), outcomes
        assert outcomes[3:] == [True] * 5  # the next batch is unaffected
        rows = await store.fetchall("SELECT activity_uri FROM received ORDER BY id")
        assert [r[0] for r in rows] == [f"https://a.example/{i}" for i in range(5)]
    finally:
        await store.close()
