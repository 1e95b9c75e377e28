"""validate_local beyond the examples: error shape, kind aliases, dates, schema integrity.

Why: a client must learn exactly which field to fix, and the schemas must say CAP 1.2 and
ValueFlows verbatim, as the models do.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from fedivoisin.errors import InvalidActivity, InvalidInput
from fedivoisin.protocol import vocab
from fedivoisin.protocol.vocab import SCHEMA_KINDS, validate_local
from fedivoisin.protocol.vocab_validate import load_schema

from ._data import EXAMPLES, ROOT, SCHEMAS, load


def example(kind: str, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = load(EXAMPLES / kind / f"{name}.json")
    return doc


def test_error_detail_names_the_path_and_the_rule() -> None:
    doc = {**example("alert", "valid-coupure-eau"), "severity": "Bad"}
    with pytest.raises(InvalidActivity) as caught:
        validate_local("alert", doc)
    err = caught.value
    assert isinstance(err, InvalidInput)
    assert err.field == "severity"
    assert (
        err.detail
        == "severity: 'Bad' is not one of ['Extreme', 'Severe', 'Moderate', 'Minor', 'Unknown']"
    )
    assert "[rule enum]" in err.internal


def test_nested_field_path() -> None:
    doc = example("event", "valid-fete-des-voisins")
    doc["location"]["latitude"] = "north"
    with pytest.raises(InvalidActivity) as caught:
        validate_local("event", doc)
    assert caught.value.field == "location.latitude"
    assert caught.value.detail == "location.latitude: 'north' is not of type 'number'"


def test_detail_never_echoes_huge_input() -> None:
    doc = {**example("note", "valid-cles-trouvees"), "content": "x" * 60000}
    with pytest.raises(InvalidActivity) as caught:
        validate_local("note", doc)
    assert caught.value.detail == "content: allows at most 50000 characters"


def test_unknown_kind_and_non_object() -> None:
    with pytest.raises(InvalidActivity) as caught:
        validate_local("petition", {})
    assert caught.value.field == "kind"
    with pytest.raises(InvalidActivity):
        validate_local("note", ["not", "an", "object"])


def test_offer_and_request_are_proposals_with_that_purpose() -> None:
    offer = example("proposal", "valid-offer-pret-perceuse")
    validate_local("offer", offer)
    with pytest.raises(InvalidActivity) as caught:
        validate_local("request", offer)
    assert caught.value.field == "purpose"


def test_now_makes_end_dates_in_the_past_invalid() -> None:
    doc = example("event", "valid-fete-des-voisins")
    validate_local("event", doc, now=datetime(2025, 5, 1, tzinfo=UTC))
    with pytest.raises(InvalidActivity) as caught:
        validate_local("event", doc, now=datetime(2025, 6, 1, tzinfo=UTC))
    assert caught.value.field == "endTime"


def test_alert_expiry_must_follow_its_publication() -> None:
    doc = {**example("alert", "valid-coupure-eau"), "startTime": "2025-06-09T08:00:00+02:00",
           "endTime": "2025-06-09T12:00:00+02:00"}  # fmt: skip
    with pytest.raises(InvalidActivity) as caught:
        validate_local("alert", doc)
    assert caught.value.field == "endTime"


def test_anyof_poll_with_too_many_options() -> None:
    doc = example("poll", "valid-jardin-choix-multiples")
    doc["anyOf"] = [{"type": "Note", "name": f"Choix {i}"} for i in range(25)]
    with pytest.raises(InvalidActivity) as caught:
        validate_local("poll", doc)
    assert caught.value.field == "anyOf"


def test_every_kind_of_detect_kind_that_we_publish_has_a_schema() -> None:
    publishable = set(vocab.KINDS) - {"unknown"}
    assert publishable <= set(SCHEMA_KINDS)


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.name)
def test_schemas_are_valid_draft_2020_12(path: Any) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://w3id.org/fedivoisin/schemas/{path.name}"


def test_schema_enumerations_match_the_models_verbatim() -> None:
    defs = load_schema("defs")["$defs"]
    assert defs["capStatus"]["enum"] == list(vocab.CAP_STATUS)
    assert defs["capMsgType"]["enum"] == list(vocab.CAP_MSG_TYPE)
    assert defs["capCategory"]["enum"] == list(vocab.CAP_CATEGORY)
    assert len(vocab.CAP_CATEGORY) == 12 and vocab.CAP_CATEGORY[0] == "Geo"
    assert vocab.CAP_CATEGORY[-1] == "Other"
    assert defs["capResponseType"]["enum"] == list(vocab.CAP_RESPONSE_TYPE)
    assert len(vocab.CAP_RESPONSE_TYPE) == 9 and vocab.CAP_RESPONSE_TYPE[0] == "Shelter"
    assert vocab.CAP_RESPONSE_TYPE[-1] == "None"
    assert defs["capUrgency"]["enum"] == list(vocab.CAP_URGENCY)
    assert defs["capSeverity"]["enum"] == list(vocab.CAP_SEVERITY)
    assert defs["capCertainty"]["enum"] == list(vocab.CAP_CERTAINTY)
    assert defs["vfAction"]["enum"] == list(vocab.VF_ACTIONS)
    assert defs["eventStatus"]["enum"] == list(vocab.EVENT_STATUSES)
    assert load_schema("report")["properties"]["reportStatus"]["enum"] == list(
        vocab.REPORT_STATUSES
    )
    assert load_schema("proposal")["properties"]["proposalStatus"]["enum"] == list(
        vocab.PROPOSAL_STATUSES
    )


def test_top_level_schemas_directory_points_to_the_packaged_schemas() -> None:
    readme = (ROOT / "schemas" / "README.md").read_text(encoding="utf-8")
    assert "fedivoisin/schemas/" in readme
    assert not list((ROOT / "schemas").glob("*.json"))
