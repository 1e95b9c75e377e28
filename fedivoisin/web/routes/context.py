"""GET /ns/v1: our JSON-LD context, the bytes of https://w3id.org/fedivoisin/ns/v1.

Served as `application/ld+json` (Mastodon's and pyld's loaders refuse other types) and
cacheable for a day: a version never changes meaning (a new meaning is a new version).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ...protocol.context import context_document


async def ns_v1(request: Request) -> Response:
    return Response(
        context_document("fedivoisin-v1"),
        media_type="application/ld+json",
        headers={
            "Cache-Control": "public, max-age=86400",
            "Access-Control-Allow-Origin": "*",
        },
    )
