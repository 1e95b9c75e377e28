"""Registered apps (OAuth 2.0 clients), their grants to communities, and their tokens.

Client secrets and tokens are random 256-bit strings stored as SHA-256 hashes, like the
CLI tokens: a leaked database does not leak credentials, and a fast hash is enough for
high-entropy secrets (passwords get scrypt, see protocol/passwords.py).
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass

from ..errors import NotFound
from .actors import LocalActor, hash_token, row_to_actor
from .db import Store

#: last_used_at is written at most this often per token (no write on every request).
LAST_USED_GRANULARITY = 60.0


@dataclass(frozen=True)
class App:
    id: int
    client_id: str
    client_secret_hash: str
    name: str
    website: str
    redirect_uris: tuple[str, ...]
    scopes: frozenset[str]
    created_at: float
    revoked_at: float | None


def _app(row: sqlite3.Row) -> App:
    return App(
        id=row["id"],
        client_id=row["client_id"],
        client_secret_hash=row["client_secret_hash"],
        name=row["name"],
        website=row["website"],
        redirect_uris=tuple(u for u in row["redirect_uris"].split("\n") if u),
        scopes=frozenset(row["scopes"].split()),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


async def create_app(
    store: Store,
    now: float,
    *,
    name: str,
    redirect_uris: list[str],
    scopes: frozenset[str],
    website: str = "",
) -> tuple[App, str]:
    """A new app and its client secret (shown once, stored hashed)."""
    client_id = secrets.token_hex(20)  # never starts with "-" (CLI-safe)
    secret = secrets.token_urlsafe(32)
    app_id = await store.insert(
        "INSERT INTO apps (client_id, client_secret_hash, name, website, redirect_uris,"
        " scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            client_id,
            hash_token(secret),
            name,
            website,
            "\n".join(redirect_uris),
            " ".join(sorted(scopes)),
            now,
        ),
    )
    app = await get_app(store, app_id=app_id)
    assert app is not None
    return app, secret


async def get_app(
    store: Store, *, client_id: str | None = None, app_id: int | None = None
) -> App | None:
    """A live (not revoked) app by client_id or id."""
    if client_id is not None:
        row = await store.fetchone(
            "SELECT * FROM apps WHERE client_id = ? AND revoked_at IS NULL", (client_id,)
        )
    else:
        row = await store.fetchone(
            "SELECT * FROM apps WHERE id = ? AND revoked_at IS NULL", (app_id,)
        )
    return _app(row) if row else None


async def find_app(store: Store, ref: str) -> App:
    """An app by client_id, numeric id or name (CLI convenience); 404 otherwise."""
    row = await store.fetchone(
        "SELECT * FROM apps WHERE revoked_at IS NULL AND (client_id = ? OR name = ?"
        " OR CAST(id AS TEXT) = ?) ORDER BY id LIMIT 1",
        (ref, ref, ref),
    )
    if row is None:
        raise NotFound(f"no app {ref!r}")
    return _app(row)


@dataclass(frozen=True)
class AppUsage:
    app: App
    tokens: int
    last_used_at: float | None
    communities: tuple[str, ...]


async def list_apps(store: Store) -> list[AppUsage]:
    rows = await store.fetchall(
        "SELECT a.*, (SELECT count(*) FROM oauth_tokens t WHERE t.app_id = a.id"
        "  AND t.revoked_at IS NULL) AS n_tokens,"
        " (SELECT max(last_used_at) FROM oauth_tokens t WHERE t.app_id = a.id) AS last_used,"
        " (SELECT group_concat(ac.slug, ' ') FROM app_grants g JOIN actors ac"
        "  ON ac.id = g.actor_id WHERE g.app_id = a.id) AS granted"
        " FROM apps a WHERE a.revoked_at IS NULL ORDER BY a.id"
    )
    return [
        AppUsage(
            app=_app(r),
            tokens=r["n_tokens"],
            last_used_at=r["last_used"],
            communities=tuple(sorted((r["granted"] or "").split())),
        )
        for r in rows
    ]


async def revoke_app(store: Store, app: App, now: float) -> None:
    """The app and every token it holds stop working at once."""
    async with store.transaction():
        await store.execute("UPDATE apps SET revoked_at = ? WHERE id = ?", (now, app.id))
        await store.execute(
            "UPDATE oauth_tokens SET revoked_at = ? WHERE app_id = ? AND revoked_at IS NULL",
            (now, app.id),
        )
        await store.execute("DELETE FROM oauth_codes WHERE app_id = ?", (app.id,))


async def grant(store: Store, app: App, actor: LocalActor, now: float) -> None:
    await store.execute(
        "INSERT OR IGNORE INTO app_grants (app_id, actor_id, created_at) VALUES (?, ?, ?)",
        (app.id, actor.id, now),
    )


async def ungrant(store: Store, app: App, actor: LocalActor) -> bool:
    return (
        await store.execute(
            "DELETE FROM app_grants WHERE app_id = ? AND actor_id = ?", (app.id, actor.id)
        )
        > 0
    )


async def granted_slugs(store: Store, app_id: int) -> frozenset[str]:
    rows = await store.fetchall(
        "SELECT a.slug FROM app_grants g JOIN actors a ON a.id = g.actor_id"
        " WHERE g.app_id = ? AND a.deleted_at IS NULL",
        (app_id,),
    )
    return frozenset(r["slug"] for r in rows)


# -- tokens


@dataclass(frozen=True)
class AppToken:
    id: int
    app: App
    actor: LocalActor | None
    scopes: frozenset[str]
    last_used_at: float | None


async def save_token(
    store: Store, token: str, *, app_id: int, actor_id: int | None, scopes: str, now: float
) -> None:
    await store.insert(
        "INSERT INTO oauth_tokens (token_hash, app_id, actor_id, scopes, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (hash_token(token), app_id, actor_id, scopes, now),
    )


async def token_info(store: Store, token: str) -> AppToken | None:
    """A live token of a live app (and a live actor, when bound to one)."""
    row = await store.fetchone(
        "SELECT t.id AS token_id, t.actor_id AS token_actor, t.scopes AS token_scopes,"
        " t.last_used_at AS token_last_used, a.* FROM oauth_tokens t"
        " JOIN apps a ON a.id = t.app_id"
        " WHERE t.token_hash = ? AND t.revoked_at IS NULL AND a.revoked_at IS NULL",
        (hash_token(token),),
    )
    if row is None:
        return None
    actor = None
    if row["token_actor"] is not None:
        arow = await store.fetchone(
            "SELECT * FROM actors WHERE id = ? AND deleted_at IS NULL", (row["token_actor"],)
        )
        if arow is None:
            return None
        actor = row_to_actor(arow)
    return AppToken(
        id=row["token_id"],
        app=_app(row),
        actor=actor,
        scopes=frozenset(row["token_scopes"].split()),
        last_used_at=row["token_last_used"],
    )


async def touch_token(store: Store, token: AppToken, now: float) -> None:
    last = token.last_used_at
    if last is None or now - last >= LAST_USED_GRANULARITY or now < last:
        await store.execute(
            "UPDATE oauth_tokens SET last_used_at = ? WHERE id = ?", (now, token.id)
        )


async def revoke_token(store: Store, token: str, now: float) -> bool:
    return (
        await store.execute(
            "UPDATE oauth_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
            (now, hash_token(token)),
        )
        > 0
    )


async def token_row(store: Store, token: str) -> sqlite3.Row | None:
    """The raw row (for the revocation endpoint, which must check the owning app)."""
    return await store.fetchone(
        "SELECT * FROM oauth_tokens WHERE token_hash = ? AND revoked_at IS NULL",
        (hash_token(token),),
    )
