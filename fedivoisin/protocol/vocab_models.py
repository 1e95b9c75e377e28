"""Typed, immutable models of the neighbourhood vocabulary (VOCABULARY.md §3).

Why: the inbox parses once at the edge and hands these on; nothing past it reads raw
dicts. Kind-specific parts are optional members so one ParsedObject fits every kind, and
a Mobilizon event or a Mastodon poll lands in the same model as our own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

__all__ = [
    "CAP_CATEGORY",
    "CAP_CERTAINTY",
    "CAP_MSG_TYPE",
    "CAP_RESPONSE_TYPE",
    "CAP_SEVERITY",
    "CAP_STATUS",
    "CAP_URGENCY",
    "EVENT_STATUSES",
    "KINDS",
    "PROPOSAL_STATUSES",
    "REPORT_STATUSES",
    "VF_ACTIONS",
    "AlertFields",
    "Attachment",
    "EventFields",
    "ParsedObject",
    "Place",
    "PollFields",
    "PollOption",
    "PostalAddress",
    "ProposalFields",
    "Quantity",
    "ReportFields",
    "Tag",
]

#: What detect_kind returns.
KINDS: Final = ("event", "proposal", "alert", "news", "poll", "report", "note", "unknown")

# CAP 1.2 enumerations, verbatim (docs.oasis-open.org/emergency/cap/v1.2).
CAP_STATUS: Final = ("Actual", "Exercise", "System", "Test", "Draft")
CAP_MSG_TYPE: Final = ("Alert", "Update", "Cancel", "Ack", "Error")
CAP_CATEGORY: Final = (
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire",
    "Health", "Env", "Transport", "Infra", "CBRNE", "Other",
)  # fmt: skip
CAP_RESPONSE_TYPE: Final = (
    "Shelter", "Evacuate", "Prepare", "Execute", "Avoid",
    "Monitor", "Assess", "AllClear", "None",
)  # fmt: skip
CAP_URGENCY: Final = ("Immediate", "Expected", "Future", "Past", "Unknown")
CAP_SEVERITY: Final = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CAP_CERTAINTY: Final = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")

#: ValueFlows actions (valueflows/valueflows all_vf.TTL, vf:Action individuals).
VF_ACTIONS: Final = (
    "accept", "combine", "consume", "cite", "copy", "deliverService", "dropoff",
    "lower", "modify", "move", "pickup", "produce", "raise", "separate",
    "transferAllRights", "transfer", "transferCustody", "use", "work",
)  # fmt: skip

#: FEP-8a8e eventStatus values.
EVENT_STATUSES: Final = (
    "EventScheduled", "EventCancelled", "EventTentative",
    "EventPostponed", "EventRescheduled", "EventMovedOnline",
)  # fmt: skip
PROPOSAL_STATUSES: Final = ("open", "reserved", "closed")
REPORT_STATUSES: Final = ("open", "acknowledged", "closed")


@dataclass(frozen=True, slots=True)
class PostalAddress:
    """schema.org PostalAddress; ``text`` holds a plain-string address (Gancio)."""

    street_address: str | None = None
    postal_code: str | None = None
    locality: str | None = None
    region: str | None = None
    country: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Place:
    """AS2 Place: venue, report spot or CAP area (circle = lat/long + radius/units)."""

    name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius: float | None = None
    units: str | None = None
    address: PostalAddress | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Tag:
    type: str | None
    name: str | None
    href: str | None


@dataclass(frozen=True, slots=True)
class Attachment:
    type: str | None
    url: str | None
    media_type: str | None = None
    name: str | None = None
    blurhash: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class EventFields:
    """FEP-8a8e / Mobilizon event; ``capacity`` None means unlimited (Mobilizon sends 0)."""

    start: datetime | None
    end: datetime | None
    timezone: str | None
    location: Place | None
    category: str | None
    join_mode: str | None
    external_participation_url: str | None
    capacity: int | None
    participant_count: int | None
    event_status: str | None
    cancelled: bool


@dataclass(frozen=True, slots=True)
class Quantity:
    value: float | None
    unit: str | None


@dataclass(frozen=True, slots=True)
class ProposalFields:
    """FEP-0837 proposal; ``action`` is a camelCase ValueFlows action."""

    purpose: str | None
    action: str | None
    resource: str | None
    quantity: Quantity | None
    reciprocal_action: str | None
    unit_based: bool | None
    expires: datetime | None
    status: str
    intent_id: str | None


@dataclass(frozen=True, slots=True)
class AlertFields:
    """CAP 1.2 alert info; ``area`` is the object's location."""

    status: str | None
    msg_type: str | None
    categories: tuple[str, ...]
    response_types: tuple[str, ...]
    urgency: str | None
    severity: str | None
    certainty: str | None
    headline: str | None
    instruction: str | None
    sender_name: str | None
    onset: datetime | None
    expires: datetime | None
    area: Place | None
    web: str | None

    @property
    def is_exercise(self) -> bool:
        """Exercise and Test alerts must never read as real ones."""
        return self.status in ("Exercise", "Test")


@dataclass(frozen=True, slots=True)
class PollOption:
    name: str
    votes: int | None


@dataclass(frozen=True, slots=True)
class PollFields:
    """FEP-9967 / Mastodon poll; ``closed_at`` from ``closed`` (a date, or ``true``)."""

    options: tuple[PollOption, ...]
    multiple: bool
    end_time: datetime | None
    closed_at: datetime | None
    closed: bool
    voters_count: int | None

    def is_closed(self, now: datetime) -> bool:
        """Closed by ``closed: true`` or because its end time has passed (FEP-9967)."""
        return self.closed or (self.end_time is not None and self.end_time <= now)


@dataclass(frozen=True, slots=True)
class ReportFields:
    """Open311 GeoReport v2 service request."""

    service_code: str | None
    service_name: str | None
    report_status: str | None


@dataclass(frozen=True, slots=True)
class ParsedObject:
    """One received or local object, tolerant of every shape peers send.

    ``raw`` is the original dict (not copied: do not mutate it), so fields we do not model
    survive; it is left out of equality so two shapes of the same thing compare equal.
    """

    kind: str
    id: str | None = None
    type: str | None = None
    types: tuple[str, ...] = ()
    attributed_to: str | None = None
    name: str | None = None
    summary: str | None = None
    content: str | None = None
    language: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    in_reply_to: str | None = None
    url: str | None = None
    sensitive: bool = False
    tags: tuple[Tag, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    location: Place | None = None
    event: EventFields | None = None
    proposal: ProposalFields | None = None
    alert: AlertFields | None = None
    poll: PollFields | None = None
    report: ReportFields | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_poll_vote(self) -> bool:
        """FEP-9967: a vote is a Note with ``name`` and ``inReplyTo`` and no ``content``."""
        return (
            self.type == "Note"
            and self.name is not None
            and self.in_reply_to is not None
            and "content" not in self.raw
            and "contentMap" not in self.raw
        )

    @property
    def hashtags(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tags if t.type == "Hashtag" and t.name)
