"""Lifecycles of the neighbourhood kinds, as data, and the rules they add to C2S publishing.

ARCHITECTURE.md convention 4: offers and reports are small declared state machines; a
transition not in the graph is a 400 naming the field. Fields the server owns (an event's
`participantCount`, a poll's counts) are recomputed from the database on every Update, so a
client can never set them. Shared by the C2S API (outbox/c2s.py) and the kind modules
(events, polls, reports), which publish their Updates through `republish`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..clock import iso
from ..errors import InvalidActivity
from ..protocol.addressing import ADDRESS_FIELDS, as_list
from ..protocol.timing import time_bounds
from ..protocol.vocab import complete_for_mastodon
from ..runtime import Runtime
from ..store import activities as activity_store
from ..store import actors as actor_store
from ..store import events as event_store
from ..store import polls as poll_store
from ..store.activities import StoredObject
from ..store.actors import LocalActor
from .publish import publish

#: FEP-0837 offers/requests (`proposalStatus`): closed is final.
PROPOSAL_LIFECYCLE: Final[Mapping[str, frozenset[str]]] = {
    "open": frozenset({"reserved", "closed"}),
    "reserved": frozenset({"open", "closed"}),
    "closed": frozenset(),
}
#: Open311 service requests (`reportStatus`): open → acknowledged → closed.
REPORT_LIFECYCLE: Final[Mapping[str, frozenset[str]]] = {
    "open": frozenset({"acknowledged", "closed"}),
    "acknowledged": frozenset({"closed"}),
    "closed": frozenset(),
}
#: CAP 1.2 `msgType` of one alert over its Updates: a Cancel is final.
ALERT_LIFECYCLE: Final[Mapping[str, frozenset[str]]] = {
    "Alert": frozenset({"Update", "Cancel"}),
    "Update": frozenset({"Update", "Cancel"}),
    "Cancel": frozenset(),
}


def check_transition(
    field: str, lifecycle: Mapping[str, frozenset[str]], old: str, new: str
) -> None:
    """Raise InvalidActivity naming `field` unless old → new is in the lifecycle graph.
    Keeping the same state (an Update of other fields) is always allowed."""
    if old == new:
        return
    allowed = lifecycle.get(old, frozenset())
    if new not in allowed:
        hint = ", ".join(sorted(allowed)) if allowed else "none: it is final"
        raise InvalidActivity(
            f"{field}: cannot change from {old!r} to {new!r} (allowed from {old!r}: {hint})",
            field=field,
        )


def status_of(doc: Mapping[str, Any], field: str, default: str) -> str:
    value = doc.get(field)
    return value if isinstance(value, str) and value else default


def with_defaults(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    """A new object's lifecycle starts explicit, and server-owned counts start at zero."""
    if kind in ("proposal", "offer", "request"):
        obj.setdefault("proposalStatus", "open")
    elif kind == "report":
        obj.setdefault("reportStatus", "open")
    elif kind == "event":
        obj["participantCount"] = 0
    elif kind == "poll":
        return with_tally(obj, {}, 0)
    return obj


def with_tally(doc: Mapping[str, Any], tally: Mapping[str, int], voters: int) -> dict[str, Any]:
    """The question with each option's `replies.totalItems` and `votersCount` (Mastodon)."""
    out = dict(doc)
    for key in ("oneOf", "anyOf"):
        if key in out:
            out[key] = [
                {
                    **option,
                    "replies": {"type": "Collection", "totalItems": tally.get(option["name"], 0)},
                }
                if isinstance(option, dict) and isinstance(option.get("name"), str)
                else option
                for option in as_list(out[key])
            ]
    out["votersCount"] = voters
    return out


async def before_update(
    rt: Runtime, kind: str, stored: StoredObject, given: Mapping[str, Any], merged: dict[str, Any]
) -> list[str]:
    """Check the lifecycle change of a C2S Update and refresh server-owned fields in `merged`.

    Returns extra recipients: an event's participants hear about its changes (cancellation,
    new time) even when they do not follow its audience."""
    old = stored.document
    if kind == "proposal":
        check_transition(
            "proposalStatus",
            PROPOSAL_LIFECYCLE,
            status_of(old, "proposalStatus", "open"),
            status_of(merged, "proposalStatus", "open"),
        )
    elif kind == "report":
        check_transition(
            "reportStatus",
            REPORT_LIFECYCLE,
            status_of(old, "reportStatus", "open"),
            status_of(merged, "reportStatus", "open"),
        )
    elif kind == "alert":
        before = status_of(old, "msgType", "Alert")
        if "msgType" not in given and before in ("Alert", "Update"):
            merged["msgType"] = "Update"  # CAP: a change to an alert is an Update message
        check_transition("msgType", ALERT_LIFECYCLE, before, status_of(merged, "msgType", "Alert"))
    elif kind == "event":
        merged["participantCount"] = await event_store.count(rt.store, stored.uri)
        return await event_store.actors(rt.store, stored.uri, states=("accepted", "pending"))
    elif kind == "poll":
        tally = await poll_store.tally(rt.store, stored.uri)
        voters = await poll_store.voters_count(rt.store, stored.uri)
        merged.update(with_tally(merged, tally, voters))
        if "closed" in old:
            merged["closed"] = old["closed"]
    return []


async def author_of(rt: Runtime, stored: StoredObject) -> LocalActor | None:
    """The local actor who published a local object."""
    slug = rt.urls.slug_of(stored.attributed_to)
    if not stored.local or slug is None or stored.attributed_to != rt.urls.actor(slug):
        return None
    return await actor_store.get_actor(rt.store, slug)


async def republish(
    rt: Runtime,
    author: LocalActor,
    kind: str,
    doc: Mapping[str, Any],
    changes: Mapping[str, Any],
    *,
    extra: list[str] | None = None,
) -> dict[str, Any]:
    """Update(object) of a local object with `changes`, sent to the object's own audience."""
    merged = {k: v for k, v in doc.items() if k != "@context"}
    merged.update(changes)
    merged["updated"] = iso(rt.clock.now())
    merged = complete_for_mastodon(kind, merged)
    activity: dict[str, Any] = {"type": "Update", "object": merged}
    for f in ADDRESS_FIELDS:
        if f in merged:
            activity[f] = merged[f]
    return await publish(rt, author, activity, extra_recipients=extra or None)


async def refresh_copy(rt: Runtime, stored: StoredObject, changes: Mapping[str, Any]) -> None:
    """Apply `changes` to our stored copy of an object without publishing anything."""
    doc = {**stored.document, **changes}
    start, end = time_bounds(doc)
    await activity_store.upsert_object(
        rt.store,
        uri=stored.uri,
        type_=stored.type,
        kind=stored.kind,
        attributed_to=stored.attributed_to,
        local=stored.local,
        public=stored.public,
        addressees=stored.addressees,
        community_uri=stored.community_uri,
        in_reply_to=stored.in_reply_to,
        document=doc,
        published=stored.published,
        updated=rt.clock.now(),
        start_time=start,
        end_time=end,
    )
