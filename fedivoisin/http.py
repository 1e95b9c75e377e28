"""The ONE outbound HTTP client: every remote GET and every delivery POST goes through it.

    client = create_http_client(HttpPolicy(user_agent="fedivoisin/0.1 (+https://…)"))
    fetched = await client.get_activity(url, sign=sign_get)       # -> Fetched
    doc = await client.get_document(url, accept=…, etag=…)        # -> Document (bytes, 304)
    result = await client.post(inbox, body, signers={"cavage": …, "rfc9421": …})
    await client.close()

Transport is aiohttp (PERFORMANCE.md: 3-5x httpx at fan-out). The code lives in
`fedivoisin/net/`; this module is the public entry point. Errors: RemoteRefused (SSRF,
blocked domain, bad URL, too large, wrong type, foreign id), RemoteNotFound (404),
RemoteGone (410), RemoteUnavailable (5xx, 408/429, timeouts, network), RemoteError (other).
"""

from __future__ import annotations

from fedivoisin.net.client import (
    DEFAULT_SCHEME,
    SECOND_KNOCK_STATUSES,
    Document,
    Fetched,
    HttpClient,
    PostResult,
    SignHook,
    create_http_client,
)
from fedivoisin.net.headers import (
    AS2_ACCEPT,
    AS2_PROFILE,
    JSON_ACCEPT,
    is_activity_media_type,
    parse_retry_after,
)
from fedivoisin.net.policy import HttpPolicy
from fedivoisin.net.urls import check_url, is_public_address, same_origin

__all__ = [
    "AS2_ACCEPT",
    "AS2_PROFILE",
    "DEFAULT_SCHEME",
    "JSON_ACCEPT",
    "SECOND_KNOCK_STATUSES",
    "Document",
    "Fetched",
    "HttpClient",
    "HttpPolicy",
    "PostResult",
    "SignHook",
    "check_url",
    "create_http_client",
    "is_activity_media_type",
    "is_public_address",
    "parse_retry_after",
    "same_origin",
]
