"""Who is asking: bearer tokens for the client-to-server API, HTTP signatures for servers.

`fetch_guard` enforces the optional authorized-fetch mode; `signed_requester` returns the
actor URI that signed a GET (used to show followers-only objects to their addressees).
"""

from __future__ import annotations

from starlette.requests import Request

from ..errors import Forbidden, SignatureRejected, Unauthorized
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
