"""GET /api/v1/indicators?month=YYYY-MM[&community=SLUG][&format=csv] (scope
`read:indicators`, for a town hall's app): suppressed monthly figures (docs/privacy.md)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ...errors import InvalidInput
from ...outbox import community as cm
from ...outbox import indicators
from .. import auth
from .common import runtime


async def get_indicators(request: Request) -> Response:
    await auth.authenticate(request, "read:indicators")
    rt = runtime(request)
    month = request.query_params.get("month", "")
    slug = request.query_params.get("community")
    fmt = request.query_params.get("format", "json")
    if fmt not in ("json", "csv"):
        raise InvalidInput("format must be json or csv", field="format")
    if slug:
        doc = await indicators.community_figures(rt, await cm.require_community(rt, slug), month)
    else:
        doc = await indicators.month_figures(rt, month)
    if fmt == "csv":
        return Response(indicators.as_csv(doc), media_type="text/csv; charset=utf-8")
    return JSONResponse(doc)


ROUTES = [Route("/api/v1/indicators", get_indicators)]
