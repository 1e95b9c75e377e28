"""Every error becomes application/problem+json here, in exactly one place (RFC 9457).

Every body also carries `error` (the detail, plus the field at fault), the member Mastodon
clients read (Mastodon.py, masto.js): one hierarchy serves both. The Mastodon client API's
endpoints (fedivoisin/web/mastodon/) serve it as `application/json`, which those clients
expect (masto.js only parses that type); every other endpoint keeps problem+json.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..errors import ProblemError

log = logging.getLogger("fedivoisin.web")

PROBLEM_TYPE = "application/problem+json"
MASTODON_PACKAGE = "fedivoisin.web.mastodon"


def _body(status: int, title: str, detail: str, field: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "error": f"{field}: {detail}" if field and field not in detail else detail,
    }
    if field:
        body["field"] = field
        body["details"] = {field: [{"error": "ERR_INVALID", "description": detail}]}
    return body


def problem_body(status: int, title: str, detail: str, field: str | None = None) -> bytes:
    return orjson.dumps(_body(status, title, detail, field))


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    api: bool = False,
) -> Response:
    return Response(
        orjson.dumps(_body(status, title, detail, field)),
        status_code=status,
        media_type="application/json" if api else PROBLEM_TYPE,
        headers=headers,
    )


async def _page(request: Request, status: int, detail: str) -> Response | None:
    """Browsers get the error page in the pages' style (issue 12); clients problem+json."""
    from .pages.responses import error_page, wants_html

    if not wants_html(request) or getattr(request.app.state, "runtime", None) is None:
        return None
    try:
        return await error_page(request, status, detail)
    except Exception:  # the error page must never hide the error behind another one
        log.exception("error page failed")
        return None


def _is_api(request: Request) -> bool:
    endpoint = request.scope.get("endpoint")
    return str(getattr(endpoint, "__module__", "")).startswith(MASTODON_PACKAGE)


async def handle_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    html = None if _is_api(request) else await _page(request, exc.status, exc.detail)
    if html is not None:
        return html
    if exc.internal != exc.detail:
        log.info("%s %s: %s", request.method, request.url.path, exc.internal)
    headers = (
        {"WWW-Authenticate": "Bearer"}
        if exc.status == 401 and exc.title == "Unauthorized"
        else None
    )
    return problem_response(
        exc.status, exc.title, exc.detail, field=exc.field, headers=headers, api=_is_api(request)
    )


_TITLES = {404: "Not found", 405: "Method not allowed", 400: "Bad request"}


async def handle_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title = _TITLES.get(exc.status_code, "Error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    html = None if _is_api(request) else await _page(request, exc.status_code, detail)
    if html is not None:
        return html
    return problem_response(
        exc.status_code, title, detail, headers=exc.headers, api=_is_api(request)
    )


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    html = None if _is_api(request) else await _page(request, 500, "")
    if html is not None:
        return html
    return problem_response(
        500,
        "Internal error",
        "The server failed to handle this request.",
        api=_is_api(request),
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ProblemError: handle_problem,
    HTTPException: handle_http,
    Exception: handle_unexpected,
}
