"""Browser sessions (after the sign-in form) and CSRF protection for HTML forms.

Sessions are server-side rows keyed by a random cookie (stored hashed), so signing out,
a password change or deleting the actor ends them at once; the cookie is HttpOnly and
SameSite=Lax. CSRF uses the double-submit pattern: a random `fv_csrf` cookie
(SameSite=Strict) whose value every form repeats in a hidden `csrf` field; a cross-site
page can neither read the cookie nor make the browser send it.

Usage in a route that renders a form and handles its POST:

    token = csrf_token(request)                  # reuse the cookie's value or make one
    response = HTMLResponse(render(..., csrf=token))
    set_csrf_cookie(request, response, token)
    ...
    form = await request.form()
    check_csrf(request, form)                    # 403 when missing or different
    actor = await session_actor(request)         # None when not signed in
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..errors import Forbidden
from ..store import oauth as oauth_store
from ..store.actors import LocalActor
from .routes.common import runtime

SESSION_COOKIE = "fv_session"
CSRF_COOKIE = "fv_csrf"
CSRF_FIELD = "csrf"
SESSION_LIFETIME = 30 * 24 * 3600.0


def _secure(request: Request) -> bool:
    return runtime(request).settings.origin.startswith("https://")


async def session_actor(request: Request) -> LocalActor | None:
    """The resident signed in with this browser, or None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    rt = runtime(request)
    return await oauth_store.session_actor(rt.store, cookie, rt.clock.now())


async def start_session(request: Request, response: Response, actor: LocalActor) -> None:
    rt = runtime(request)
    session = await oauth_store.create_session(rt.store, actor, rt.clock.now(), SESSION_LIFETIME)
    response.set_cookie(
        SESSION_COOKIE,
        session,
        max_age=int(SESSION_LIFETIME),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


async def end_session(request: Request, response: Response) -> None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await oauth_store.end_session(runtime(request).store, cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")


def csrf_token(request: Request) -> str:
    existing = request.cookies.get(CSRF_COOKIE, "")
    return existing if len(existing) >= 32 else secrets.token_urlsafe(32)


def set_csrf_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), path="/"
    )


def check_csrf(request: Request, form: Mapping[str, Any]) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get(CSRF_FIELD, "")
    if not cookie or not isinstance(sent, str) or not hmac.compare_digest(cookie, sent):
        raise Forbidden("the form is stale or was not sent from this site; reload it")
