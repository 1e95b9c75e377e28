"""Which neighbourhood kind an object is, from the compacted JSON peers send.

Why: this runs on every received object, so it reads plain keys (no JSON-LD) and accepts
the real variants: our ``kind`` marker, Mobilizon/Gancio ``Event``, Mastodon ``Question``,
FEP-0837 Notes without a ``kind``, Bonfire's ``ValueFlows:Intent``/``Offer``/``Need``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fedivoisin.protocol.vocab_values import as_list, local_name

__all__ = ["OBJECT_TYPES", "detect_kind", "object_types"]

#: Object types that carry a readable post (Mastodon SUPPORTED + CONVERTED types).
OBJECT_TYPES: Final = frozenset(
    {"Note", "Article", "Page", "Event", "Question", "Image", "Video", "Audio", "Document"}
)
_NOTE_LIKE: Final = frozenset({"Note", "Article", "Page", "Image", "Video", "Audio", "Document"})
_VF_TYPES: Final = frozenset({"Proposal", "Intent", "Need"})
_AS_PREFIXES: Final = ("as:", "https://www.w3.org/ns/activitystreams#")

_KIND_MARKERS: Final = {
    "proposal": "proposal",
    "offer": "proposal",
    "request": "proposal",
    "alert": "alert",
    "news": "news",
    "report": "report",
    "event": "event",
    "poll": "poll",
    "question": "poll",
}


def object_types(obj: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """(raw, local name) of each string ``type`` (scalar or list)."""
    return tuple((t, local_name(t)) for t in as_list(obj.get("type")) if isinstance(t, str) and t)


def detect_kind(obj: Any) -> str:
    """event, proposal, alert, news, poll, report, note or unknown.

    Activities (Create, Offer, …) are ``unknown``: unwrap ``object`` first.
    """
    if not isinstance(obj, Mapping):
        return "unknown"
    types = object_types(obj)
    names = {name for _, name in types}
    if _is_vf_object(types):
        return "proposal"
    if not names & OBJECT_TYPES:
        return "unknown"
    marked = _kind_marker(obj.get("kind"))
    if marked is not None:
        return marked
    if "Question" in names:
        return "poll" if _has_options(obj) else "note"
    if "Event" in names:
        return "event"
    if names & _NOTE_LIKE:
        return _note_kind(obj)
    return "unknown"


def _is_vf_object(types: tuple[tuple[str, str], ...]) -> bool:
    """FEP-0837 ``Proposal``, ValueFlows ``Intent``, Bonfire ``ValueFlows:Offer``/``Need``.

    A bare ``Offer`` is the AS2 activity, so ``Offer`` counts only with a foreign prefix.
    """
    for raw, name in types:
        if name in _VF_TYPES:
            return True
        if name == "Offer" and raw != "Offer" and not raw.startswith(_AS_PREFIXES):
            return True
    return False


def _kind_marker(value: Any) -> str | None:
    for item in as_list(value):
        if isinstance(item, str):
            found = _KIND_MARKERS.get(local_name(item).lower())
            if found:
                return found
    return None


def _has_options(obj: Mapping[str, Any]) -> bool:
    return bool(as_list(obj.get("oneOf")) or as_list(obj.get("anyOf")))


def _note_kind(obj: Mapping[str, Any]) -> str:
    """Recognise our kinds on Notes that lack ``kind`` (other FEP-0837/CAP/Open311 senders)."""
    purpose = obj.get("purpose")
    if isinstance(purpose, str) and purpose.lower() in ("offer", "request") and "publishes" in obj:
        return "proposal"
    if "alertStatus" in obj or ("severity" in obj and "urgency" in obj):
        return "alert"
    if "serviceCode" in obj:
        return "report"
    return "note"
