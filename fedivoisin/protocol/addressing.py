"""Audiences and visibility: who may see an activity, and where it must be delivered. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .documents import PUBLIC, PUBLIC_ALIASES
from .vocab_values import as_list, first_id, ids, ref

__all__ = [
    "ADDRESS_FIELDS",
    "Target",
    "addressees",
    "as_list",
    "first_ref",
    "fold_inboxes",
    "is_listed_public",
    "is_public",
    "may_see",
    "ref",
    "refs",
    "strip_private",
]

ADDRESS_FIELDS = ("to", "cc", "bto", "bcc", "audience")
PRIVATE_FIELDS = ("bto", "bcc")


def refs(value: Any) -> list[str]:
    """Every id of a scalar-or-list value (to, cc, audience…)."""
    return list(ids(value))


first_ref = first_id


def _collect(doc: Mapping[str, Any], seen: dict[str, None]) -> None:
    """Add the ids of doc's address fields to seen (insertion-ordered, Public folded).
    Inlined rather than built on refs(): the inbox worker calls this several times per
    activity (docs/performance.md "Inbox processing")."""
    for f in ADDRESS_FIELDS:
        value = doc.get(f)
        if value is None:
            continue
        for item in value if isinstance(value, list) else (value,):
            r = item if isinstance(item, str) else ref(item)
            if r:
                seen[PUBLIC if r in PUBLIC_ALIASES else r] = None


def addressees(doc: Mapping[str, Any], *, include_object: bool = True) -> list[str]:
    """Every IRI the document is addressed to (to, cc, bto, bcc, audience), deduplicated."""
    seen: dict[str, None] = {}
    _collect(doc, seen)
    obj = doc.get("object")
    if include_object and isinstance(obj, dict):
        _collect(obj, seen)
    return list(seen)


def is_public(doc: Mapping[str, Any]) -> bool:
    seen: dict[str, None] = {}
    _collect(doc, seen)
    if PUBLIC in seen:
        return True
    obj = doc.get("object")
    if isinstance(obj, dict):
        _collect(obj, seen)
    return PUBLIC in seen


def is_listed_public(doc: Mapping[str, Any]) -> bool:
    """Public and in `to` (Mastodon's 'public' as opposed to 'unlisted')."""
    return any(r in PUBLIC_ALIASES for r in refs(doc.get("to")))


def strip_private(doc: dict[str, Any]) -> dict[str, Any]:
    """Remove bto/bcc (ActivityPub §6.1: never sent), also from an embedded object."""
    out = {k: v for k, v in doc.items() if k not in PRIVATE_FIELDS}
    obj = out.get("object")
    if isinstance(obj, dict) and any(k in obj for k in PRIVATE_FIELDS):
        out["object"] = {k: v for k, v in obj.items() if k not in PRIVATE_FIELDS}
    return out


def may_see(
    *,
    addressed: Iterable[str],
    author: str,
    viewer: str | None,
    viewer_collections: Iterable[str] = (),
) -> bool:
    """Access rule for GETs: public to anyone; otherwise the author, a named addressee, or a
    member of an addressed collection (followers/members) the caller resolved for the viewer."""
    addressed = set(addressed)
    if PUBLIC in addressed:
        return True
    if viewer is None:
        return False
    if viewer == author or viewer in addressed:
        return True
    return bool(addressed.intersection(viewer_collections))


@dataclass(frozen=True)
class Target:
    """One inbox to deliver to, and the actors reached through it (for 410 handling)."""

    inbox: str
    recipients: tuple[str, ...]


def fold_inboxes(
    recipients: Iterable[tuple[str, str | None, str | None]], *, exclude: Iterable[str] = ()
) -> list[Target]:
    """(actor, inbox, shared_inbox) → deliveries, one per shared inbox when the actor
    advertises one, deduplicated; the sender and Public excluded."""
    skip = set(exclude) | {PUBLIC}
    by_inbox: dict[str, list[str]] = {}
    for actor, inbox, shared in recipients:
        if actor in skip:
            continue
        target = shared or inbox
        if not target:
            continue
        lst = by_inbox.setdefault(target, [])
        if actor not in lst:
            lst.append(actor)
    return [Target(inbox, tuple(actors)) for inbox, actors in by_inbox.items()]
