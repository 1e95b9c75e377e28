"""Queuing delivery rows in bulk (store/deliveries.queue), on the suite's engine.

PostgreSQL writes a fan-out's rows with one COPY; COPY cannot skip a row already queued for
the same activity and inbox, so such a batch falls back to INSERT … ON CONFLICT DO
NOTHING. Either way the result must be SQLite's INSERT OR IGNORE: the new rows are queued,
a row already there keeps its state, and nothing is queued twice.
"""

from __future__ import annotations

from pathlib import Path

from fedivoisin.store import deliveries
from fedivoisin.store.db import Store

ACT = "https://quartier-nord.example/activities/1"


def _row(i: int, next_try: float = 10.0) -> tuple[object, ...]:
    inbox = f"http://127.0.3.{i % 250 + 1}/inbox"
    return (ACT, "les-lilas", inbox, f"127.0.3.{i % 250 + 1}", f'["a{i}"]', next_try, 1.0, None)


async def _rows(store: Store) -> dict[str, tuple[str, float, str]]:
    got = await store.fetchall(
        "SELECT inbox, state, next_try, recipients FROM deliveries WHERE activity_uri = ?", (ACT,)
    )
    return {r["inbox"]: (r["state"], float(r["next_try"]), r["recipients"]) for r in got}


async def test_bulk_queue_inserts_new_rows_and_keeps_the_ones_already_queued(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "queue.sqlite3")
    try:
        await store.migrate()
        async with store.transaction():  # as publish() does: inside its transaction
            await deliveries.queue(store, [_row(i) for i in range(200)])
        first = await _rows(store)
        assert len(first) == 200
        assert first["http://127.0.3.1/inbox"] == ("pending", 10.0, '["a0"]')

        inbox0 = "http://127.0.3.1/inbox"
        await store.execute(
            "UPDATE deliveries SET state = 'delivered' WHERE activity_uri = ? AND inbox = ?",
            (ACT, inbox0),
        )
        # A re-send of the same activity: 200 rows already queued, 50 new ones.
        await deliveries.queue(store, [_row(i, next_try=99.0) for i in range(250)])
        after = await _rows(store)
        assert len(after) == 250
        assert after[inbox0] == ("delivered", 10.0, '["a0"]')  # untouched
        assert after["http://127.0.3.2/inbox"] == ("pending", 10.0, '["a1"]')
        assert after["http://127.0.3.250/inbox"] == ("pending", 99.0, '["a249"]')  # new
        await deliveries.queue(store, [])  # nothing to queue: no error
        assert len(await _rows(store)) == 250
    finally:
        await store.close()
