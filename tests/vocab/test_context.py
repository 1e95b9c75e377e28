"""The bundled contexts and the one offline document loader (SECURITY.md rule 10).

Why: a context fetched at runtime is an SSRF vector and lets a sender remap terms; a term
we forgot to define silently becomes a blank node (AS2 ``"@vocab": "_:"``).
"""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from fedivoisin.errors import InvalidActivity
from fedivoisin.protocol import context
from fedivoisin.protocol.context import (
    AS2_CONTEXT_URL,
    BUNDLED_CONTEXTS,
    FEDIVOISIN_CONTEXT_URL,
    OUTGOING_CONTEXT,
    SECURITY_V1_URL,
    ContextNotBundled,
    bundled_file_for,
    context_document,
    expand,
    offline_document_loader,
    reject_unsafe_jsonld,
    undefined_terms,
)

from ._data import CONTEXTS

AS2_TERMS = set(json.loads(context_document("activitystreams"))["@context"])
OUR_TERMS: dict[str, Any] = json.loads(context_document("fedivoisin-v1"))["@context"]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any socket use fails the test: the loader must never reach the network."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_loader_serves_bundled_contexts_tagged_static() -> None:
    for url in BUNDLED_CONTEXTS:
        remote = offline_document_loader(url, {})
        assert remote["tag"] == "static"
        assert remote["documentUrl"] == url
        assert "@context" in remote["document"]


def test_loader_returns_a_fresh_copy_because_pyld_mutates_it() -> None:
    first = offline_document_loader(AS2_CONTEXT_URL, {})
    first["document"]["@context"].clear()
    assert offline_document_loader(AS2_CONTEXT_URL, {})["document"]["@context"]


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/context.jsonld",
        "https://w3id.org/security/v2",
        "http://127.0.0.1/ns",
        "https://evil.example/schemas/litepub-0.1.jsonld/../x",
        "file:///etc/passwd",
    ],
)
def test_loader_refuses_any_url_not_bundled(url: str) -> None:
    with pytest.raises(ContextNotBundled) as caught:
        offline_document_loader(url, {})
    assert caught.value.url == url
    assert caught.value.field == "@context"


@pytest.mark.usefixtures("no_network")
def test_expand_with_unknown_context_raises_without_network() -> None:
    doc = {"@context": ["https://www.w3.org/ns/activitystreams", "https://unknown.example/ctx"],
           "type": "Note", "content": "x"}  # fmt: skip
    with pytest.raises(ContextNotBundled):
        expand(doc)


@pytest.mark.usefixtures("no_network")
def test_pyld_default_loader_is_ours_after_first_use() -> None:
    expand({"@context": AS2_CONTEXT_URL, "type": "Note"})
    jsonld = context._jsonld()
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand({"@context": "https://unknown.example/ctx", "type": "Note"})


def test_litepub_context_of_any_pleroma_host_maps_to_the_bundled_file() -> None:
    assert (
        bundled_file_for("https://queer.hacktivis.me/schemas/litepub-0.1.jsonld") == "litepub-0.1"
    )
    assert (
        bundled_file_for("https://testing.kawen.dance/schemas/litepub-0.1.jsonld") == "litepub-0.1"
    )
    assert bundled_file_for("https://litepub.social/litepub/context.jsonld") == "litepub-context"
    assert bundled_file_for("https://host.example/other/litepub-0.1.jsonld") is None


def test_fragment_and_trailing_slash_variants_resolve() -> None:
    assert bundled_file_for("https://www.w3.org/ns/activitystreams#") == "activitystreams"
    assert bundled_file_for("https://gotosocial.org/ns/") == "gotosocial"


def test_every_bundled_file_is_a_context_document_listed_in_sources() -> None:
    sources = (CONTEXTS / "SOURCES.md").read_text(encoding="utf-8")
    names = {p.stem for p in CONTEXTS.glob("*.jsonld")}
    assert names == set(BUNDLED_CONTEXTS.values()) | {"litepub-0.1"}
    for name in names:
        assert "@context" in json.loads(context_document(name))
        assert f"`{name}.jsonld`" in sources, f"{name} missing from SOURCES.md"


def test_context_document_refuses_paths() -> None:
    with pytest.raises(KeyError):
        context_document("../schemas/defs.schema")
    with pytest.raises(KeyError):
        context_document("nope")


def test_our_context_redefines_no_as2_term() -> None:
    assert set(OUR_TERMS) & AS2_TERMS == set()


def test_our_context_maps_every_term_to_an_absolute_iri() -> None:
    prefixes = {k: v for k, v in OUR_TERMS.items() if isinstance(v, str) and v.endswith(("#", "/"))}
    for term, definition in OUR_TERMS.items():
        iri = definition if isinstance(definition, str) else definition["@id"]
        prefix, _, _ = iri.partition(":")
        assert iri.startswith(("http://", "https://")) or prefix in prefixes, term


def test_every_term_of_our_context_expands_to_a_real_iri() -> None:
    """Use each term once: nothing may come out as ``_:`` or an unknown scheme."""
    doc: dict[str, Any] = {"@context": [AS2_CONTEXT_URL, FEDIVOISIN_CONTEXT_URL], "type": "Note"}
    for term, definition in OUR_TERMS.items():
        if isinstance(definition, str) and definition.endswith(("#", "/")):
            continue  # a prefix
        if term[:1].isupper():
            doc.setdefault("tag", []).append({"type": term})
        else:
            doc[term] = (
                "EventCancelled" if term == "eventStatus" else "Alert" if term == "kind" else "x"
            )
    doc["communityKind"] = "Building"
    assert undefined_terms(doc) == []


def test_outgoing_context_puts_as2_first_then_security_then_our_inline_map() -> None:
    assert OUTGOING_CONTEXT[0] == AS2_CONTEXT_URL
    assert OUTGOING_CONTEXT[1] == SECURITY_V1_URL
    assert OUTGOING_CONTEXT[2] == "https://w3id.org/security/data-integrity/v1"
    assert OUTGOING_CONTEXT[3] == OUR_TERMS
    assert len(OUTGOING_CONTEXT) == 4


def test_served_bytes_are_the_bundled_fedivoisin_context() -> None:
    assert context_document("fedivoisin-v1") == (CONTEXTS / "fedivoisin-v1.jsonld").read_bytes()


def test_undefined_terms_reports_blank_nodes_dropped_keys_and_unknown_prefixes() -> None:
    doc = {
        "@context": [AS2_CONTEXT_URL, {"sc": "http://schema.org/"}],
        "type": ["Note", "Mystery"],
        "content": "ok",
        "madeUp": 1,
        "zz:prefixed": 2,
        "sc:fine": 3,
    }
    assert undefined_terms(doc) == ["Mystery", "madeUp", "zz:prefixed"]
    assert undefined_terms({"type": "Note", "content": "no context"}) == ["content", "type"]


def test_undefined_terms_catches_the_missing_hashtag_of_as2() -> None:
    """VOCABULARY.md §2: AS2 lacks Hashtag; the test that caught it must keep catching it."""
    doc = {"@context": AS2_CONTEXT_URL, "type": "Note", "tag": [{"type": "Hashtag", "name": "#a"}]}
    assert undefined_terms(doc) == ["Hashtag"]
    doc["@context"] = [AS2_CONTEXT_URL, FEDIVOISIN_CONTEXT_URL]
    assert undefined_terms(doc) == []


def test_expand_gives_expanded_iris() -> None:
    doc = {"@context": [AS2_CONTEXT_URL, FEDIVOISIN_CONTEXT_URL], "type": "Note", "kind": "Alert",
           "severity": "Minor"}  # fmt: skip
    [node] = expand(doc)
    assert node["@type"] == ["https://www.w3.org/ns/activitystreams#Note"]
    assert node["https://w3id.org/fedivoisin/ns#kind"] == [
        {"@id": "https://w3id.org/fedivoisin/ns#Alert"}
    ]
    assert node["https://w3id.org/fedivoisin/ns#severity"] == [{"@value": "Minor"}]


def test_expand_reports_malformed_json_ld_as_invalid_activity() -> None:
    with pytest.raises(InvalidActivity) as caught:
        expand({"@context": {"@version": 2.0}, "type": "Note"})
    assert caught.value.field == "@context"


# --- SECURITY.md rule 10 -------------------------------------------------------------------

UNDO_ANNOUNCE = {
    "@context": AS2_CONTEXT_URL,
    "id": "https://evil.example/undo/1",
    "type": "Undo",
    "actor": "https://evil.example/users/mallory",
}


@pytest.mark.parametrize("keyword", ["@graph", "@included", "@reverse"])
def test_cve_2022_24307_and_ghsa_9rfg_v8g9_9367_restructuring_keywords_are_refused(
    keyword: str,
) -> None:
    """An embedded Announce promoted out of an Undo by @graph/@included/@reverse."""
    doc = {
        **UNDO_ANNOUNCE,
        "object": {"type": "Announce", keyword: [{"type": "Announce", "object": "x"}]},
    }
    with pytest.raises(InvalidActivity) as caught:
        reject_unsafe_jsonld(doc)
    assert caught.value.field == f"object.{keyword}"
    with pytest.raises(InvalidActivity):
        expand(doc)
    with pytest.raises(InvalidActivity):
        undefined_terms(doc)


def test_ghsa_9rfg_v8g9_9367_keyword_deep_in_a_list_is_refused() -> None:
    doc = {**UNDO_ANNOUNCE, "object": [{"type": "Note"}, {"tag": [{"x": {"@included": []}}]}]}
    with pytest.raises(InvalidActivity) as caught:
        reject_unsafe_jsonld(doc)
    assert caught.value.field == "object[1].tag[0].x.@included"


@pytest.mark.parametrize(
    "ctx",
    [
        {"g": "@graph"},
        {"inc": {"@id": "@included"}},
        {"by": {"@reverse": "https://www.w3.org/ns/activitystreams#actor"}},
    ],
)
def test_cve_2022_24307_aliases_of_restructuring_keywords_in_a_context_are_refused(
    ctx: dict[str, Any],
) -> None:
    doc = {**UNDO_ANNOUNCE, "@context": [AS2_CONTEXT_URL, ctx]}
    with pytest.raises(InvalidActivity):
        reject_unsafe_jsonld(doc)


def test_ordinary_documents_pass_the_keyword_check() -> None:
    reject_unsafe_jsonld(
        {**UNDO_ANNOUNCE, "object": {"type": "Note", "content": "@graph is fine as text"}}
    )


def test_keyword_check_handles_very_deep_documents_without_recursion() -> None:
    doc: dict[str, Any] = {"type": "Note"}
    for _ in range(5000):
        doc = {"object": doc}
    reject_unsafe_jsonld(doc)
