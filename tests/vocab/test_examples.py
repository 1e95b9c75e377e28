"""schemas/examples: every valid example passes, every invalid one fails on its field.

Why: the examples are the executable half of docs/vocabulary.md; an invalid example states
the field it breaks in ``"$comment": "invalid: <dotted.path>"`` (stripped before use).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fedivoisin.errors import InvalidActivity
from fedivoisin.protocol.context import OUTGOING_CONTEXT, undefined_terms
from fedivoisin.protocol.vocab import (
    complete_for_mastodon,
    detect_kind,
    parse_object,
    validate_local,
)

from ._data import EXAMPLES, example_files, example_id, load

VALID = example_files("valid")
INVALID = example_files("invalid")
KIND_OF_DIR = {"proposal": "proposal", "event": "event", "alert": "alert", "news": "news",
               "poll": "poll", "report": "report", "note": "note"}  # fmt: skip


def _example(path: Path) -> tuple[str, dict[str, Any], str | None]:
    doc = load(path)
    comment = doc.pop("$comment", None)
    return path.parent.name, doc, comment


def test_every_kind_has_at_least_two_valid_and_one_invalid_example() -> None:
    for kind in KIND_OF_DIR:
        assert len(list((EXAMPLES / kind).glob("valid-*.json"))) >= 2, kind
        assert list((EXAMPLES / kind).glob("invalid-*.json")), kind


@pytest.mark.parametrize("path", VALID, ids=example_id)
def test_valid_example_validates(path: Path) -> None:
    kind, doc, comment = _example(path)
    assert comment is None or not comment.startswith("invalid")
    validate_local(kind, doc)


@pytest.mark.parametrize("path", INVALID, ids=example_id)
def test_invalid_example_fails_naming_its_field(path: Path) -> None:
    kind, doc, comment = _example(path)
    assert comment and comment.startswith("invalid: "), "state the failing field in $comment"
    expected = comment.removeprefix("invalid: ")
    with pytest.raises(InvalidActivity) as caught:
        validate_local(kind, doc)
    assert caught.value.field == expected
    assert caught.value.detail.startswith(f"{expected}: ")
    assert caught.value.status == 400


@pytest.mark.parametrize("path", VALID, ids=example_id)
def test_valid_example_is_detected_as_its_kind(path: Path) -> None:
    kind, doc, _ = _example(path)
    assert detect_kind(doc) == KIND_OF_DIR[kind]
    assert parse_object(doc).kind == KIND_OF_DIR[kind]


@pytest.mark.parametrize("path", VALID + INVALID, ids=example_id)
def test_example_expands_with_no_undefined_term(path: Path) -> None:
    """An invalid example may only be undefined where it is wrong (a misspelt member, or a
    value outside the vocabulary of an ``@vocab`` term such as ``kind``)."""
    _, doc, comment = _example(path)
    field = comment.removeprefix("invalid: ") if comment else None
    allowed = {field, str(doc.get(field))} if field else set()
    assert set(undefined_terms(doc)) <= allowed


def test_misspelt_member_is_caught_both_by_schema_and_by_expansion() -> None:
    _, doc, _ = _example(EXAMPLES / "alert" / "invalid-typo-property.json")
    assert undefined_terms(doc) == ["instructions"]


@pytest.mark.parametrize("path", VALID, ids=example_id)
def test_example_with_inlined_outgoing_context_has_no_undefined_term(path: Path) -> None:
    _, doc, _ = _example(path)
    assert undefined_terms({**doc, "@context": OUTGOING_CONTEXT}) == []


@pytest.mark.parametrize("path", VALID, ids=example_id)
def test_completed_example_still_validates_and_completion_is_idempotent(path: Path) -> None:
    kind, doc, _ = _example(path)
    completed = complete_for_mastodon(kind, doc)
    validate_local(kind, completed)
    assert complete_for_mastodon(kind, completed) == completed
    assert undefined_terms(completed) == []
