"""Small helpers every route uses."""

from __future__ import annotations

from starlette.requests import Request

from ...errors import InvalidInput
from ...runtime import Runtime

PAGE_SIZE = 20


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def page_number(request: Request) -> int | None:
    """The ?page=N parameter, None when absent; 400 naming the field when malformed."""
    raw = request.query_params.get("page")
    if raw is None:
        return None
    if raw == "true":
        return 1
    try:
        page = int(raw)
    except ValueError:
        raise InvalidInput("page must be a positive integer", field="page") from None
    if page < 1 or page > 100_000:
        raise InvalidInput("page must be a positive integer", field="page")
    return page
