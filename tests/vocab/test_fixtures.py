"""Real payloads of other servers (tests/fixtures, see its SOURCES.md) through our loader.

Why: peers send long ``@context`` arrays, litepub URLs on every host, Lemmy documents without
any context. Expansion must succeed offline; their own undefined terms are known variance
(reported, never failed), because we cannot fix other software's contexts.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from fedivoisin.protocol.context import ContextNotBundled, expand, undefined_terms
from fedivoisin.protocol.vocab import KINDS, detect_kind, parse_object

from ._data import fixture_files, inner_object, load

FIXTURES = fixture_files()

#: Context URLs no public copy could be found for (fedivoisin/contexts/SOURCES.md).
NOT_BUNDLED = {
    "kroeg/create-note-array-less-emoji.json": "https://puckipedia.com/-/context",
    # Hubzilla names a context served by each hub itself (`/apschema/v1.2`); our inbox reads
    # the compact form and never expands it (docs/federation.md, JSON-LD).
    "hubzilla/create-note.json": "https://hubzilla.example/apschema/v1.2",
}


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_fixture_corpus_is_copied_whole() -> None:
    assert len(FIXTURES) >= 60
    assert (FIXTURES[0].parents[1] / "SOURCES.md").exists()


@pytest.mark.parametrize("path", FIXTURES, ids=_name)
def test_fixture_expands_offline(path: Path, record_property: pytest.RecordProperty) -> None:
    doc = load(path)
    missing = NOT_BUNDLED.get(_name(path))
    if missing:
        with pytest.raises(ContextNotBundled) as caught:
            expand(doc)
        assert caught.value.url == missing
        return
    assert isinstance(expand(doc), list)
    variance = undefined_terms(doc)
    record_property("known_variance", ",".join(variance))
    if variance:
        print(f"known variance {_name(path)}: {variance}")


@pytest.mark.parametrize("path", FIXTURES, ids=_name)
def test_fixture_parses_without_raising(path: Path) -> None:
    obj = inner_object(load(path))
    parsed = parse_object(obj)
    assert parsed.kind in KINDS
    assert parsed.kind == detect_kind(obj)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("mobilizon/event.json", "event"),
        ("mobilizon/create-event.json", "event"),
        ("gancio/create-event.json", "event"),
        ("mastodon/create-question-oneof.json", "poll"),
        ("mastodon/create-note-poll-vote.json", "note"),
        ("gotosocial/create-poll-vote.json", "note"),
        ("gotosocial/note-with-mention.json", "note"),
        ("kroeg/create-note-array-less-emoji.json", "note"),
        ("pixelfed/create-note-with-place.json", "note"),
        ("friendica/create-note.json", "note"),
        ("pleroma/note-followers-only.json", "note"),
        ("lemmy/announce-create-page.json", "unknown"),
        ("mastodon/person.json", "unknown"),
        ("mastodon/follow.json", "unknown"),
        ("pleroma/create-chat-message.json", "unknown"),
    ],
)
def test_kind_of_real_payloads(name: str, kind: str) -> None:
    obj = inner_object(load(Path(__file__).resolve().parents[1] / "fixtures" / name))
    assert detect_kind(obj) == kind
