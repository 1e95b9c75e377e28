"""HTTP signatures for every inbox POST and signed GET: draft-cavage and RFC 9421.

Verification is two steps so the caller can look the key up (asynchronously, with its
own cache) in between:

    parsed = parse_signature(method, url, headers)          # cheap, no key
    key = await lookup(key_id_owner_hint(parsed.key_id))    # caller's job
    outcome = verify_parsed(parsed, key, method=..., headers=..., body=..., now=...)

`url` must be the full absolute URL the request was addressed to as the *signer* saw it
(scheme, public host and port, path and query), not an internal proxy address.
Outcomes are `Verified` or `Rejected` values, never None and never exceptions. A
`Verified` only says which key signed; binding the key's owner to the activity's `actor`
is the caller's job (SECURITY.md rule 4).
"""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric import ed25519

from .keys import PublicKey
from .signatures_cavage import (
    cavage_verify_method,
    check_cavage_strength,
    parse_cavage,
    sign_cavage,
    signature_header,
)
from .signatures_common import (
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_SKEW,
    ParsedSignature,
    Rejected,
    Scheme,
    Verified,
    check_cavage_digest,
    check_time,
    headers_agree,
    host_matches,
    key_id_owner_hint,
    lower_headers,
    split_url,
    verify_bytes,
)
from .signatures_rfc9421 import (
    check_rfc9421_digest,
    check_rfc9421_strength,
    parse_rfc9421,
    rfc9421_verify_method,
    sign_rfc9421,
)

__all__ = [
    "ParsedSignature",
    "Rejected",
    "Scheme",
    "Verified",
    "key_id_owner_hint",
    "parse_signature",
    "sign_cavage",
    "sign_rfc9421",
    "verify_parsed",
    "verify_request",
]


def parse_signature(
    method: str, url: str, headers: Mapping[str, str]
) -> ParsedSignature | Rejected:
    """Detect the scheme, parse it and build the signing base; reject weak signatures early.

    `Signature-Input` + `Signature` means RFC 9421; `Signature: keyId=…` or
    `Authorization: Signature …` means draft-cavage.
    """
    parts = split_url(url)
    if isinstance(parts, Rejected):
        return parts
    lower = lower_headers(headers)
    host = lower.get("host")
    if host is not None and not host_matches(host, parts):
        return Rejected("The Host header does not match the request URL.")
    if "signature-input" in lower:
        if "signature" not in lower:
            return Rejected("The Signature-Input header has no matching Signature header.")
        return parse_rfc9421(method, url, parts, lower)
    raw = signature_header(lower)
    if raw is None:
        return Rejected("The request is not signed.")
    parsed = parse_cavage(method, parts, lower, raw)
    if isinstance(parsed, Rejected):
        return parsed
    return check_cavage_strength(parsed, method, None) or parsed


def verify_parsed(
    parsed: ParsedSignature,
    public_key: PublicKey,
    *,
    method: str,
    headers: Mapping[str, str],
    body: bytes | None,
    now: float,
    max_age: float = DEFAULT_MAX_AGE,
    max_skew: float = DEFAULT_MAX_SKEW,
) -> Verified | Rejected:
    """Check strength, time window and body digest, then the signature itself (last: it is
    the expensive step). `body` is the raw request body; None means no body. `headers`
    must be the same headers given to `parse_signature`."""
    problem = _precheck(parsed, method, headers, body, now, max_age, max_skew)
    if problem is not None:
        return problem
    is_ed25519 = isinstance(public_key, ed25519.Ed25519PublicKey)
    if parsed.scheme == "cavage":
        how = cavage_verify_method(parsed.algorithm, is_ed25519)
    else:
        how = rfc9421_verify_method(parsed.algorithm, is_ed25519)
    bases: tuple[bytes, ...] = (parsed.signing_base,)
    if parsed.alt_signing_base is not None:
        bases += (parsed.alt_signing_base,)
    problem = verify_bytes(how, public_key, parsed.signature, bases)
    return problem or Verified(key_id=parsed.key_id, scheme=parsed.scheme)


def _precheck(
    parsed: ParsedSignature,
    method: str,
    headers: Mapping[str, str],
    body: bytes | None,
    now: float,
    max_age: float,
    max_skew: float,
) -> Rejected | None:
    """Everything but the signature math, cheapest first."""
    raw_body = body if body is not None else b""
    if parsed.scheme == "cavage":
        problem = check_cavage_strength(parsed, method, body)
    else:
        strength = check_rfc9421_strength(parsed, method, body, has_query=False)
        problem = strength if isinstance(strength, Rejected) else None
    if problem is None and not headers_agree(parsed, headers):
        problem = Rejected(
            "The request headers differ from the ones the signature was parsed from."
        )
    problem = problem or check_time(parsed, now, max_age, max_skew)
    if problem is None and parsed.scheme == "cavage" and "digest" in parsed.components:
        problem = check_cavage_digest(parsed.header("digest"), raw_body)
    if problem is None and parsed.scheme == "rfc9421" and "content-digest" in parsed.components:
        problem = check_rfc9421_digest(parsed.header("content-digest"), raw_body)
    return problem


def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    public_key: PublicKey,
    now: float,
    *,
    max_age: float = DEFAULT_MAX_AGE,
    max_skew: float = DEFAULT_MAX_SKEW,
) -> Verified | Rejected:
    """`parse_signature` then `verify_parsed`, when the key is already at hand."""
    parsed = parse_signature(method, url, headers)
    if isinstance(parsed, Rejected):
        return parsed
    return verify_parsed(
        parsed,
        public_key,
        method=method,
        headers=headers,
        body=body,
        now=now,
        max_age=max_age,
        max_skew=max_skew,
    )
