"""Mastodon-compatible app registration: POST /api/v1/apps, GET /api/v1/apps/verify_credentials.

Anyone may register an app (as on Mastodon): an app alone can do nothing until a resident
consents on /oauth/authorize, or an admin grants it communities (`fedivoisin app grant`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...errors import InvalidInput, Unauthorized
from ...protocol.scopes import is_known_scope, parse_scopes
from ...store import apps as app_store
from .. import auth
from ..oauth_server import OOB
from .common import runtime
from .oauth import _values

MAX_NAME = 200
MAX_URIS = 10


def app_json(app: app_store.App, secret: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website or None,
        "scopes": sorted(app.scopes),
        "redirect_uri": "\n".join(app.redirect_uris),
        "redirect_uris": list(app.redirect_uris),
        "vapid_key": "",
    }
    if secret is not None:
        doc["client_id"] = app.client_id
        doc["client_secret"] = secret
    return doc


def check_redirect_uri(uri: str) -> str:
    if uri == OOB:
        return uri
    parts = urlsplit(uri)
    if (
        not parts.scheme
        or parts.fragment
        or (parts.scheme in ("http", "https") and not parts.netloc)
    ):
        raise InvalidInput(
            f"redirect URI {uri!r} must be absolute, without fragment", field="redirect_uris"
        )
    return uri


def check_scopes(text: str | None) -> frozenset[str]:
    scopes = parse_scopes(text)
    unknown = sorted(s for s in scopes if not is_known_scope(s))
    if unknown:
        raise InvalidInput(f"unknown scope(s): {' '.join(unknown)}", field="scopes")
    return scopes


def check_app_fields(
    name: str, redirect_uris: list[str], website: str
) -> tuple[str, list[str], str]:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(
            f"client_name is required (at most {MAX_NAME} characters)", field="client_name"
        )
    uris = [check_redirect_uri(u.strip()) for u in redirect_uris if u.strip()]
    if not uris or len(uris) > MAX_URIS:
        raise InvalidInput("redirect_uris is required (one to ten URIs)", field="redirect_uris")
    website = website.strip()
    if website and urlsplit(website).scheme not in ("http", "https"):
        raise InvalidInput("website must be an http(s) URL", field="website")
    return name, uris, website


async def create(request: Request) -> Response:
    rt = runtime(request)
    data = await _values(request)
    first = {k: v[0] for k, v in data.items() if v}
    raw_uris: list[str] = []
    for key in ("redirect_uris", "redirect_uris[]"):
        for value in data.get(key, []):
            raw_uris.extend(value.split("\n"))
    name, uris, website = check_app_fields(
        first.get("client_name", ""), raw_uris, first.get("website", "")
    )
    scopes = check_scopes(first.get("scopes"))
    app, secret = await app_store.create_app(
        rt.store, rt.clock.now(), name=name, redirect_uris=uris, scopes=scopes, website=website
    )
    return JSONResponse(app_json(app, secret))


async def verify_credentials(request: Request) -> Response:
    principal = await auth.authenticate(request)
    assert principal is not None
    if principal.app_id is None:
        raise Unauthorized("this token does not belong to an app")
    app = await app_store.get_app(runtime(request).store, app_id=int(principal.app_id))
    if app is None:
        raise Unauthorized("this app was revoked")
    return JSONResponse(app_json(app))
