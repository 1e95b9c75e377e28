"""Tolerant parsing of received objects into ParsedObject.

Why: parse once at the edge (ARCHITECTURE.md convention 1) with plain dict access on the
compacted shapes (PERFORMANCE.md: no JSON-LD on the common path). Nothing here raises on
odd input: a field that cannot be read is None, and unknown fields stay in ``raw``. Lists
that feed work are capped (SECURITY.md rule 12).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from fedivoisin.protocol.vocab_detect import detect_kind, object_types
from fedivoisin.protocol.vocab_models import (
    EVENT_STATUSES,
    PROPOSAL_STATUSES,
    VF_ACTIONS,
    AlertFields,
    Attachment,
    EventFields,
    ParsedObject,
    Place,
    PollFields,
    PollOption,
    PostalAddress,
    ProposalFields,
    Quantity,
    ReportFields,
    Tag,
)
from fedivoisin.protocol.vocab_values import (
    as_bool,
    as_datetime,
    as_float,
    as_int,
    as_list,
    first_id,
    first_str,
    ids,
    lang_text,
    local_name,
    url_of,
)

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_POLL_OPTIONS",
    "MAX_TAGS",
    "normalize_action",
    "parse_object",
    "parse_place",
]

MAX_TAGS: Final = 64
MAX_ATTACHMENTS: Final = 16
MAX_POLL_OPTIONS: Final = 50

_ICAL_TO_EVENT_STATUS: Final = {
    "CANCELLED": "EventCancelled",
    "TENTATIVE": "EventTentative",
    "CONFIRMED": "EventScheduled",
}
_ACTIONS_BY_LOWER: Final = {a.lower(): a for a in VF_ACTIONS}
_WORD_SEP = re.compile(r"[-_\s]+")


def parse_object(obj: Any) -> ParsedObject:
    """Parse any object; never raises, and anything unreadable is kind ``unknown``."""
    if not isinstance(obj, Mapping):
        return ParsedObject(kind="unknown")
    try:
        return _parse(obj)
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError, RecursionError):
        # Last-resort guard; tests drive _parse directly so a bug here still shows.
        return ParsedObject(kind="unknown", raw=obj)


def _parse(obj: Mapping[str, Any]) -> ParsedObject:
    kind = detect_kind(obj)
    types = tuple(raw for raw, _ in object_types(obj))
    name, name_lang = lang_text(obj, "name")
    summary, _ = lang_text(obj, "summary")
    content, content_lang = lang_text(obj, "content")
    location = _location(obj.get("location"))
    return ParsedObject(
        kind=kind,
        id=_str(obj.get("id")),
        type=types[0] if types else None,
        types=types,
        attributed_to=first_id(obj.get("attributedTo")) or first_id(obj.get("actor")),
        name=name,
        summary=summary,
        content=content,
        language=content_lang or name_lang,
        published=as_datetime(obj.get("published")),
        updated=as_datetime(obj.get("updated")),
        to=ids(obj.get("to")),
        cc=ids(obj.get("cc")),
        audience=ids(obj.get("audience")),
        in_reply_to=first_id(obj.get("inReplyTo")),
        url=url_of(obj.get("url")),
        sensitive=as_bool(obj.get("sensitive")) is True,
        tags=_tags(obj.get("tag")),
        attachments=_attachments(obj.get("attachment")),
        location=location,
        event=_event(obj, location) if kind == "event" else None,
        proposal=_proposal(obj) if kind == "proposal" else None,
        alert=_alert(obj, location, name) if kind == "alert" else None,
        poll=_poll(obj) if kind == "poll" else None,
        report=_report(obj) if kind == "report" else None,
        raw=obj,
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _tags(value: Any) -> tuple[Tag, ...]:
    tags: list[Tag] = []
    for item in as_list(value)[:MAX_TAGS]:
        if isinstance(item, Mapping):
            tags.append(
                Tag(first_str(item.get("type")), _str(item.get("name")), first_id(item.get("href")))
            )
        elif isinstance(item, str) and item:
            tags.append(Tag(None, None, item))
    return tuple(tags)


def _attachments(value: Any) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    for item in as_list(value)[:MAX_ATTACHMENTS]:
        if isinstance(item, Mapping):
            found.append(
                Attachment(
                    type=first_str(item.get("type")),
                    url=url_of(item.get("url")) or first_id(item.get("href")),
                    media_type=_str(item.get("mediaType")),
                    name=lang_text(item, "name")[0],
                    blurhash=_str(item.get("blurhash")),
                    width=as_int(item.get("width")),
                    height=as_int(item.get("height")),
                )
            )
        elif isinstance(item, str) and item:
            found.append(Attachment(type=None, url=item))
    return tuple(found)


def _location(value: Any) -> Place | None:
    for item in as_list(value):
        if isinstance(item, Mapping):
            return parse_place(item)
        if isinstance(item, str) and item:
            return Place(id=item)
    return None


def parse_place(item: Mapping[str, Any]) -> Place:
    """AS2 Place with schema.org address; out-of-range coordinates read as unknown."""
    lat = as_float(item.get("latitude"))
    lon = as_float(item.get("longitude"))
    radius = as_float(item.get("radius"))
    return Place(
        name=lang_text(item, "name")[0],
        latitude=lat if lat is not None and -90 <= lat <= 90 else None,
        longitude=lon if lon is not None and -180 <= lon <= 180 else None,
        radius=radius if radius is not None and radius >= 0 else None,
        units=_str(item.get("units")),
        address=_address(item.get("address")),
        id=_str(item.get("id")),
    )


def _address(value: Any) -> PostalAddress | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str) and value.strip():
        return PostalAddress(text=value.strip())
    if not isinstance(value, Mapping):
        return None
    country = value.get("addressCountry")
    if isinstance(country, Mapping):
        country = country.get("name")
    return PostalAddress(
        street_address=_str(value.get("streetAddress")),
        postal_code=_str(value.get("postalCode")),
        locality=_str(value.get("addressLocality")),
        region=_str(value.get("addressRegion")),
        country=_str(country),
    )


def _event(obj: Mapping[str, Any], location: Place | None) -> EventFields:
    status = _event_status(obj)
    capacity = as_int(obj.get("maximumAttendeeCapacity"))
    participants = as_int(obj.get("participantCount"))
    return EventFields(
        start=as_datetime(obj.get("startTime")),
        end=as_datetime(obj.get("endTime")),
        timezone=_str(obj.get("timezone")),
        location=location,
        category=first_str(obj.get("category")),
        join_mode=_str(obj.get("joinMode")),
        external_participation_url=_str(obj.get("externalParticipationUrl")),
        capacity=capacity if capacity is not None and capacity > 0 else None,
        participant_count=participants if participants is not None and participants >= 0 else None,
        event_status=status,
        cancelled=status == "EventCancelled",
    )


def _event_status(obj: Mapping[str, Any]) -> str | None:
    """FEP-8a8e ``eventStatus``, else Mobilizon's ``status``/``ical:status`` (iCalendar)."""
    declared = first_str(obj.get("eventStatus"))
    if declared and local_name(declared) in EVENT_STATUSES:
        return local_name(declared)
    for key in ("status", "ical:status"):
        value = obj.get(key)
        if isinstance(value, str) and value.upper() in _ICAL_TO_EVENT_STATUS:
            return _ICAL_TO_EVENT_STATUS[value.upper()]
    return None


def normalize_action(value: Any) -> str | None:
    """ValueFlows action in camelCase: ``transfer-custody``, ``vf:transferCustody``,
    ``https://w3id.org/valueflows#transfer-custody`` and ``{"id": …}`` all give
    ``transferCustody``; an unknown action is camelCased but kept."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, Mapping):
        value = value.get("id") or value.get("label")
    if not isinstance(value, str) or not value.strip():
        return None
    words = [w for w in _WORD_SEP.split(local_name(value.strip())) if w]
    if not words:
        return None
    camel = words[0][:1].lower() + words[0][1:] + "".join(w[:1].upper() + w[1:] for w in words[1:])
    return _ACTIONS_BY_LOWER.get(camel.lower(), camel)


def _first_mapping(value: Any) -> Mapping[str, Any] | None:
    return next((item for item in as_list(value) if isinstance(item, Mapping)), None)


def _proposal(obj: Mapping[str, Any]) -> ProposalFields:
    names = {name for _, name in object_types(obj)}
    intent = _first_mapping(obj.get("publishes")) or (
        obj if names & {"Intent", "Offer", "Need"} else {}
    )
    reciprocal = _first_mapping(obj.get("reciprocal"))
    return ProposalFields(
        purpose=_purpose(obj, names, intent),
        action=normalize_action(intent.get("action")),
        resource=first_id(intent.get("resourceConformsTo"))
        or first_str(intent.get("resourceClassifiedAs"))
        or first_id(intent.get("resourceInventoriedAs")),
        quantity=_quantity(intent.get("resourceQuantity") or intent.get("availableQuantity")),
        reciprocal_action=normalize_action(reciprocal.get("action")) if reciprocal else None,
        unit_based=as_bool(obj.get("unitBased")),
        expires=as_datetime(obj.get("endTime"))
        or as_datetime(intent.get("hasEnd"))
        or as_datetime(intent.get("due")),
        status=_proposal_status(obj, intent),
        intent_id=_str(intent.get("id")) if intent is not obj else None,
    )


def _purpose(obj: Mapping[str, Any], names: set[str], intent: Mapping[str, Any]) -> str | None:
    """FEP-0837 ``purpose``; Bonfire says it with the type (Offer/Need) or provider/receiver."""
    purpose = obj.get("purpose")
    if isinstance(purpose, str) and purpose.lower() in ("offer", "request"):
        return purpose.lower()
    if "Offer" in names or intent.get("provider"):
        return "offer"
    if "Need" in names or intent.get("receiver"):
        return "request"
    return None


def _proposal_status(obj: Mapping[str, Any], intent: Mapping[str, Any]) -> str:
    declared = obj.get("proposalStatus")
    if isinstance(declared, str) and declared.lower() in PROPOSAL_STATUSES:
        return declared.lower()
    if intent.get("finished") is True or obj.get("closed") not in (None, False):
        return "closed"
    return "open"


def _quantity(value: Any) -> Quantity | None:
    if not isinstance(value, Mapping):
        return None
    unit = value.get("hasUnit")
    if isinstance(unit, Mapping):
        unit = unit.get("symbol") or unit.get("label") or unit.get("id")
    return Quantity(value=as_float(value.get("hasNumericalValue")), unit=_str(unit))


def _alert(obj: Mapping[str, Any], location: Place | None, headline: str | None) -> AlertFields:
    return AlertFields(
        status=_str(obj.get("alertStatus")),
        msg_type=_str(obj.get("msgType")),
        categories=tuple(c for c in as_list(obj.get("alertCategory")) if isinstance(c, str)),
        response_types=tuple(r for r in as_list(obj.get("responseType")) if isinstance(r, str)),
        urgency=_str(obj.get("urgency")),
        severity=_str(obj.get("severity")),
        certainty=_str(obj.get("certainty")),
        headline=headline,
        instruction=_str(obj.get("instruction")),
        sender_name=_str(obj.get("senderName")),
        onset=as_datetime(obj.get("startTime")),
        expires=as_datetime(obj.get("endTime")),
        area=location,
        web=url_of(obj.get("url")),
    )


def _poll(obj: Mapping[str, Any]) -> PollFields:
    one_of = as_list(obj.get("oneOf"))
    any_of = as_list(obj.get("anyOf"))
    multiple = bool(any_of) and not one_of
    options: list[PollOption] = []
    for item in (any_of if multiple else one_of)[:MAX_POLL_OPTIONS]:
        if not isinstance(item, Mapping):
            continue
        name = lang_text(item, "name")[0]
        if name is None:
            continue
        replies = item.get("replies")
        votes = as_int(replies.get("totalItems")) if isinstance(replies, Mapping) else None
        options.append(PollOption(name, votes if votes is not None and votes >= 0 else None))
    closed_value = obj.get("closed")
    closed_at = as_datetime(closed_value)
    voters = as_int(obj.get("votersCount"))
    return PollFields(
        options=tuple(options),
        multiple=multiple,
        end_time=as_datetime(obj.get("endTime")) or closed_at,
        closed_at=closed_at,
        closed=closed_value is True,
        voters_count=voters if voters is not None and voters >= 0 else None,
    )


def _report(obj: Mapping[str, Any]) -> ReportFields:
    status = obj.get("reportStatus")
    return ReportFields(
        service_code=_str(obj.get("serviceCode")),
        service_name=_str(obj.get("serviceName")),
        report_status=status.lower() if isinstance(status, str) and status else None,
    )
