"""Issue 15 item 7: a payload naming a bundled context by its http:// form (Mastodon's older
actors and some relays write `http://w3id.org/security/v1`) expands like the https form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fedivoisin.protocol.context import BUNDLED_CONTEXTS, expand

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mastodon" / "create-note-hashtag.json"


def _with_http_forms(doc: object) -> object:
    text = json.dumps(doc)
    return json.loads(
        text.replace('"https://w3id.org/', '"http://w3id.org/').replace(
            '"https://www.w3.org/ns/activitystreams"', '"http://www.w3.org/ns/activitystreams"'
        )
    )


def test_a_mastodon_payload_with_http_context_forms_expands_like_https() -> None:
    doc = json.loads(FIXTURE.read_text())
    doc["@context"] = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
    http_doc = _with_http_forms(doc)
    assert "http://w3id.org/security/v1" in json.dumps(http_doc)
    assert expand(http_doc) == expand(doc)  # type: ignore[arg-type]


@pytest.mark.parametrize("url", sorted(BUNDLED_CONTEXTS))
def test_every_bundled_context_answers_in_both_schemes(url: str) -> None:
    scheme, rest = url.split("://", 1)
    other = ("http://" if scheme == "https" else "https://") + rest
    doc = {"@context": other, "id": "https://a.example/x"}
    expand(doc)  # raises ContextNotBundled when the http form is unknown
