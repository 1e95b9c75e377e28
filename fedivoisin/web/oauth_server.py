"""OAuth 2.0 authorization server: authlib's grammar, fed from our async store.

Why authlib: it implements RFC 6749 (grants, client authentication, error responses),
RFC 7636 (PKCE) and RFC 7009 (revocation) carefully and is widely used; hand-written
OAuth grammar is where subtle holes hide. Its framework-agnostic server is synchronous,
while our store is async, so this adapter works in three steps per request:
prefetch what authlib may ask for (the client, the code, the token, the user), run
authlib's synchronous logic against that snapshot, then apply the writes it asked for
(save a token, consume a code) — consuming the code is an atomic DELETE, so a code
replayed concurrently yields one token at most.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Payload,
    OAuth2Request,
    grants,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response

from ..protocol.scopes import parse_scopes, scope_allows
from ..runtime import Runtime
from ..store import apps as app_store
from ..store import oauth as oauth_store
from ..store.actors import LocalActor, hash_token

OOB = "urn:ietf:wg:oauth:2.0:oob"
CLIENT_AUTH = ["client_secret_basic", "client_secret_post"]
GRANT_TYPES = ("authorization_code", "client_credentials")


class Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, app: app_store.App) -> None:
        self.app = app

    def get_client_id(self) -> str:
        return self.app.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.app.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        """Mastodon's rule: no scope means `read`; asking beyond the registration fails."""
        requested = parse_scopes(scope)
        if not all(scope_allows(self.app.scopes, s) for s in requested):
            return ""
        return " ".join(sorted(requested))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.app.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(hash_token(client_secret), self.app.client_secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in CLIENT_AUTH

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


class Code:
    """authlib's view of a stored authorization code (AuthorizationCodeMixin)."""

    def __init__(self, code: oauth_store.AuthorizationCode) -> None:
        self.stored = code
        self.code_challenge = code.code_challenge
        self.code_challenge_method = code.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.stored.redirect_uri

    def get_scope(self) -> str:
        return self.stored.scope


class StoredToken:
    def __init__(self, app_id: int, token: str) -> None:
        self.app_id = app_id
        self.token = token

    def check_client(self, client: Client) -> bool:
        return client.app.id == self.app_id


class Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, data: dict[str, list[str]]) -> None:
        self._datalist = data

    @property
    def data(self) -> dict[str, str]:
        return {k: v[0] for k, v in self._datalist.items() if v}

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class Request(OAuth2Request):  # type: ignore[misc]
    """The request authlib sees: method, public URI, headers and the form/query values."""

    def __init__(self, method: str, uri: str, headers: Headers, data: dict[str, list[str]]):
        super().__init__(method, uri, headers=headers)
        self.payload = Payload(data)

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data  # type: ignore[no-any-return]

    @property
    def args(self) -> dict[str, str]:
        return self.payload.data  # type: ignore[no-any-return]


@dataclass
class Snapshot:
    """What authlib may ask for, fetched before it runs, and what it asked to write."""

    now: float
    client: app_store.App | None = None
    code: oauth_store.AuthorizationCode | None = None
    code_actor: LocalActor | None = None
    token: StoredToken | None = None
    writes: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    consumed_code: str | None = None


class S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 only: `plain` gives no protection against a code interceptor."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH

    def save_authorization_code(self, code: str, request: Request) -> None:
        snap: Snapshot = self.server.snapshot
        user: LocalActor = request.user
        data = request.payload.data
        snap.writes.append(
            lambda: oauth_store.save_code(
                self.server.rt.store,
                code,
                app_id=request.client.app.id,
                actor_id=user.id,
                redirect_uri=data.get("redirect_uri") or "",
                scope=request.scope,
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                now=snap.now,
            )
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        stored = self.server.snapshot.code
        if stored is None or stored.app_id != client.app.id:
            return None
        if stored.code_hash != hash_token(code):
            return None
        return Code(stored)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        self.server.snapshot.consumed_code = authorization_code.stored.code_hash

    def authenticate_user(self, authorization_code: Code) -> LocalActor | None:
        return self.server.snapshot.code_actor  # type: ignore[no-any-return]


class ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = CLIENT_AUTH

    def query_token(self, token_string: str, token_type_hint: str | None) -> StoredToken | None:
        return self.server.snapshot.token  # type: ignore[no-any-return]

    def revoke_token(self, token: StoredToken, request: Request) -> None:
        snap: Snapshot = self.server.snapshot
        snap.writes.append(
            lambda: app_store.revoke_token(self.server.rt.store, token.token, snap.now)
        )


class Server(AuthorizationServer):  # type: ignore[misc]
    """One per request: authlib's server bound to that request's snapshot."""

    def __init__(self, rt: Runtime, snapshot: Snapshot) -> None:
        super().__init__(scopes_supported=None)
        self.rt = rt
        self.snapshot = snapshot
        self.register_grant(AuthorizationCodeGrant, [S256Only(required=True)])
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(Revocation)
        self.register_token_generator("default", self._generate_token)

    def query_client(self, client_id: str) -> Client | None:
        app = self.snapshot.client
        return Client(app) if app is not None and app.client_id == client_id else None

    def _generate_token(
        self,
        grant_type: str,
        client: Client,
        user: LocalActor | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        if grant_type == "client_credentials":
            scope = client.get_allowed_scope(scope)
            if not scope:
                raise InvalidScopeError()
        # Like Mastodon's, tokens do not expire: they are revoked (app revoke, /oauth/revoke).
        return {
            "access_token": "fvo_" + secrets.token_urlsafe(32),
            "token_type": "Bearer",
            "scope": scope or "read",
            "created_at": int(self.snapshot.now),
        }

    def save_token(self, token: dict[str, Any], request: Request) -> None:
        user: LocalActor | None = request.user
        app = request.client.app
        self.snapshot.writes.append(
            lambda: app_store.save_token(
                self.rt.store,
                token["access_token"],
                app_id=app.id,
                actor_id=user.id if user is not None else None,
                scopes=token["scope"],
                now=self.snapshot.now,
            )
        )

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        assert isinstance(request, OAuth2Request)
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        hdrs = dict(headers or [])
        if isinstance(body, dict):
            hdrs.pop("Content-Type", None)
            return JSONResponse(body, status_code=status, headers=hdrs)
        return Response(body or b"", status_code=status, headers=hdrs)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    async def flush(self) -> bool:
        """Apply the writes; False when the code was already consumed by a racing request."""
        snap = self.snapshot
        if snap.consumed_code is not None and not await oauth_store.delete_code(
            self.rt.store, snap.consumed_code
        ):
            return False
        for write in snap.writes:
            await write()
        return True


def public_uri(rt: Runtime, path: str) -> str:
    """The URI authlib checks for TLS. Plain http is accepted on loopback (RFC 8252) and
    when the admin allowed private networks (a test or a LAN setup behind no proxy)."""
    origin = rt.settings.origin
    if rt.settings.allow_private_networks and origin.startswith("http://"):
        origin = "https://" + origin[len("http://") :]
    return origin + path
