"""Who is looking, in which language, and the HTML response every page shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ...errors import ProblemError
from ...runtime import Runtime
from ...store.actors import LocalActor
from .. import auth, render_cache
from ..render_cache import Rendered
from ..routes.common import runtime
from . import i18n
from .render import gettext_for, render

DEFAULT_ZONE = "Europe/Paris"
#: How long an anonymous page may be served from the render cache without a write to what
#: it shows: it bounds what no content version tracks (a remote author's new name). The
#: same as the pages' `max-age`.
PAGE_TTL = 60.0


async def signed_in(request: Request) -> LocalActor | None:
    """The resident reading the page: the browser session of issue 10 (web/sessions.py),
    else a C2S client's bearer token; None for an anonymous visitor. Never a remote
    signature: a browser does not sign. Looked up once per request."""
    if hasattr(request.state, "page_viewer"):
        found: LocalActor | None = request.state.page_viewer
        return found
    actor = await auth.session_actor(request)
    if actor is None:
        try:
            actor = await auth.bearer_actor(request, optional=True)
        except ProblemError:  # an invalid token on a page reads as anonymous
            actor = None
    request.state.page_viewer = actor
    return actor


async def viewer_of(request: Request) -> str | None:
    """The actor URI `visible_to` is asked about for this page (None: anonymous)."""
    actor = await signed_in(request)
    return runtime(request).urls.actor(actor.slug) if actor is not None else None


def locale_of(request: Request) -> str:
    return i18n.negotiate(
        request.query_params.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language", ""),
    )


def site_name(rt: Runtime) -> str:
    return rt.settings.instance_name or rt.urls.domain


async def page(
    request: Request,
    template: str,
    data: dict[str, Any],
    *,
    status: int = 200,
    personal: bool = False,
) -> Response:
    """Render `template` for the request's locale; the body depends only on (data, locale).

    For a signed-in resident, `me` and the CSRF token of the forms are part of the data
    (and the page is private)."""
    rt = runtime(request)
    locale = locale_of(request)
    data.setdefault("meta", {})
    me = await signed_in(request)
    token = None
    if me is not None:
        personal = True
        token = data.get("csrf") or auth.csrf_token(request)
        data["csrf"] = token
        data["me"] = {"name": me.name or me.slug, "uri": rt.urls.actor(me.slug)}
    data.setdefault("path", request.url.path)
    body = render(template, locale, site=site_name(rt), default_zone=DEFAULT_ZONE, **data)
    response = HTMLResponse(body, status_code=status, headers=_headers(locale, personal))
    if token is not None:
        auth.set_csrf_cookie(request, response, token)
    _remember_locale(request, response)
    return response


def _headers(locale: str, personal: bool) -> dict[str, str]:
    return {
        "Vary": "Accept, Accept-Language, Cookie, Authorization",
        "Content-Language": locale,
        "Cache-Control": "private, no-store" if personal else "public, max-age=60",
    }


def _remember_locale(request: Request, response: Response) -> None:
    chosen = request.query_params.get("lang")
    if chosen in i18n.LOCALES and chosen != request.cookies.get(i18n.COOKIE):
        response.set_cookie(i18n.COOKIE, chosen, max_age=365 * 86400, samesite="lax", httponly=True)


#: What a cached page's builder returns: (template, data, when it lapses by itself or None).
Built = tuple[str, dict[str, Any], float | None]


async def anonymous_page(
    request: Request,
    build: Callable[[], Awaitable[Built]],
    *,
    scopes: Sequence[str],
    variant: Hashable = None,
) -> Response:
    """A page as an anonymous visitor sees it, from the render cache (web/render_cache.py).

    Why it may be shared: for a visitor who is not signed in the body depends only on the
    data, the locale and the path (`render` is pure), and the data only on the database
    (versioned by `scopes`) and the clock (`build` returns when its listing next changes by
    itself). `build` reads everything it shows, including the actor or object itself, so
    a cached answer costs no database read at all. The caller has checked that nobody is signed in: members-only or
    followers-only content never enters this cache, because `build` fetches public rows
    only. `variant` names what else in the request changes the data (a page cursor).
    Conditional GETs get 304 without rendering."""
    rt = runtime(request)
    locale = locale_of(request)
    path = request.url.path

    async def rendered() -> Rendered:
        template, data, lapses = await build()
        data.setdefault("meta", {})
        data["path"] = path
        body = render(template, locale, site=site_name(rt), default_zone=DEFAULT_ZONE, **data)
        ttl = rt.clock.now() + PAGE_TTL
        return Rendered(
            body.encode(),
            "text/html; charset=utf-8",
            _headers(locale, False),
            expires_at=ttl if lapses is None else min(lapses, ttl),
        )

    response = await render_cache.respond(
        request, key=("page", path, locale, variant), scopes=scopes, render=rendered
    )
    _remember_locale(request, response)
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


async def error_page(request: Request, status: int, detail: str) -> Response:

    locale = locale_of(request)
    gettext = gettext_for(locale)
    title = gettext("Page not found") if status in (404, 410) else gettext("Something went wrong")
    if status in (404, 410):
        message = gettext("This page does not exist, or it is not shown to you.")
    elif status >= 500:
        message = gettext("The server failed to show this page. Please try again later.")
    else:
        message = detail
    return await page(
        request, "error.html", {"meta": {"title": title}, "message": message}, status=status
    )
