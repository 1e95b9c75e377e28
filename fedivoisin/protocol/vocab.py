"""The shared neighbourhood vocabulary: detect, parse, validate and complete objects.

Why one façade: callers import from here and never care how the work is split
(vocab_detect, vocab_parse, vocab_validate, vocab_render, vocab_models). See
docs/vocabulary.md for each kind and its mapping to CAP 1.2, FEP-0837/ValueFlows,
FEP-8a8e/Mobilizon, FEP-9967, Open311 and FEP-b2b8.
"""

from __future__ import annotations

from fedivoisin.protocol.vocab_detect import detect_kind
from fedivoisin.protocol.vocab_models import (
    CAP_CATEGORY,
    CAP_CERTAINTY,
    CAP_MSG_TYPE,
    CAP_RESPONSE_TYPE,
    CAP_SEVERITY,
    CAP_STATUS,
    CAP_URGENCY,
    EVENT_STATUSES,
    KINDS,
    PROPOSAL_STATUSES,
    REPORT_STATUSES,
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
from fedivoisin.protocol.vocab_parse import normalize_action, parse_object, parse_place
from fedivoisin.protocol.vocab_render import (
    alert_content_html,
    complete_for_mastodon,
    mastodon_summary_for_event,
)
from fedivoisin.protocol.vocab_validate import SCHEMA_KINDS, validate_local

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
    "SCHEMA_KINDS",
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
    "alert_content_html",
    "complete_for_mastodon",
    "detect_kind",
    "mastodon_summary_for_event",
    "normalize_action",
    "parse_object",
    "parse_place",
    "validate_local",
]
