"""draft-cavage-http-signatures-12, the scheme most of the fediverse still signs with.

Why its own module: the `Signature` header here is not a structured field, the signing
string differs from RFC 9421, and Mastodon's quirks (hs2019 defaults, `(request-target)`
without the query) belong in one place. Strength rules follow Mastodon's
`verify_signature_strength!`, made stricter (SECURITY.md rule 3): `(request-target)`,
`host`, `date` or `(created)`, and `digest` whenever there is a body.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from urllib.parse import SplitResult

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding

from .keys import PrivateKey
from .signatures_common import (
    BODY_METHODS,
    ParsedSignature,
    Rejected,
    authority,
    decode_b64,
    imf_fixdate,
    lower_headers,
    request_target,
    safe_name,
    split_url,
)

# One `name=value` pair of the Signature header: quoted-string or token value (RFC 7235).
_PARAM = re.compile(
    r"[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*"
    r'(?:"([^"\\]*(?:\\.[^"\\]*)*)"|([0-9A-Za-z!#$%&\'*+.^_`|~-]+))[ \t]*(?:,|$)'
)
_QUOTED_PAIR = re.compile(r"\\(.)")
_NUMBER = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,9})?")
_KNOWN_PARAMS = frozenset({"keyId", "algorithm", "headers", "signature", "created", "expires"})
# Algorithms we verify; hs2019 means "look at the key" (RSA PKCS#1 v1.5 SHA-256 or Ed25519).
_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})


def signature_header(headers: Mapping[str, str]) -> str | None:
    """The draft-cavage parameter string, from `Signature` or `Authorization: Signature`."""
    value = headers.get("signature")
    if value is not None:
        return value
    auth = headers.get("authorization", "")
    if auth[:10].lower() == "signature ":
        return auth[10:]
    return None


def parse_cavage(
    method: str, parts: SplitResult, headers: Mapping[str, str], raw: str
) -> ParsedSignature | Rejected:
    """Parse the parameters and build the signing string; no key needed yet."""
    params = _parse_params(raw)
    if isinstance(params, Rejected):
        return params
    key_id, sig_b64 = params.get("keyId"), params.get("signature")
    if not key_id or not sig_b64:
        return Rejected("The signature must have keyId and signature parameters.")
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in _ALGORITHMS:
        return Rejected("Unsupported signature algorithm (use rsa-sha256 or hs2019).")
    signature = decode_b64(sig_b64)
    if not signature:
        return Rejected("The signature value is not valid base64.")
    created = _timestamp(params.get("created"))
    expires = _timestamp(params.get("expires"))
    if isinstance(created, Rejected) or isinstance(expires, Rejected):
        return Rejected("The created and expires parameters must be Unix timestamps.")
    names = tuple(params.get("headers", "(created)").lower().split())
    if not names or len(set(names)) != len(names):
        return Rejected("The signed header list is empty or repeats a header.")
    built = _signing_strings(method, parts, headers, names, params, algorithm)
    if isinstance(built, Rejected):
        return built
    base, alt_base, header_values = built
    return ParsedSignature(
        key_id=key_id,
        scheme="cavage",
        algorithm=algorithm,
        components=names,
        created=created if "(created)" in names else None,  # only a signed time counts
        expires=expires,
        signature=signature,
        signing_base=base,
        header_values=header_values,
        alt_signing_base=alt_base,
    )


def check_cavage_strength(
    parsed: ParsedSignature, method: str, body: bytes | None
) -> Rejected | None:
    """Reject a draft-cavage signature that covers too little to bind the request."""
    covered = parsed.components
    if "(request-target)" not in covered or "host" not in covered:
        return Rejected("The signature must cover (request-target) and host.")
    if "date" not in covered and "(created)" not in covered:
        return Rejected("The signature must cover date or (created).")
    if (method.upper() in BODY_METHODS or body) and "digest" not in covered:
        return Rejected("The signature must cover the Digest header on requests with a body.")
    return None


def cavage_verify_method(algorithm: str | None, key_is_ed25519: bool) -> str:
    """Map a draft-cavage algorithm to a concrete check; hs2019 follows the key type."""
    if algorithm == "rsa-sha256" or not key_is_ed25519:
        return "rsa-v1_5-sha256"
    return "ed25519"


def sign_cavage(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    key_id: str,
    private_key: PrivateKey,
    now: float,
) -> dict[str, str]:
    """Sign like Mastodon does; returns the headers to add (Host, Date, Digest, Signature).

    Covered: `(request-target) host date`, then `digest` when there is a body, then
    `content-type` and `accept` when the caller sets them. RSA keys sign `rsa-sha256`;
    Ed25519 keys sign `hs2019`, which Mastodon-compatible servers read from the key type.
    """
    parts = split_url(url)
    if isinstance(parts, Rejected):
        raise ValueError(parts.reason)
    given = lower_headers(headers)
    added = {"Host": authority(parts), "Date": imf_fixdate(now)}
    if body is not None:
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
        added["Digest"] = f"SHA-256={digest}"
    values = {
        "(request-target)": f"{method.lower()} {request_target(parts)}",
        **{name.lower(): value for name, value in added.items()},
    }
    for name in ("content-type", "accept"):
        if name in given:
            values[name] = given[name].strip()
    text = "\n".join(f"{name}: {value}" for name, value in values.items()).encode("ascii")
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        algorithm, signature = "hs2019", private_key.sign(text)
    else:
        algorithm = "rsa-sha256"
        signature = private_key.sign(text, padding.PKCS1v15(), hashes.SHA256())
    sig_b64 = base64.b64encode(signature).decode("ascii")
    added["Signature"] = (
        f'keyId="{_quote(key_id)}",algorithm="{algorithm}",'
        f'headers="{" ".join(values)}",signature="{sig_b64}"'
    )
    return added


def _parse_params(raw: str) -> dict[str, str] | Rejected:
    text = raw.strip()
    if text[:10].lower() == "signature ":  # old node-http-signature prefix
        text = text[10:]
    params: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        match = _PARAM.match(text, pos)
        if match is None or match.end() == pos:
            return Rejected("The Signature header could not be parsed.")
        name, quoted, token = match.groups()
        value = token if quoted is None else quoted
        if "\\" in value:
            value = _QUOTED_PAIR.sub(r"\1", value)
        if name in params:
            return Rejected("The Signature header repeats a parameter.")
        if name in _KNOWN_PARAMS:
            params[name] = value
        pos = match.end()
    return params


def _timestamp(value: str | None) -> int | Rejected | None:
    if value is None:
        return None
    if not _NUMBER.fullmatch(value):
        return Rejected("bad timestamp")
    return int(value.split(".", 1)[0])


def _signing_strings(
    method: str,
    parts: SplitResult,
    headers: Mapping[str, str],
    names: tuple[str, ...],
    params: Mapping[str, str],
    algorithm: str,
) -> tuple[bytes, bytes | None, tuple[tuple[str, str], ...]] | Rejected:
    """The signing string, its legacy variant without the query (when there is one) and
    the covered header values."""
    lines: list[str] = []
    header_values: list[tuple[str, str]] = []
    target_index = -1
    for name in names:
        if name == "(request-target)":
            target_index = len(lines)
            lines.append(f"(request-target): {method.lower()} {request_target(parts)}")
        elif name in ("(created)", "(expires)"):
            value = params.get(name[1:-1])
            if value is None or algorithm != "hs2019":
                return Rejected(f"{name} needs hs2019 and a matching parameter.")
            lines.append(f"{name}: {value}")
        else:
            value = headers.get(name)
            if value is None:
                return Rejected(f"A signed header is missing: {safe_name(name)}.")
            if "\n" in value or "\r" in value:
                return Rejected("Signed header values must not contain line breaks.")
            header_values.append((name, value.strip()))
            lines.append(f"{name}: {header_values[-1][1]}")
    try:
        base = "\n".join(lines).encode("ascii")
    except UnicodeEncodeError:
        return Rejected("Signed header values must be ASCII.")
    if target_index < 0 or not parts.query:
        return base, None, tuple(header_values)
    lines[target_index] = f"(request-target): {method.lower()} {parts.path or '/'}"
    return base, "\n".join(lines).encode("ascii"), tuple(header_values)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
