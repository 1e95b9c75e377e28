"""Where an object stands in its kind's life (open, closed, cancelled, a poll vote…).

Why a column written by the store rather than one generated from the JSON (migrations 004
and 127): listings filter and index on it (`objects_listing`), and a received object's
document is stored compressed (store/activities.py), which SQL cannot read. The rules
are those the generated column had, so migrated rows and new rows agree.
"""

from __future__ import annotations

from typing import Any

import orjson


def _text(value: Any) -> str | None:
    """What SQLite's json_extract gives: a string as is, null as None, others as JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    return orjson.dumps(value).decode()


def _status(value: Any) -> str:
    text = _text(value)
    return "open" if text is None else text.lower()


def lifecycle_of(kind: str, doc: dict[str, Any], in_reply_to: str | None) -> str | None:
    if kind == "proposal":
        return _status(doc.get("proposalStatus"))
    if kind == "report":
        return _status(doc.get("reportStatus"))
    if kind == "alert":
        return "cancelled" if doc.get("msgType") == "Cancel" else "active"
    if kind == "event":
        cancelled = doc.get("eventStatus") == "EventCancelled" or doc.get("status") == "CANCELLED"
        return "cancelled" if cancelled else "scheduled"
    if kind == "poll":
        return "open" if doc.get("closed") is None else "closed"
    if kind == "note":
        vote = (
            in_reply_to is not None
            and isinstance(doc.get("name"), str)
            and doc.get("content") is None
            and doc.get("contentMap") is None
        )
        return "vote" if vote else None
    return None
