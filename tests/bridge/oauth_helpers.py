"""Helpers for the apps/OAuth tests: register, consent through the real HTML form."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from fedivoisin.protocol.passwords import hash_password
from fedivoisin.store import actors as actor_store
from fedivoisin.store import apps as app_store
from fedivoisin.store import oauth as oauth_store
from tests.rig import Instance

REDIRECT = "http://127.0.0.1:9/callback"


async def register(inst: Instance, scopes: str = "read write", **extra: Any) -> dict[str, Any]:
    async with inst.http() as c:
        r = await c.post(
            "/api/v1/apps",
            data={"client_name": "Voisins", "redirect_uris": REDIRECT, "scopes": scopes, **extra},
        )
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


async def set_password(inst: Instance, slug: str, password: str) -> None:
    async def op(store: Any, clock: Any) -> None:
        actor = await actor_store.require_actor(store, slug)
        await oauth_store.set_password(store, actor, hash_password(password), clock.now())

    await inst.admin(op)


async def grant(inst: Instance, client_id: str, *slugs: str) -> None:
    async def op(store: Any, clock: Any) -> None:
        app = await app_store.find_app(store, client_id)
        for slug in slugs:
            await app_store.grant(
                store, app, await actor_store.require_actor(store, slug), clock.now()
            )

    await inst.admin(op)


async def client_token(inst: Instance, app: dict[str, Any], scope: str = "read write") -> str:
    async with inst.http() as c:
        r = await c.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "scope": scope,
            },
        )
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


async def consent(
    c: httpx.AsyncClient,
    app: dict[str, Any],
    username: str,
    password: str,
    *,
    scope: str = "read write",
    challenge: str | None = None,
    redirect_uri: str = REDIRECT,
) -> httpx.Response:
    """GET the consent page, then submit its form as a browser would; returns the POST reply."""
    params = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": "xyz",
    }
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    page = await c.get("/oauth/authorize", params=params)
    assert page.status_code == 200, page.text
    fields = form_fields(page.text)
    fields |= {"username": username, "password": password, "decision": "approve"}
    return await c.post("/oauth/authorize", data=fields)


def code_from(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["state"] == ["xyz"]
    return query["code"][0]
