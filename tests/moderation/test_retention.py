"""The retention job purges what docs/privacy.md says, and nothing else."""

from __future__ import annotations

from typing import Any

from fedivoisin.outbox.retention import RetentionWorker
from tests.rig import Instance

DAY = 86400.0


async def test_retention_purges_old_rows_and_keeps_the_rest(instance_factory: Any) -> None:
    inst: Instance = await instance_factory()
    await inst.person("alice")
    rt = inst.rt
    now = rt.clock.now()
    db = rt.store

    async def delivery(
        uri: str, state: str, delivered: float | None, expires: float | None
    ) -> None:
        # next_try far ahead: the instance's delivery worker is running and must not try
        # (and fail, or drop) the pending rows before the retention job looks at them.
        await db.execute(
            "INSERT INTO deliveries (activity_uri, sender, inbox, host, state, next_try,"
            " created_at, expires_at, delivered_at) VALUES (?, 'alice', ?, 'x.example', ?, ?,"
            " ?, ?, ?)",
            (
                uri,
                f"https://x.example/{uri}/inbox",
                state,
                now + 30 * DAY,
                now - 40 * DAY,
                expires,
                delivered,
            ),
        )

    await delivery("old-delivered", "delivered", now - 8 * DAY, None)
    await delivery("new-delivered", "delivered", now - 1 * DAY, None)
    await delivery("pending", "pending", None, None)
    await delivery("expired-alert", "pending", None, now - 2 * DAY)
    await delivery("live-alert", "pending", None, now + DAY)

    async def activity(uri: str, actor: str, age: float) -> None:
        await db.execute(
            "INSERT INTO activities (uri, actor_uri, type, local, public, addressees, document,"
            " published) VALUES (?, ?, 'Create', 0, 1, '[]', '{}', ?)",
            (uri, actor, now - age),
        )
        await db.execute(
            "INSERT INTO inbox_items (owner, activity_id, received_at)"
            " SELECT 'alice', id, ? FROM activities WHERE uri = ?",
            (now - age, uri),
        )

    stranger, friend = "https://far.example/u/s", "https://near.example/u/f"
    await db.execute(
        "INSERT INTO follows (follower, followee, state, created_at) VALUES (?, ?, 'accepted', ?)",
        (inst.actor("alice"), friend, now),
    )
    await activity("https://far.example/a/old", stranger, 31 * DAY)
    await activity("https://far.example/a/new", stranger, 2 * DAY)
    await activity("https://near.example/a/old", friend, 31 * DAY)

    purged = await RetentionWorker(rt).run_once()
    assert (purged.deliveries, purged.alert_deliveries, purged.activities) == (1, 1, 1)
    left = [r[0] for r in await db.fetchall("SELECT activity_uri FROM deliveries ORDER BY id")]
    assert left == ["new-delivered", "pending", "live-alert"]
    kept = [r[0] for r in await db.fetchall("SELECT uri FROM activities ORDER BY id")]
    assert kept == ["https://far.example/a/new", "https://near.example/a/old"]
    listed = [
        r[0]
        for r in await db.fetchall(
            "SELECT a.uri FROM inbox_items i JOIN activities a ON a.id = i.activity_id"
            " ORDER BY i.id"
        )
    ]
    assert listed == kept
