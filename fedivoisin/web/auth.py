"""Who is asking: bearer tokens for the client-to-server API, HTTP signatures for servers.

`fetch_guard` enforces the optional authorized-fetch mode; `signed_requester` returns the
actor URI that signed a GET (used to show followers-only objects to their addressees).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from ..errors import Forbidden, SignatureRejected, Unauthorized
from ..protocol.scopes import LEGACY_TOKEN_SCOPES, scope_allows
from ..store import actors as actor_store
from ..store.actors import LocalActor
from .routes.common import runtime


async def bearer_actor(request: Request, *, optional: bool = False) -> LocalActor | None:
    header = request.headers.get("authorization", "")
    if not header:
        if optional:
            return None
        raise Unauthorized("an 'Authorization: Bearer TOKEN' header is required")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        if optional:
            return None
        raise Unauthorized("the Authorization header must be 'Bearer TOKEN'")
    actor = await actor_store.actor_for_token(runtime(request).store, token.strip())
    if actor is None:
        raise Unauthorized("this token is not valid")
    return actor


@dataclass(frozen=True)
class Principal:
    """Who a bearer token speaks for, and what it may do.

    `actor` is the local actor the token acts as (None for an app's client_credentials
    token, which acts only for the communities an admin granted it: `communities`).
    `app_id` is None for the legacy CLI tokens, which carry LEGACY_TOKEN_SCOPES.
    """

    actor: LocalActor | None
    scopes: frozenset[str]
    app_id: str | None = None
    communities: frozenset[str] = frozenset()

    def allows(self, scope: str) -> bool:
        return scope_allows(self.scopes, scope)

    def may_act_for(self, slug: str) -> bool:
        return (self.actor is not None and self.actor.slug == slug) or slug in self.communities


async def authenticate(
    request: Request, scope: str | None = None, *, optional: bool = False
) -> Principal | None:
    """The one check of bearer tokens: 401 when missing or invalid, 403 naming the missing
    scope. Every C2S and API route calls this (or require_owner, built on it)."""
    actor = await bearer_actor(request, optional=optional)
    if actor is None:
        return None
    principal = Principal(actor=actor, scopes=LEGACY_TOKEN_SCOPES)
    if scope is not None and not principal.allows(scope):
        raise Forbidden(f"this token lacks the '{scope}' scope")
    return principal


async def require_owner(request: Request, slug: str) -> LocalActor:
    actor = await bearer_actor(request)
    assert actor is not None
    if actor.slug != slug:
        raise Forbidden("this token belongs to another actor")
    return actor


async def signed_requester(request: Request) -> str | None:
    """The actor URI whose valid signature is on this GET, or None when unsigned.

    A present but invalid signature is an error (401), never silently anonymous.
    """
    if "signature" not in request.headers and "signature-input" not in request.headers:
        return None
    from ..inbox.authenticate import verify_get

    return await verify_get(runtime(request), request)


async def fetch_guard(request: Request) -> str | None:
    """With authorized fetch on, GETs of actors and objects need a valid signature."""
    rt = runtime(request)
    requester = await signed_requester(request)
    if rt.settings.authorized_fetch and requester is None:
        raise SignatureRejected("this server requires signed fetches (authorized fetch)")
    return requester
