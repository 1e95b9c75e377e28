"""Residents signed in on this instance take part directly from the pages.

Sign-in uses issue 10's browser sessions (`web/sessions.py`, through `auth`): the same
password as the OAuth consent page, the same server-side session cookie; no second
session system. Every form is CSRF-protected with its double-submit token
(`auth.csrf_token` / `auth.check_csrf`).

Each action is the C2S activity a client would send, through `outbox.c2s.handle` (one
way to do each thing): RSVP is `Join`/`Leave` of the event, a vote is the FEP-9967
`Create(Note{name, inReplyTo})`, joining a community is `Join`/`Leave` of the Group.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ...errors import InvalidInput, NotFound
from ...outbox import c2s
from ...protocol.passwords import verify_password
from ...store import activities as activity_store
from ...store import actors as actor_store
from ...store import oauth as oauth_store
from .. import auth
from ..routes.common import runtime
from .interact import form_fields
from .render import gettext_for
from .responses import locale_of, page

ACTIONS = ("join", "leave", "vote")


def _next(raw: str | None) -> str:
    """Only a path of this site (never an open redirect)."""
    if not raw or not raw.startswith("/") or raw.startswith("//"):
        return "/"
    parts = urlsplit(raw)
    return parts.path + ("?" + parts.query if parts.query else "")


async def _signin_page(
    request: Request, nxt: str, *, error: str = "", username: str = ""
) -> Response:
    token = auth.csrf_token(request)
    gettext = gettext_for(locale_of(request))
    data = {
        "meta": {"title": gettext("Sign in")},
        "next": nxt,
        "csrf": token,
        "error": error,
        "username": username,
    }
    response = await page(request, "signin.html", data, status=401 if error else 200, personal=True)
    auth.set_csrf_cookie(request, response, token)
    return response


async def signin(request: Request) -> Response:
    if request.method == "GET":
        return await _signin_page(request, _next(request.query_params.get("next")))
    rt = runtime(request)
    fields = await form_fields(request)
    auth.check_csrf(request, fields)
    nxt = _next(fields.get("next"))
    username = fields.get("username", "").strip().lstrip("@").split("@", 1)[0]
    actor = await actor_store.get_actor(rt.store, username) if username else None
    stored = await oauth_store.password_hash(rt.store, actor) if actor is not None else None
    if actor is None or stored is None or not verify_password(fields.get("password", ""), stored):
        gettext = gettext_for(locale_of(request))
        error = gettext("Wrong username or password.")
        return await _signin_page(request, nxt, error=error, username=username)
    response = RedirectResponse(nxt, status_code=303)
    await auth.start_session(request, response, actor)
    return response


async def signout(request: Request) -> Response:
    fields = await form_fields(request)
    auth.check_csrf(request, fields)
    response = RedirectResponse("/", status_code=303)
    await auth.end_session(request, response)
    return response


async def act(request: Request) -> Response:
    """POST /act: join/leave an event or a community, or vote; then back to its page."""
    rt = runtime(request)
    fields = await form_fields(request)
    auth.check_csrf(request, fields)
    actor = await auth.session_actor(request)
    uri = fields.get("uri", "")
    if actor is None:
        return RedirectResponse("/signin?next=" + _next(urlsplit(uri).path), status_code=303)
    action = fields.get("action", "")
    if action not in ACTIONS or not rt.urls.is_local(uri):
        raise InvalidInput("action and uri must name one of our events, polls or communities")
    body: dict[str, Any]
    if action == "vote":
        question = await activity_store.get_object(rt.store, uri)
        if question is None or question.kind != "poll":
            raise NotFound("no such poll", field="uri")
        body = {
            "type": "Create",
            "object": {
                "type": "Note",
                "name": fields.get("choice", ""),
                "inReplyTo": uri,
                "to": [question.attributed_to],
            },
            "to": [question.attributed_to],
        }
    else:
        body = {"type": "Join" if action == "join" else "Leave", "object": uri}
    await c2s.handle(rt, actor, body)
    return RedirectResponse(_next(urlsplit(uri).path) + "?done=" + action, status_code=303)
