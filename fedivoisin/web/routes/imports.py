"""/api/v1/imports: a platform subscribes a community it acts for to a calendar or a feed.

    GET    /api/v1/imports?community=SLUG   the community's imports with their status
    POST   /api/v1/imports                  {"community", "url", "as": events|news, "every"}
    DELETE /api/v1/imports/{id}
    POST   /api/v1/imports/{id}/run         fetch now; answers the import with its new status

Every call needs the `write` scope and a token that may act for the community
(`Principal.may_act_for`). Described in fedivoisin/web/openapi/050_imports.json.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ...clock import iso
from ...errors import Forbidden, InvalidInput, NotFound
from ...inbox.receive import read_body
from ...outbox import community as cm
from ...outbox import imports
from ...runtime import Runtime
from ...store import imports as import_store
from .. import auth
from .common import runtime


def as_json(rt: Runtime, row: import_store.Import) -> dict[str, Any]:
    def when(t: float | None) -> str | None:
        return iso(t) if t is not None else None

    return {
        "id": str(row.id),
        "community": rt.urls.slug_of(row.community),
        "url": row.url,
        "as": row.kind,
        "every": row.every,
        "source_actor": rt.urls.actor(row.source_actor),
        "status": {
            "state": row.last_status or "never fetched",
            "last_fetch": when(row.last_fetch_at),
            "last_success": when(row.last_success_at),
            "last_error": row.last_error,
            "last_result": row.last_result,
            "items": row.items,
            "next_fetch": when(row.next_fetch_at),
        },
    }


async def _allowed(request: Request, slug: str) -> None:
    principal = await auth.authenticate(request, "write")
    assert principal is not None
    if not principal.may_act_for(slug):
        raise Forbidden(f"this token may not act for {slug}", field="community")


async def _own_import(request: Request) -> import_store.Import:
    rt = runtime(request)
    raw = request.path_params["id"]
    if not re.fullmatch(r"[0-9]{1,15}", raw):
        raise NotFound("no such import", field="id")
    import_id = int(raw)
    principal = await auth.authenticate(request, "write")
    assert principal is not None
    row = await import_store.get(rt.store, import_id)
    slug = rt.urls.slug_of(row.community) if row is not None else None
    if row is None or slug is None or not principal.may_act_for(slug):
        raise NotFound(f"no import {import_id} for a community this token acts for", field="id")
    return row


async def collection(request: Request) -> Response:
    rt = runtime(request)
    if request.method == "GET":
        slug = request.query_params.get("community", "")
        if not slug:
            raise InvalidInput("community is required", field="community")
        await _allowed(request, slug)
        community = await cm.require_community(rt, slug)
        rows = await import_store.of_community(rt.store, rt.urls.actor(community.slug))
        return JSONResponse([as_json(rt, r) for r in rows])
    await auth.authenticate(request, "write")  # 401/403 before reading the body
    try:
        body = orjson.loads(await read_body(request, rt.settings.max_body))
    except orjson.JSONDecodeError:
        raise InvalidInput("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    fields: dict[str, Any] = {}
    for name in ("community", "url", "as"):
        value = body.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidInput(f"{name} is required (a string)", field=name)
        fields[name] = value
    every = body.get("every", "15m")
    if not isinstance(every, str | int | float) or isinstance(every, bool):
        raise InvalidInput("every: use e.g. 15m, 2h, 1d or seconds", field="every")
    await _allowed(request, fields["community"])
    community = await cm.require_community(rt, fields["community"])
    row = await imports.add(rt, community, fields["url"], fields["as"], every)
    return JSONResponse(
        as_json(rt, row), status_code=201, headers={"Location": f"/api/v1/imports/{row.id}"}
    )


async def item(request: Request) -> Response:
    row = await _own_import(request)
    await imports.remove(runtime(request), row.id)
    return Response(status_code=204)


async def run_now(request: Request) -> Response:
    rt = runtime(request)
    row = await _own_import(request)
    # A fetch by the scheduler may be under way: wait for it (each is bounded in time).
    await imports.run(rt, row.id, wait=2 * rt.settings.import_timeout + 5)
    fresh = await imports.require(rt, row.id)
    return JSONResponse(as_json(rt, fresh))


ROUTES = [
    Route("/api/v1/imports", collection, methods=["GET", "POST"]),
    Route("/api/v1/imports/{id}", item, methods=["DELETE"]),
    Route("/api/v1/imports/{id}/run", run_now, methods=["POST"]),
]
