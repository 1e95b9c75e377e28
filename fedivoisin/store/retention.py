"""The retention job's deletions (docs/privacy.md "Retention"). Each returns a row count."""

from __future__ import annotations

from .db import Store


async def delivered_deliveries(store: Store, before: float) -> int:
    """Deliveries done (delivered, or failed for good) before `before`."""
    return await store.execute(
        "DELETE FROM deliveries WHERE (state = 'delivered' AND delivered_at < ?)"
        " OR (state = 'failed' AND coalesce(delivered_at, created_at) < ?)",
        (before, before),
    )


async def expired_deliveries(store: Store, before: float) -> int:
    """Alerts' (and any expiring activity's) delivery rows once expired: who was alerted."""
    return await store.execute(
        "DELETE FROM deliveries WHERE expires_at IS NOT NULL AND expires_at < ?", (before,)
    )


async def unfollowed_activities(store: Store, before: float) -> int:
    """Received activities older than `before` of actors no local actor follows and no
    local community counts as a member, with their inbox listings."""
    orphan = (
        "SELECT id FROM activities a WHERE a.local = 0 AND a.published < ?"
        " AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.followee = a.actor_uri"
        "   AND f.state = 'accepted')"
        " AND NOT EXISTS (SELECT 1 FROM members m WHERE m.member = a.actor_uri"
        "   AND m.state = 'accepted')"
    )
    async with store.transaction():
        await store.execute(f"DELETE FROM inbox_items WHERE activity_id IN ({orphan})", (before,))
        return await store.execute(f"DELETE FROM activities WHERE id IN ({orphan})", (before,))


async def resolved_flags(store: Store, before: float) -> int:
    return await store.execute(
        "DELETE FROM flags WHERE state = 'resolved' AND resolved_at < ?", (before,)
    )


async def webhook_events(store: Store, before: float) -> int:
    """Webhook event payloads (they can name members) once no call of theirs is pending."""
    return await store.execute(
        "DELETE FROM webhook_events WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM"
        " deliveries d WHERE d.state = 'pending' AND d.activity_uri LIKE '%:' || webhook_events.id)",
        (before,),
    )
