"""Who signed this request: HTTP signature → verified key owner, or SignatureRejected.

All authentication finishes before anything is stored (SECURITY.md rule 4). A verification
failure with a cached key refetches the key once from its origin (rotation, rule 7).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request

from ..errors import RemoteError, SignatureRejected
from ..protocol import signatures as sig
from ..protocol.signatures_common import LowerHeaders
from ..remote import get_key
from ..runtime import Runtime


def request_url(rt: Runtime, request: Request) -> str:
    """The URL the peer signed: our public origin (we may be behind a proxy) + path + query."""
    scope = request.scope
    query = scope.get("query_string", b"").decode("latin-1")
    path = scope.get("raw_path") or scope["path"].encode()
    return rt.settings.origin + path.decode("latin-1") + ("?" + query if query else "")


def folded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case names, repeated fields joined with ", " (RFC 9110 §5.3), built once.

    Why: the signature parser and the verifier then read the very same value of every
    header (a second Digest or Signature is part of what is checked, never seen by one
    step and not the other), and a dict is cheaper to consult than starlette's header
    list: ~15 µs per inbox POST (docs/performance.md, "Inbox").
    """
    if isinstance(headers, LowerHeaders):
        return headers
    raw = getattr(headers, "raw", None)
    pairs = (
        ((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in raw)
        if raw is not None
        else ((k.lower(), v) for k, v in headers.items())
    )
    out = LowerHeaders()
    for name, value in pairs:
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


async def verify(
    rt: Runtime, method: str, url: str, headers: Mapping[str, str], body: bytes | None
) -> str:
    """The actor URI owning the key that validly signed the request."""
    headers = folded_headers(headers)
    parsed = sig.parse_signature(method, url, headers)
    if isinstance(parsed, sig.Rejected):
        raise SignatureRejected(parsed.reason)
    host = parsed.key_id.split("/")[2] if parsed.key_id.count("/") >= 2 else ""
    if host and await rt.is_blocked(host.split("@")[-1]):
        from ..errors import Forbidden

        raise Forbidden("this domain is blocked here")
    if host and not rt.federates_with(host.split("@")[-1]):
        from ..errors import Forbidden

        raise Forbidden("this instance only federates with the domains it allows")
    try:
        key = await get_key(rt, parsed.key_id)
    except RemoteError as exc:
        raise SignatureRejected(
            "the signing key could not be fetched", internal=f"{parsed.key_id}: {exc}"
        ) from None
    fresh = rt.clock.now() - key.fetched_at < 1.0
    result = _check(rt, parsed, key.public_key, method, headers, body)
    if isinstance(result, sig.Rejected) and not fresh and result.retry_with_fresh_key:
        try:
            key = await get_key(rt, parsed.key_id, refresh=True)
        except RemoteError as exc:
            raise SignatureRejected(
                "the signing key could not be fetched", internal=f"{parsed.key_id}: {exc}"
            ) from None
        result = _check(rt, parsed, key.public_key, method, headers, body)
    if isinstance(result, sig.Rejected):
        raise SignatureRejected(result.reason)
    return key.owner


def _check(
    rt: Runtime,
    parsed: sig.ParsedSignature,
    public_key: object,
    method: str,
    headers: Mapping[str, str],
    body: bytes | None,
) -> sig.Verified | sig.Rejected:
    return sig.verify_parsed(
        parsed,
        public_key,
        method=method,
        headers=headers,
        body=body,
        now=rt.clock.now(),
        max_age=rt.settings.signature_max_age,
        max_skew=rt.settings.signature_max_skew,
    )


async def verify_get(rt: Runtime, request: Request) -> str:
    return await verify(rt, "GET", request_url(rt, request), request.headers, None)
