"""Pieces shared by both HTTP signature schemes: outcomes, URL parts, dates, digests, crypto.

Why a separate module: `signatures_cavage` and `signatures_rfc9421` both need these, and the
`signatures` facade imports both, so the shared code has to sit below all three.
Everything is pure: the caller passes headers, body, keys and `now`.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import email.utils
import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import SplitResult, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from .keys import PublicKey

Scheme = Literal["cavage", "rfc9421"]

# Methods that carry a body in ActivityPub traffic: their signature must cover a digest.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
DEFAULT_MAX_AGE = 12 * 3600.0  # Mastodon EXPIRATION_WINDOW_LIMIT
DEFAULT_MAX_SKEW = 3600.0  # Mastodon CLOCK_SKEW_MARGIN

_DEFAULT_PORTS = {"http": 80, "https": 443}
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_PKCS1 = padding.PKCS1v15()
_PSS_SHA512 = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
_SHA256 = hashes.SHA256()
_SHA512 = hashes.SHA512()


@dataclass(frozen=True, slots=True)
class Verified:
    """The request was signed by `key_id`; the caller must still bind its owner to `actor`."""

    key_id: str
    scheme: Scheme


@dataclass(frozen=True, slots=True)
class Rejected:
    """Why verification failed: a short sentence safe to show in a problem `detail`.

    `retry_with_fresh_key` is set only when the signature math failed against the key
    given, so refetching a possibly rotated key could help (SECURITY.md rule 7); every
    other rejection (too old, weak, digest mismatch, malformed) would fail again.
    """

    reason: str
    retry_with_fresh_key: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class ParsedSignature:
    """A syntactically valid signature, ready for `verify_parsed` once its key is found.

    `signing_base` is the exact byte string the signer must have signed. For draft-cavage,
    `alt_signing_base` is the same string with `(request-target)` lacking the query, which
    older Mastodon and Fedify sign; it is only tried when the URL has a query.
    `header_values` holds the covered header fields as signed (lower-case name, value):
    the Date and digest checks read them, never a second copy of the headers.
    """

    key_id: str
    scheme: Scheme
    algorithm: str | None
    components: tuple[str, ...]
    created: int | None
    expires: int | None
    signature: bytes
    signing_base: bytes
    header_values: tuple[tuple[str, str], ...] = ()
    alt_signing_base: bytes | None = None
    label: str | None = None

    def header(self, name: str) -> str | None:
        """The signed value of a covered header field, or None when it is not covered."""
        for candidate, value in self.header_values:
            if candidate == name:
                return value
        return None


def safe_name(name: str) -> str:
    """A peer-chosen header or component name, echoed in a reason only if it is tame."""
    if len(name) <= 40 and name.replace("-", "").replace("@", "").isalnum() and name.isascii():
        return name
    return "(unprintable name)"


class LowerHeaders(dict[str, str]):
    """A header map whose names are already lower case (built once per request)."""


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names folded to lower case, so every later lookup is case-insensitive."""
    if isinstance(headers, LowerHeaders):
        return headers
    return {name.lower(): value for name, value in headers.items()}


def split_url(url: str) -> SplitResult | Rejected:
    """Split an absolute http(s) URL, rejecting anything a signature cannot be bound to."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return Rejected("The request URL could not be parsed.")
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return Rejected("The request URL must be an absolute http(s) URL.")
    return parts


def authority(parts: SplitResult) -> str:
    """RFC 9110 §4.2.3 normalised authority: lower-case host, default port omitted."""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme):
        return host
    return f"{host}:{port}"


def host_matches(host_header: str, parts: SplitResult) -> bool:
    """Whether a Host header names the same authority as the URL being verified.

    Why: a signature covering `host` only binds the request to this server if the Host we
    compare is the one we are actually serving (Misskey CVE-2023-49079 skipped this).
    A Host without a port also matches a non-default port: Mastodon sends `@url.host`.
    """
    host = host_header.strip().lower()
    default_port = f":{_DEFAULT_PORTS[parts.scheme]}"
    if host.endswith(default_port):
        host = host[: -len(default_port)]
    expected = authority(parts)
    return host == expected or (parts.port is not None and host == expected.rpartition(":")[0])


def headers_agree(parsed: ParsedSignature, headers: Mapping[str, str]) -> bool:
    """Whether `headers` still carry the covered values `parsed` was built from.

    Why: the two-step API lets a caller pass headers twice; checking a value that was not
    the signed one (say, a second, fresh Date) would open a replay window.
    """
    if not parsed.header_values:
        return True
    lower = lower_headers(headers)
    return all((lower.get(name) or "").strip() == value for name, value in parsed.header_values)


def request_target(parts: SplitResult) -> str:
    """Origin-form request target: path (at least '/') plus '?query' when present."""
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def imf_fixdate(now: float) -> str:
    """HTTP date of `now`; cached per second because fan-out signs thousands a second."""
    return _imf_fixdate_second(int(now))


@functools.lru_cache(maxsize=4)
def _imf_fixdate_second(now: int) -> str:
    """The HTTP `Date` format, e.g. 'Tue, 20 Apr 2021 02:07:55 GMT'."""
    return email.utils.formatdate(now, usegmt=True)


def parse_http_date(value: str) -> float | None:
    """Parse an HTTP date; IMF-fixdate fast path, obsolete formats via `email.utils`."""
    v = value.strip()
    if len(v) == 29 and v[3:5] == ", " and v[25:] == " GMT" and v[8:11] in _MONTHS:
        try:
            fields = (int(v[12:16]), _MONTHS[v[8:11]], int(v[5:7]))
            clock = (int(v[17:19]), int(v[20:22]), int(v[23:25]))
        except ValueError:
            return None
        return float(calendar.timegm(fields + clock))
    try:
        parsed = email.utils.parsedate_tz(v)
    except (TypeError, ValueError):
        return None
    if parsed is None:
        return None
    return float(email.utils.mktime_tz(parsed))


def check_time(
    parsed: ParsedSignature, now: float, max_age: float, max_skew: float
) -> Rejected | None:
    """Reject signatures from too far in the past or future, or past their `expires`."""
    moments: list[float] = []
    if parsed.created is not None:
        moments.append(float(parsed.created))
    signed_date = parsed.header("date")
    if signed_date is not None:
        date = parse_http_date(signed_date)
        if date is None:
            return Rejected("The Date header is not a valid HTTP date.")
        moments.append(date)
    if not moments:
        return Rejected("The signature must cover the Date header or a created time.")
    for moment in moments:
        if moment > now + max_skew:
            return Rejected("The signature date is too far in the future.")
        if moment < now - max_age:
            return Rejected("The signature is too old.")
    if parsed.expires is not None and now > parsed.expires + max_skew:
        return Rejected("The signature has expired.")
    return None


_HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}


def digest_b64(algorithm: str, body: bytes) -> str:
    """Base64 of the SHA-256 or SHA-512 digest of the raw body."""
    return base64.b64encode(_HASHES[algorithm](body).digest()).decode("ascii")


def check_cavage_digest(value: str | None, body: bytes) -> Rejected | None:
    """`Digest: SHA-256=<b64>[, …]` (RFC 3230): a SHA-256 entry must exist and match."""
    if value is None:
        return Rejected("The Digest header is missing.")
    seen_sha256 = False
    for entry in value.split(","):
        name, sep, given = entry.strip().partition("=")
        algorithm = {"sha-256": "sha256", "sha-512": "sha512"}.get(name.strip().lower())
        if not sep or algorithm is None:
            continue
        if given.strip() != digest_b64(algorithm, body):
            return Rejected("The Digest header does not match the body.")
        seen_sha256 = seen_sha256 or algorithm == "sha256"
    if not seen_sha256:
        return Rejected("The Digest header must contain a SHA-256 digest.")
    return None


def check_content_digest(digests: Mapping[str, bytes], body: bytes) -> Rejected | None:
    """RFC 9530 `Content-Digest` members already parsed: every known one must match."""
    known = 0
    for name, algorithm in (("sha-256", "sha256"), ("sha-512", "sha512")):
        given = digests.get(name)
        if given is None:
            continue
        known += 1
        if given != _HASHES[algorithm](body).digest():
            return Rejected("The Content-Digest header does not match the body.")
    if not known:
        return Rejected("The Content-Digest header must contain a SHA-256 or SHA-512 digest.")
    return None


def decode_b64(value: str) -> bytes | None:
    """Strict base64 decoding; None when the text is not base64."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def verify_bytes(
    method: str, public_key: PublicKey, signature: bytes, bases: tuple[bytes, ...]
) -> Rejected | None:
    """Check `signature` over any of `bases` with one concrete algorithm.

    `method` is one of 'rsa-v1_5-sha256', 'rsa-pss-sha512', 'ed25519', or 'rsa-any' (try
    PKCS#1 v1.5 then PSS, for RFC 9421 signatures without `alg` over an RSA key).
    """
    if not isinstance(public_key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        return Rejected("Only RSA and Ed25519 keys are supported.")
    if method.startswith("rsa") != isinstance(public_key, rsa.RSAPublicKey):
        return Rejected("The signature algorithm does not match the key type.", True)
    for base in bases:
        if isinstance(public_key, ed25519.Ed25519PublicKey):
            if _ed25519_ok(public_key, signature, base):
                return None
            continue
        if method != "rsa-pss-sha512" and _rsa_ok(public_key, signature, base, _PKCS1, _SHA256):
            return None
        if method in ("rsa-pss-sha512", "rsa-any") and _rsa_ok(
            public_key, signature, base, _PSS_SHA512, _SHA512
        ):
            return None
    return Rejected("The signature is not valid for this key.", True)


def _rsa_ok(
    key: rsa.RSAPublicKey,
    signature: bytes,
    base: bytes,
    pad: padding.AsymmetricPadding,
    digest: hashes.HashAlgorithm,
) -> bool:
    try:
        key.verify(signature, base, pad, digest)
    except InvalidSignature:
        return False
    return True


def _ed25519_ok(key: ed25519.Ed25519PublicKey, signature: bytes, base: bytes) -> bool:
    try:
        key.verify(signature, base)
    except InvalidSignature:
        return False
    return True


def key_id_owner_hint(key_id: str) -> str:
    """The key id without its fragment: usually the actor document to fetch."""
    return key_id.split("#", 1)[0]
