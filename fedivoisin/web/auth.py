"""Who is asking: bearer tokens for the client-to-server API, HTTP signatures for servers.

`fetch_guard` enforces the optional authorized-fetch mode; `signed_requester` returns the
actor URI that signed a GET (used to show followers-only objects to their addressees).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection, Request

from ..errors import Forbidden, SignatureRejected, Unauthorized
from ..protocol.scopes import LEGACY_TOKEN_SCOPES, scope_allows
from ..store import actors as actor_store
from ..store import apps as app_store
from ..store.actors import LocalActor
from .routes.common import runtime

# Browser sessions and CSRF (sign-in form, residents' pages) live in web/sessions.py and
# are re-exported here so every "who is asking" helper is found in one place.
from .sessions import (
    check_csrf,
    csrf_token,
    end_session,
    session_actor,
    set_csrf_cookie,
    start_session,
)

__all__ = [
    "Principal",
    "authenticate",
    "bearer_actor",
    "check_csrf",
    "csrf_token",
    "end_session",
    "fetch_guard",
    "principal_for_token",
    "require_owner",
    "session_actor",
    "set_csrf_cookie",
    "signed_requester",
    "start_session",
]


def _bearer_token(request: Request, *, optional: bool) -> str | None:
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
    return token.strip()


async def bearer_actor(request: Request, *, optional: bool = False) -> LocalActor | None:
    """The actor a bearer token speaks as (None for an app token acting only for the
    communities it was granted). Prefer `authenticate`, which also checks scopes."""
    principal = await authenticate(request, optional=optional)
    return principal.actor if principal is not None else None


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
    token = _bearer_token(request, optional=optional)
    if token is None:
        return None
    principal = await _principal_for(request, token)
    if principal is None:
        raise Unauthorized("this token is not valid (unknown, revoked or expired)")
    if scope is not None and not principal.allows(scope):
        raise Forbidden(f"this token lacks the '{scope}' scope")
    return principal


async def _principal_for(request: Request, token: str) -> Principal | None:
    """A legacy CLI token first (full control of its actor), then an OAuth app token."""
    rt = runtime(request)
    actor = await actor_store.actor_for_token(rt.store, token)
    if actor is not None:
        return Principal(actor=actor, scopes=LEGACY_TOKEN_SCOPES)
    info = await app_store.token_info(rt.store, token)
    if info is None:
        return None
    await app_store.touch_token(rt.store, info, rt.clock.now())
    communities = (
        await app_store.granted_slugs(rt.store, info.app.id) if info.actor is None else frozenset()
    )
    return Principal(
        actor=info.actor, scopes=info.scopes, app_id=str(info.app.id), communities=communities
    )


async def principal_for_token(conn: HTTPConnection, token: str) -> Principal | None:
    """A bearer token given outside the Authorization header: the streaming WebSocket's
    `access_token` parameter or `Sec-WebSocket-Protocol` (browsers cannot set headers)."""
    return await _principal_for(conn, token)  # type: ignore[arg-type]


async def require_owner(request: Request, slug: str, scope: str = "write") -> LocalActor:
    """The local actor `slug`, when the bearer token may act for it with `scope`."""
    principal = await authenticate(request, scope)
    assert principal is not None
    if not principal.may_act_for(slug):
        raise Forbidden(f"this token may not act for {slug!r}")
    return await actor_store.require_actor(runtime(request).store, slug)


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
