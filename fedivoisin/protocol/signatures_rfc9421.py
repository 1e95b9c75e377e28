"""RFC 9421 HTTP Message Signatures (and RFC 9530 Content-Digest), as Fedify signs them.

Why its own module: the structured fields (`Signature-Input`, `Signature`,
`Content-Digest`) are parsed and serialised with `http_sfv` only, and the signature base
rules (derived components, `@signature-params`) share nothing with draft-cavage. Strength
rules (SECURITY.md rule 3): `@method`, `@target-uri` (or `@authority` + `@path`, plus
`@query` when the URL has one), a `created` parameter or `date`, and `content-digest`
whenever there is a body.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from urllib.parse import SplitResult, quote, unquote_plus

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding
from http_sfv.dictionary import Dictionary
from http_sfv.item import InnerList, Item

from .keys import PrivateKey
from .signatures_common import (
    BODY_METHODS,
    ParsedSignature,
    Rejected,
    authority,
    check_content_digest,
    lower_headers,
    request_target,
    safe_name,
    split_url,
)

_ALGORITHMS = frozenset({"rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519"})


def parse_rfc9421(
    method: str,
    url: str,
    parts: SplitResult,
    headers: Mapping[str, str],
) -> ParsedSignature | Rejected:
    """Pick the first signature that parses and is strong enough, and build its base."""
    inputs = _parse_dictionary(headers.get("signature-input", ""))
    signatures = _parse_dictionary(headers.get("signature", ""))
    if inputs is None or signatures is None:
        return Rejected("The Signature-Input or Signature header could not be parsed.")
    first_problem: Rejected | None = None
    for label, member in inputs.items():
        parsed = _parse_member(label, member, signatures, method, url, parts, headers)
        if not isinstance(parsed, Rejected):
            parsed = check_rfc9421_strength(parsed, method, None, has_query=bool(parts.query))
        if not isinstance(parsed, Rejected):
            return parsed
        first_problem = first_problem or parsed
    return first_problem or Rejected("The Signature-Input header holds no signature.")


def check_rfc9421_strength(
    parsed: ParsedSignature, method: str, body: bytes | None, *, has_query: bool
) -> ParsedSignature | Rejected:
    """Return `parsed` if it covers enough of the request, else why not."""
    covered = parsed.components
    if "@method" not in covered:
        return Rejected("The signature must cover @method.")
    if "@target-uri" not in covered and not (
        "@authority" in covered and "@path" in covered and ("@query" in covered or not has_query)
    ):
        return Rejected("The signature must cover @target-uri (or @authority and @path).")
    if parsed.created is None and "date" not in covered:
        return Rejected("The signature must have a created parameter or cover date.")
    if (method.upper() in BODY_METHODS or body) and "content-digest" not in covered:
        return Rejected("The signature must cover Content-Digest on requests with a body.")
    return parsed


def check_rfc9421_digest(value: str | None, body: bytes) -> Rejected | None:
    """Recompute the RFC 9530 Content-Digest (sha-256 / sha-512) from the raw body."""
    if value is None:
        return Rejected("The Content-Digest header is missing.")
    parsed = _parse_dictionary(value)
    if parsed is None:
        return Rejected("The Content-Digest header could not be parsed.")
    digests: dict[str, bytes] = {}
    for name, member in parsed.items():
        if isinstance(member, Item) and isinstance(member.value, bytes):
            digests[name] = member.value
    return check_content_digest(digests, body)


def rfc9421_verify_method(algorithm: str | None, key_is_ed25519: bool) -> str:
    """Map `alg` to a concrete check; without `alg` the key type decides (RFC 9421 §3.3.7)."""
    if algorithm is not None:
        return algorithm
    return "ed25519" if key_is_ed25519 else "rsa-any"


def sign_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    key_id: str,
    private_key: PrivateKey,
    now: float,
    label: str = "sig1",
) -> dict[str, str]:
    """Sign `@method @target-uri @authority` (+ content-digest, content-type, accept).

    Returns the headers to add: `Content-Digest` (when there is a body), `Signature-Input`
    and `Signature`. RSA keys sign `rsa-v1_5-sha256` (what Fedify and Mastodon verify);
    Ed25519 keys sign `ed25519`.
    """
    parts = split_url(url)
    if isinstance(parts, Rejected):
        raise ValueError(parts.reason)
    given = lower_headers(headers)
    added: dict[str, str] = {}
    names = ["@method", "@target-uri", "@authority"]
    if body is not None:
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
        added["Content-Digest"] = given["content-digest"] = f"sha-256=:{digest}:"
        names.append("content-digest")
    names.extend(name for name in ("content-type", "accept") if name in given)
    is_ed25519 = isinstance(private_key, ed25519.Ed25519PrivateKey)
    inner = InnerList([Item(name) for name in names])
    inner.params["created"] = int(now)
    inner.params["keyid"] = key_id
    inner.params["alg"] = "ed25519" if is_ed25519 else "rsa-v1_5-sha256"
    built = _signature_base(method, url, parts, given, inner)
    if isinstance(built, Rejected):
        raise ValueError(built.reason)
    base = built[0]
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        signature = private_key.sign(base)
    else:
        signature = private_key.sign(base, padding.PKCS1v15(), hashes.SHA256())
    inputs, values = Dictionary(), Dictionary()
    inputs[label] = inner
    values[label] = signature
    added["Signature-Input"] = str(inputs)
    added["Signature"] = str(values)
    return added


def _parse_dictionary(value: str) -> Dictionary | None:
    dictionary = Dictionary()
    try:
        dictionary.parse(value.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None
    return dictionary


def _parse_member(
    label: str,
    member: object,
    signatures: Dictionary,
    method: str,
    url: str,
    parts: SplitResult,
    headers: Mapping[str, str],
) -> ParsedSignature | Rejected:
    if not isinstance(member, InnerList):
        return Rejected("Signature-Input members must be inner lists.")
    sig_item = signatures.get(label)
    if not isinstance(sig_item, Item) or not isinstance(sig_item.value, bytes):
        return Rejected("The Signature header has no byte sequence for this signature.")
    key_id, alg = member.params.get("keyid"), member.params.get("alg")
    created, expires = member.params.get("created"), member.params.get("expires")
    if not isinstance(key_id, str) or not key_id:
        return Rejected("The signature must have a keyid parameter.")
    if alg is not None and alg not in _ALGORITHMS:
        return Rejected("Unsupported signature algorithm.")
    if not _is_int_or_none(created) or not _is_int_or_none(expires):
        return Rejected("The created and expires parameters must be integers.")
    components = _component_names(member)
    if isinstance(components, Rejected):
        return components
    built = _signature_base(method, url, parts, headers, member)
    if isinstance(built, Rejected):
        return built
    base, header_values = built
    return ParsedSignature(
        key_id=key_id,
        scheme="rfc9421",
        algorithm=alg,
        components=components,
        created=created,
        expires=expires,
        signature=sig_item.value,
        signing_base=base,
        header_values=header_values,
        label=label,
    )


def _is_int_or_none(value: object) -> bool:
    return value is None or type(value) is int


def _component_names(member: InnerList) -> tuple[str, ...] | Rejected:
    names: list[str] = []
    for item in member:
        if not isinstance(item, Item) or type(item.value) is not str:
            return Rejected("Covered components must be strings.")
        names.append(item.value + str(item.params))
    if len(set(names)) != len(names):
        return Rejected("A covered component is listed twice.")
    return tuple(names)


def _signature_base(
    method: str,
    url: str,
    parts: SplitResult,
    headers: Mapping[str, str],
    member: InnerList,
) -> tuple[bytes, tuple[tuple[str, str], ...]] | Rejected:
    """RFC 9421 §2.5: one `"name";params: value` line per component, then the params;
    also the covered header values."""
    lines: list[str] = []
    header_values: list[tuple[str, str]] = []
    identifiers: list[str] = []  # each serialised once, reused for @signature-params
    for item in member:
        value = _component_value(item, method, url, parts, headers)
        if isinstance(value, Rejected):
            return value
        if "\n" in value or "\r" in value:
            return Rejected("Covered component values must not contain line breaks.")
        identifiers.append(str(item))
        lines.append(f"{identifiers[-1]}: {value}")
        name = str(item.value)  # a string: checked by _component_value
        if not name.startswith("@"):
            header_values.append((name, value))
    # Same text as str(member) (InnerList serialisation), without serialising items twice.
    lines.append(f'"@signature-params": ({" ".join(identifiers)}){member.params}')
    try:
        return "\n".join(lines).encode("ascii"), tuple(header_values)
    except UnicodeEncodeError:
        return Rejected("The signature base must be ASCII.")


def _component_value(
    item: Item, method: str, url: str, parts: SplitResult, headers: Mapping[str, str]
) -> str | Rejected:
    name = item.value
    if not isinstance(name, str) or name != name.lower():
        return Rejected("Component names must be lower-case strings.")
    if name == "@query-param":
        return _query_param(item, parts.query)
    if item.params:
        return Rejected("Component parameters are not supported.")
    if name.startswith("@"):
        derived = _derived(name, method, url, parts)
        if derived is None:
            return Rejected(f"Unsupported derived component: {safe_name(name)}.")
        return derived
    value = headers.get(name)
    if value is None:
        return Rejected(f"A covered header is missing: {safe_name(name)}.")
    return value.strip()


def _derived(name: str, method: str, url: str, parts: SplitResult) -> str | None:
    if name == "@method":
        return method
    if name == "@target-uri":
        return url
    if name == "@authority":
        return authority(parts)
    if name == "@scheme":
        return parts.scheme
    if name == "@request-target":
        return request_target(parts)
    if name == "@path":
        return parts.path or "/"
    if name == "@query":
        return "?" + parts.query
    return None


def _query_param(item: Item, query: str) -> str | Rejected:
    """`@query-param;name=…`: the single value of that form parameter, re-encoded."""
    wanted = item.params.get("name")
    if set(item.params) != {"name"} or not isinstance(wanted, str):
        return Rejected("@query-param needs exactly one name parameter.")
    found = [
        _form_encode(unquote_plus(value))
        for name, value in _pairs(query)
        if _form_encode(unquote_plus(name)) == wanted
    ]
    if len(found) != 1:
        return Rejected("@query-param must name a parameter that occurs exactly once.")
    return found[0]


def _pairs(query: str) -> Iterable[tuple[str, str]]:
    for chunk in query.split("&"):
        if chunk:
            name, _, value = chunk.partition("=")
            yield name, value


def _form_encode(text: str) -> str:
    """WHATWG form percent-encoding, except that a space becomes %20 (RFC 9421 §2.2.8)."""
    return quote(text, safe="*").replace("~", "%7E")


def parse_rfc9421_all(
    method: str, url: str, headers: Mapping[str, str]
) -> dict[str, ParsedSignature | Rejected]:
    """Every signature in the request by label, without strength rules (for diagnostics
    and test vectors; verification goes through `signatures.parse_signature`)."""
    parts = split_url(url)
    if isinstance(parts, Rejected):
        return {}
    lower = lower_headers(headers)
    inputs = _parse_dictionary(lower.get("signature-input", ""))
    signatures = _parse_dictionary(lower.get("signature", ""))
    if inputs is None or signatures is None:
        return {}
    return {
        label: _parse_member(label, member, signatures, method, url, parts, lower)
        for label, member in inputs.items()
    }
