"""OAuth 2.0 endpoints: /oauth/token, /oauth/authorize (consent page), /oauth/revoke, and
RFC 8414 metadata. The grammar is authlib's (web/oauth_server.py); this module only
reads requests, prefetches from the store, renders the page and applies the writes."""

from __future__ import annotations

import base64
from html import escape
from typing import Any
from urllib.parse import parse_qs, urlsplit

from authlib.oauth2 import OAuth2Error
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ...protocol.passwords import verify_password
from ...protocol.scopes import TOP_LEVEL
from ...store import actors as actor_store
from ...store import apps as app_store
from ...store import oauth as oauth_store
from ...store.actors import LocalActor
from .. import auth
from ..html import page
from ..oauth_server import OOB, Server, Snapshot, StoredToken, public_uri
from ..oauth_server import Request as OAuthRequest
from .common import runtime

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def _values(request: Request) -> dict[str, list[str]]:
    """Query parameters plus a form or JSON body (Mastodon clients send either)."""
    data: dict[str, list[str]] = {}
    for k, v in request.query_params.multi_items():
        data.setdefault(k, []).append(v)
    if request.method == "POST":
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media == "application/json":
            try:
                body = await request.json()
            except ValueError:
                body = None
            if isinstance(body, dict):
                for k, v in body.items():
                    if isinstance(v, str | int):
                        data.setdefault(k, []).append(str(v))
        elif media in FORM_TYPES:
            form: FormData = await request.form()
            for k, v in form.multi_items():
                if isinstance(v, str):
                    data.setdefault(k, []).append(v)
    return data


def _basic_client_id(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    from urllib.parse import unquote

    return unquote(decoded.partition(":")[0])


async def _snapshot(request: Request, data: dict[str, list[str]]) -> Snapshot:
    rt = runtime(request)
    snap = Snapshot(now=rt.clock.now())
    client_id = (data.get("client_id") or [None])[0] or _basic_client_id(request)
    if client_id:
        snap.client = await app_store.get_app(rt.store, client_id=client_id)
    return snap


def _oauth_request(request: Request, data: dict[str, list[str]]) -> OAuthRequest:
    rt = runtime(request)
    return OAuthRequest(request.method, public_uri(rt, request.url.path), request.headers, data)


async def token(request: Request) -> Response:
    rt = runtime(request)
    data = await _values(request)
    snap = await _snapshot(request, data)
    code = (data.get("code") or [None])[0]
    if code and snap.client is not None:
        snap.code = await oauth_store.get_code(rt.store, code, snap.now)
        if snap.code is not None:
            snap.code_actor = await oauth_store.get_actor_by_id(rt.store, snap.code.actor_id)
    server = Server(rt, snap)
    response = server.create_token_response(_oauth_request(request, data))
    if response.status_code == 200 and not await server.flush():
        return JSONResponse(
            {"error": "invalid_grant", "error_description": "this code was already used"},
            status_code=400,
        )
    response.headers["Cache-Control"] = "no-store"
    return response


async def revoke(request: Request) -> Response:
    rt = runtime(request)
    data = await _values(request)
    snap = await _snapshot(request, data)
    value = (data.get("token") or [None])[0]
    if value:
        row = await app_store.token_row(rt.store, value)
        if row is not None:
            snap.token = StoredToken(row["app_id"], value)
    server = Server(rt, snap)
    response = server.create_endpoint_response("revocation", _oauth_request(request, data))
    await server.flush()
    return response  # type: ignore[no-any-return]


async def metadata(request: Request) -> Response:
    """RFC 8414 authorization server metadata."""
    o = runtime(request).settings.origin
    return JSONResponse(
        {
            "issuer": o + "/",
            "authorization_endpoint": o + "/oauth/authorize",
            "token_endpoint": o + "/oauth/token",
            "revocation_endpoint": o + "/oauth/revoke",
            "app_registration_endpoint": o + "/api/v1/apps",
            "scopes_supported": sorted(TOP_LEVEL | {"read:indicators"}),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "revocation_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "code_challenge_methods_supported": ["S256"],
            "service_documentation": o + "/api/openapi.json",
        }
    )


# -- the consent page

OAUTH_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def _error_page(error: OAuth2Error) -> Response:
    body = (
        "<h1>Autorisation impossible</h1>"
        f"<p>{escape(error.error or 'invalid_request')}: {escape(error.description or '')}</p>"
    )
    return HTMLResponse(page("Autorisation impossible", body), status_code=400)


def _consent_page(
    app: app_store.App,
    scope: str,
    data: dict[str, list[str]],
    csrf: str,
    actor: LocalActor | None,
    failed: bool,
) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{escape(data[k][0])}">'
        for k in OAUTH_FIELDS
        if data.get(k)
    )
    scopes = "".join(f"<li><code>{escape(s)}</code></li>" for s in scope.split())
    if actor is None:
        who = (
            '<p><label>Identifiant <input name="username" autocomplete="username" required>'
            "</label></p><p><label>Mot de passe "
            '<input name="password" type="password" autocomplete="current-password" required>'
            "</label></p>"
        )
    else:
        who = f"<p>Connecté·e en tant que <strong>{escape(actor.slug)}</strong>.</p>"
    warn = '<p role="alert">Identifiant ou mot de passe incorrect.</p>' if failed else ""
    site = f' (<a href="{escape(app.website)}">{escape(app.website)}</a>)' if app.website else ""
    return page(
        "Autoriser une application",
        f"<h1>Autoriser « {escape(app.name)} »{site}</h1>"
        "<p>Cette application demande à agir en votre nom avec les droits suivants :</p>"
        f"<ul>{scopes}</ul>{warn}"
        '<form method="post" action="/oauth/authorize">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">{hidden}{who}'
        '<button name="decision" value="approve">Autoriser</button> '
        '<button name="decision" value="deny" formnovalidate>Refuser</button></form>',
    )


def _oob_page(location: str) -> Response:
    query = parse_qs(urlsplit(location).query)
    code = query.get("code", [""])[0]
    if not code:
        body = "<h1>Autorisation refusée</h1><p>L'application n'a reçu aucun droit.</p>"
        return HTMLResponse(page("Autorisation refusée", body))
    body = (
        "<h1>Code d'autorisation</h1><p>Copiez ce code dans l'application :</p>"
        f'<p><input readonly size="60" value="{escape(code)}" id="code"></p>'
    )
    return HTMLResponse(page("Code d'autorisation", body))


async def authorize(request: Request) -> Response:
    rt = runtime(request)
    data = await _values(request)
    snap = await _snapshot(request, data)
    server = Server(rt, snap)
    actor = await auth.session_actor(request)
    failed = False
    new_session: LocalActor | None = None
    if request.method == "POST":
        auth.check_csrf(request, {k: v[0] for k, v in data.items()})
        if actor is None and data.get("decision", [""])[0] == "approve":
            actor = await _sign_in(request, data)
            failed = actor is None
            new_session = actor
    oreq = _oauth_request(request, {k: v for k, v in data.items() if k in OAUTH_FIELDS})
    try:
        grant = server.get_consent_grant(request=oreq, end_user=actor)
    except OAuth2Error as error:
        return _error_page(error)
    decision = data.get("decision", [""])[0] if request.method == "POST" else ""
    if decision == "deny" or (decision == "approve" and actor is not None):
        response = server.create_authorization_response(
            request=oreq, grant_user=actor if decision == "approve" else None, grant=grant
        )
        await server.flush()
        location = response.headers.get("location", "")
        if (data.get("redirect_uri") or [grant.redirect_uri or ""])[0] == OOB:
            response = _oob_page(location)
        if new_session is not None:
            await auth.start_session(request, response, new_session)
        return response  # type: ignore[no-any-return]
    assert snap.client is not None
    csrf = auth.csrf_token(request)
    html = _consent_page(snap.client, grant.request.scope or "read", data, csrf, actor, failed)
    response = HTMLResponse(
        html,
        status_code=401 if failed else 200,
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"},
    )
    auth.set_csrf_cookie(request, response, csrf)
    return response


async def _sign_in(request: Request, data: dict[str, Any]) -> LocalActor | None:
    store = runtime(request).store
    username = (data.get("username") or [""])[0].strip().lstrip("@").split("@", 1)[0]
    password = (data.get("password") or [""])[0]
    actor = await actor_store.get_actor(store, username) if username else None
    stored = await oauth_store.password_hash(store, actor) if actor is not None else None
    if actor is None or stored is None or not verify_password(password, stored):
        return None
    return actor
