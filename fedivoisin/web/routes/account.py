"""GET {actor}/export: a resident downloads everything the server holds about them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ...outbox import account
from .. import auth
from ..negotiation import json_response


async def export(request: Request) -> Response:
    slug = request.path_params["slug"]
    actor = await auth.require_owner(request, slug, "read")
    doc = await account.export(request.app.state.runtime, actor)
    return json_response(
        doc,
        headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="{slug}-export.json"',
        },
    )
