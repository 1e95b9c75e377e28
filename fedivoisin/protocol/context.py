"""Pinned JSON-LD contexts and the ONE offline pyld document loader.

Why: a remote ``@context`` is both an SSRF vector and a way to remap terms under a
signature (SECURITY.md rule 10), so nothing is ever fetched: the contexts that real peers
reference are bundled in ``fedivoisin/contexts/`` and any other URL is refused. pyld is
imported lazily because most requests never need it (PERFORMANCE.md: expansion triples the
cost of a request and pyld weighs on idle memory).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from fedivoisin.errors import InvalidActivity

__all__ = [
    "AS2_CONTEXT_URL",
    "BUNDLED_CONTEXTS",
    "DATA_INTEGRITY_V1_URL",
    "FEDIVOISIN_CONTEXT_URL",
    "OUTGOING_CONTEXT",
    "SECURITY_V1_URL",
    "UNSAFE_JSONLD_KEYWORDS",
    "ContextNotBundled",
    "bundled_file_for",
    "context_document",
    "expand",
    "offline_document_loader",
    "reject_unsafe_jsonld",
    "undefined_terms",
]

AS2_CONTEXT_URL = "https://www.w3.org/ns/activitystreams"
SECURITY_V1_URL = "https://w3id.org/security/v1"
FEDIVOISIN_CONTEXT_URL = "https://w3id.org/fedivoisin/ns/v1"
DATA_INTEGRITY_V1_URL = "https://w3id.org/security/data-integrity/v1"

#: context URL -> bundled file name (without ``.jsonld``). SOURCES.md says where each is from.
BUNDLED_CONTEXTS: dict[str, str] = {
    AS2_CONTEXT_URL: "activitystreams",
    "http://www.w3.org/ns/activitystreams": "activitystreams",
    "https://www.w3.org/ns/activitystreams.jsonld": "activitystreams",
    SECURITY_V1_URL: "security-v1",
    DATA_INTEGRITY_V1_URL: "security-data-integrity-v1",
    "https://w3id.org/security/data-integrity/v2": "security-data-integrity-v2",
    "https://w3id.org/security/multikey/v1": "security-multikey-v1",
    "https://w3id.org/identity/v1": "identity-v1",
    "https://www.w3.org/ns/did/v1": "did-v1",
    "https://join-lemmy.org/context.json": "join-lemmy",
    "https://gotosocial.org/ns": "gotosocial",
    "https://purl.archive.org/miscellany": "miscellany",
    "http://joinmastodon.org/ns": "joinmastodon",
    "https://litepub.social/litepub/context.jsonld": "litepub-context",
    "https://w3id.org/fep/8a8e": "fep-8a8e",
    FEDIVOISIN_CONTEXT_URL: "fedivoisin-v1",
}

# Pleroma and Akkoma serve their litepub context from every instance's own host.
_LITEPUB_PATH = re.compile(r"^/schemas/litepub-0\.1\.jsonld$")

#: SECURITY.md rule 10 / Mastodon UNSUPPORTED_JSONLD_KEYWORDS.
UNSAFE_JSONLD_KEYWORDS = frozenset({"@graph", "@included", "@reverse"})


class ContextNotBundled(InvalidActivity):
    """A document names a ``@context`` URL we do not ship; we never fetch it."""

    def __init__(self, url: str) -> None:
        super().__init__(f"@context {url!r} is not supported", field="@context")
        self.url = url


def bundled_file_for(url: str) -> str | None:
    """Name of the bundled context for ``url``, or None; a ``#fragment`` is ignored."""
    base = url.split("#", 1)[0]
    # http:// and https:// name the same context (older Mastodon actors, some relays and
    # Misskey forks write `http://w3id.org/security/v1`): both map to the bundled file.
    forms = [base]
    if base.startswith("http://"):
        forms.append("https://" + base.removeprefix("http://"))
    elif base.startswith("https://"):
        forms.append("http://" + base.removeprefix("https://"))
    for form in forms:
        name = BUNDLED_CONTEXTS.get(form) or BUNDLED_CONTEXTS.get(form.rstrip("/"))
        if name:
            return name
    parts = urlsplit(base)
    if parts.scheme in ("https", "http") and parts.netloc and _LITEPUB_PATH.match(parts.path):
        return "litepub-0.1"
    return None


@cache
def context_document(name: str) -> bytes:
    """Raw bytes of a bundled context (e.g. ``"fedivoisin-v1"``, served at ``/ns/v1``)."""
    if not re.fullmatch(r"[a-z0-9.-]+", name):
        raise KeyError(name)
    path = resources.files("fedivoisin").joinpath("contexts", f"{name}.jsonld")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyError(name) from None


@cache
def _inline_term_map() -> dict[str, Any]:
    term_map: dict[str, Any] = json.loads(context_document("fedivoisin-v1"))["@context"]
    return term_map


def _outgoing_context() -> list[str | dict[str, Any]]:
    return [AS2_CONTEXT_URL, SECURITY_V1_URL, DATA_INTEGRITY_V1_URL, _inline_term_map()]


#: The ``@context`` we put on the wire: AS2 first (Mastodon checks that exact string), then
#: security v1 (``publicKey``), data-integrity v1 (the FEP-8b32 ``proof``, as Fedify lays it
#: out), then our term map inlined so receivers never fetch it.
#: Treat as read-only; copy it before changing anything.
OUTGOING_CONTEXT: list[str | dict[str, Any]] = _outgoing_context()


def offline_document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader that serves only bundled files, tagged ``static``.

    The ``static`` tag lets pyld cache the processed context across calls (2x faster).
    A fresh parse is returned each time because pyld mutates what it is given.
    """
    name = bundled_file_for(url)
    if name is None:
        raise ContextNotBundled(url)
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads(context_document(name)),
        "tag": "static",
    }


@cache
def _jsonld() -> Any:
    """Import pyld once, and make our loader pyld's global default too (defence in depth)."""
    from pyld import jsonld

    jsonld.set_document_loader(offline_document_loader)
    return jsonld


def _not_bundled_cause(exc: BaseException) -> ContextNotBundled | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ContextNotBundled):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _run_expand(doc: Any, on_dropped: Callable[[str | None], Any] | None) -> list[Any]:
    jsonld = _jsonld()
    options = {"documentLoader": offline_document_loader}
    try:
        if on_dropped is None:
            result: list[Any] = jsonld.expand(doc, options)
        else:
            result = jsonld.expand(doc, options, on_property_dropped=on_dropped)
    except (
        jsonld.JsonLdError,
        TypeError,
        ValueError,
        KeyError,
        AttributeError,
        RecursionError,
    ) as exc:
        cause = _not_bundled_cause(exc)
        if cause is not None:
            raise ContextNotBundled(cause.url) from exc
        raise InvalidActivity("invalid JSON-LD", internal=str(exc), field="@context") from exc
    return result


def expand(doc: dict[str, Any]) -> list[Any]:
    """Expand ``doc`` offline after refusing unsafe keywords.

    Raises ContextNotBundled for an unknown context URL, InvalidActivity for bad JSON-LD.
    """
    reject_unsafe_jsonld(doc)
    return _run_expand(doc, None)


def undefined_terms(doc: dict[str, Any]) -> list[str]:
    """Keys and types of ``doc`` that its contexts do not define.

    AS2 sets ``"@vocab": "_:"``, so an undefined key silently becomes a blank-node IRI;
    without any vocabulary it is dropped. Both are reported, and so are prefixed names whose
    prefix is undefined (``sc:foo`` when ``sc`` is not declared) and values of ``@vocab``
    terms that are no term (``"kind": "Nouvelles"``), by their compact name.
    """
    dropped: list[str] = []

    def on_dropped(prop: str | None) -> None:
        dropped.append(prop if prop else "?")

    reject_unsafe_jsonld(doc)
    expanded = _run_expand(doc, on_dropped)
    found = set(dropped)
    for iri in _expanded_iris(expanded):
        if iri.startswith("_:"):
            found.add(iri[2:])
        elif not _is_known_scheme(iri):
            found.add(iri)
    return sorted(found)


def _is_known_scheme(iri: str) -> bool:
    scheme = iri.split(":", 1)[0].lower() if ":" in iri else ""
    return scheme in ("http", "https", "urn", "did", "mailto", "tag", "acct")


def _expanded_iris(node: Any) -> Iterator[str]:
    """Property IRIs, ``@type`` values and vocab-mapped ``@id`` values of expanded output."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if key == "@type":
                yield from (
                    v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)
                )
            elif key == "@id":
                if isinstance(value, str) and value.startswith("_:"):
                    yield value
            elif not key.startswith("@"):
                yield key
            if key != "@value" and isinstance(value, list | dict):
                stack.append(value)


# A JSON escape of "@" or of an ASCII letter (\u0040, \u0067…) could spell a keyword that
# a byte search would miss; other escapes (\u003c in Mastodon's HTML) cannot.
_LETTER_ESCAPE = re.compile(rb"\\u00(?:4[0-9a-fA-F]|5[0-9aA]|6[1-9a-fA-F]|7[0-9aA])")
_KEYWORD_BYTES = (b"@graph", b"@included", b"@reverse")


def may_hold_unsafe_jsonld(body: bytes) -> bool:
    """Cheap pre-check on the raw body (C-speed scans): False means `reject_unsafe_jsonld`
    cannot raise, so the per-key walk is skipped on the hot path of the inbox."""
    if any(k in body for k in _KEYWORD_BYTES):
        return True
    return b"\\u00" in body and _LETTER_ESCAPE.search(body) is not None


def reject_unsafe_jsonld(doc: Any) -> None:
    """Raise InvalidActivity if ``@graph``/``@included``/``@reverse`` appear anywhere.

    Those keywords can restructure an LD-signed activity without breaking its signature
    (Mastodon CVE-2022-24307, CVE-2026-46349; Fedify GHSA-9rfg-v8g9-9367). Inside a
    ``@context`` an alias to them (``"g": "@graph"``) or a ``@reverse`` term is refused too.
    """
    stack: list[tuple[Any, str, bool]] = [(doc, "", False)]
    while stack:
        item, path, in_context = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                where = f"{path}.{key}" if path else str(key)
                if key in UNSAFE_JSONLD_KEYWORDS:
                    raise InvalidActivity(f"JSON-LD keyword {key} is not accepted", field=where)
                stack.append((value, where, in_context or key == "@context"))
        elif isinstance(item, list):
            stack.extend((v, f"{path}[{i}]", in_context) for i, v in enumerate(item))
        elif in_context and isinstance(item, str) and item in UNSAFE_JSONLD_KEYWORDS:
            raise InvalidActivity(f"JSON-LD keyword alias to {item} is not accepted", field=path)
