"""Alert expiry as a property of every delivery derived from the alert.

An alert's `endTime` is its expiry: after it, a "coupure d'eau" is stale and must stop
reaching residents. `publish()`/`deliver()` call `derived_expiry()` when the caller gave no
expiry, so the author's Create, the community's Announce, every relayed Announce and any
re-announced Update (an Announce whose object is an Update of the alert, embedded or by
id) all queue their delivery rows with the alert's `expires_at`; the delivery worker drops
rows whose expiry has passed (state failed, "expired before delivery"), never retrying
them. Retractions (Delete, Undo, Remove) carry no expiry: they must still arrive.
"""

from __future__ import annotations

from typing import Any

from ..protocol.addressing import ref
from ..protocol.timing import time_bounds
from ..protocol.vocab import detect_kind
from ..runtime import Runtime
from ..store import activities as activity_store

#: Activity types whose delivery shows the object again (and so must not outlive it).
CARRIERS = frozenset({"Create", "Update", "Announce", "Add"})
_MAX_DEPTH = 3  # Announce → Update → Note is the deepest chain we build


def alert_expiry(obj: dict[str, Any]) -> float | None:
    """The expiry of an alert object (its endTime), None for anything else."""
    if detect_kind(obj) != "alert":
        return None
    return time_bounds(obj)[1]


async def derived_expiry(rt: Runtime, activity: dict[str, Any], depth: int = 0) -> float | None:
    """The expiry an activity inherits from the alert it carries (embedded or by id)."""
    if depth > _MAX_DEPTH or activity.get("type") not in CARRIERS:
        return None
    obj = activity.get("object")
    if isinstance(obj, dict):
        if obj.get("type") in CARRIERS and "object" in obj:  # e.g. Announce of an Update
            return await derived_expiry(rt, obj, depth + 1)
        return alert_expiry(obj)
    oid = ref(obj)
    if not oid:
        return None
    stored = await activity_store.get_object(rt.store, oid)
    if stored is not None:
        return stored.end_time if stored.kind == "alert" else None
    act = await activity_store.get_activity(rt.store, oid)  # an Announce of an activity id
    return await derived_expiry(rt, act.document, depth + 1) if act is not None else None
