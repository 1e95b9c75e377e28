"""parse_object and detect_kind never raise, whatever JSON arrives.

Why: parsing runs on every received activity before anything else; one exception would
drop a peer's whole delivery. The private ``_parse`` is driven directly so the last-resort
guard in parse_object cannot hide a bug.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fedivoisin.errors import InvalidActivity
from fedivoisin.protocol.context import reject_unsafe_jsonld
from fedivoisin.protocol.vocab import KINDS, complete_for_mastodon, detect_kind, parse_object
from fedivoisin.protocol.vocab_parse import _parse

KEYS = [
    "id", "type", "kind", "name", "nameMap", "summary", "content", "contentMap", "published",
    "updated", "startTime", "endTime", "timezone", "to", "cc", "audience", "attributedTo",
    "actor", "inReplyTo", "url", "tag", "attachment", "location", "latitude", "longitude",
    "radius", "address", "oneOf", "anyOf", "closed", "votersCount", "replies", "totalItems",
    "purpose", "publishes", "reciprocal", "action", "resourceQuantity", "hasNumericalValue",
    "hasUnit", "unitBased", "provider", "receiver", "due", "eventStatus", "status",
    "ical:status", "maximumAttendeeCapacity", "participantCount", "category", "alertStatus",
    "severity", "urgency", "alertCategory", "responseType", "serviceCode", "reportStatus",
    "sensitive", "href", "mediaType", "width", "proposalStatus", "finished", "addressCountry",
    "@context", "@graph", "@reverse",
]  # fmt: skip
TYPES = ["Note", "Event", "Question", "Article", "Intent", "ValueFlows:Offer", "Need", "Place",
         "Proposal", "Create", "Offer"]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(TYPES + KEYS + ["2025-05-30T19:00:00+02:00", "2025-13-99", "Europe/Paris",
                                     "CANCELLED", "transfer-custody", "offer", "Minor", "@included"])
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=25,
)
objects = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), json_values, max_size=12)
typed_objects = st.builds(
    lambda d, t: {**d, "type": t}, objects, st.sampled_from(TYPES) | json_values
)


@settings(max_examples=400, deadline=None)
@given(typed_objects)
def test_parse_never_raises_on_arbitrary_json(obj: dict[str, Any]) -> None:
    parsed = _parse(obj)
    assert parsed.kind in KINDS
    assert parse_object(obj) == parsed
    assert detect_kind(obj) == parsed.kind


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_value_is_handled(value: Any) -> None:
    assert parse_object(value).kind in KINDS
    assert detect_kind(value) in KINDS


@settings(max_examples=200, deadline=None)
@given(
    typed_objects, st.sampled_from(["event", "alert", "proposal", "news", "report", "poll", "note"])
)
def test_complete_for_mastodon_never_raises(obj: dict[str, Any], kind: str) -> None:
    out = complete_for_mastodon(kind, obj)
    assert isinstance(out, dict)


UNSAFE = {"@graph", "@included", "@reverse"}


def _has_keyword(value: Any, *, in_context: bool) -> bool:
    """Reference answer, written independently of the iterative implementation."""
    if isinstance(value, dict):
        return any(
            k in UNSAFE or _has_keyword(v, in_context=in_context or k == "@context")
            for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_has_keyword(v, in_context=in_context) for v in value)
    return in_context and isinstance(value, str) and value in UNSAFE


@settings(max_examples=200, deadline=None)
@given(objects)
def test_keyword_check_refuses_exactly_the_documents_with_those_keywords(
    obj: dict[str, Any],
) -> None:
    has_keyword = _has_keyword(obj, in_context=False)
    try:
        reject_unsafe_jsonld(obj)
    except InvalidActivity:
        assert has_keyword
    else:
        assert not has_keyword
