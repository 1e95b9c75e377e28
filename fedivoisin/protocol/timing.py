"""When an object is live: (start, end) as epoch seconds, for listing and expiry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .vocab_values import as_datetime


def time_bounds(obj: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """startTime (or CAP onset) and endTime (event end, alert expiry, offer expiry, poll close)."""
    start = as_datetime(obj.get("startTime"))
    end = as_datetime(obj.get("endTime") or obj.get("closed"))
    return (start.timestamp() if start else None, end.timestamp() if end else None)
