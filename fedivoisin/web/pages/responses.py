"""Who is looking, in which language, and the HTML response every page shares."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ...runtime import Runtime
from .. import auth
from ..routes.common import runtime
from . import i18n
from .render import gettext_for, render

DEFAULT_ZONE = "Europe/Paris"


async def viewer_of(request: Request) -> str | None:
    """The local actor reading the page (bearer token of a C2S client; the sign-in session
    of issue 10 plugs in here), None for an anonymous visitor. Never a remote signature:
    a browser does not sign."""
    rt = runtime(request)
    try:
        actor = await auth.bearer_actor(request, optional=True)
    except Exception:  # an invalid token on a page reads as anonymous, never an error page
        return None
    return rt.urls.actor(actor.slug) if actor is not None else None


def locale_of(request: Request) -> str:
    return i18n.negotiate(
        request.query_params.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language", ""),
    )


def site_name(rt: Runtime) -> str:
    return rt.settings.instance_name or rt.urls.domain


def page(
    request: Request,
    template: str,
    data: dict[str, Any],
    *,
    status: int = 200,
    personal: bool = False,
) -> Response:
    """Render `template` for the request's locale; the body depends only on (data, locale)."""
    rt = runtime(request)
    locale = locale_of(request)
    data.setdefault("meta", {})
    body = render(template, locale, site=site_name(rt), default_zone=DEFAULT_ZONE, **data)
    headers = {
        "Vary": "Accept, Accept-Language, Cookie, Authorization",
        "Content-Language": locale,
        "Cache-Control": "private, no-store" if personal else "public, max-age=60",
    }
    response = HTMLResponse(body, status_code=status, headers=headers)
    chosen = request.query_params.get("lang")
    if chosen in i18n.LOCALES and chosen != request.cookies.get(i18n.COOKIE):
        response.set_cookie(i18n.COOKIE, chosen, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def wants_html(request: Request) -> bool:
    """A browser asking for a page (used by the error pages)."""
    accept = request.headers.get("accept", "").lower()
    return (
        request.method in ("GET", "HEAD")
        and "text/html" in accept
        and "activity+json" not in accept
        and "ld+json" not in accept
    )


def error_page(request: Request, status: int, detail: str) -> Response:

    locale = locale_of(request)
    gettext = gettext_for(locale)
    title = gettext("Page not found") if status in (404, 410) else gettext("Something went wrong")
    if status in (404, 410):
        message = gettext("This page does not exist, or it is not shown to you.")
    elif status >= 500:
        message = gettext("The server failed to show this page. Please try again later.")
    else:
        message = detail
    return page(
        request, "error.html", {"meta": {"title": title}, "message": message}, status=status
    )
