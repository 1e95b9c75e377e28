"""Authorization codes, residents' passwords and browser sessions (all stored hashed)."""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass

from .actors import LocalActor, hash_token, row_to_actor
from .db import Store

CODE_LIFETIME = 600.0  # RFC 6749 §4.1.2: short-lived, 10 minutes at most


@dataclass(frozen=True)
class AuthorizationCode:
    code_hash: str
    app_id: int
    actor_id: int
    redirect_uri: str
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float


def _code(row: sqlite3.Row) -> AuthorizationCode:
    return AuthorizationCode(
        code_hash=row["code_hash"],
        app_id=row["app_id"],
        actor_id=row["actor_id"],
        redirect_uri=row["redirect_uri"],
        scope=row["scope"],
        code_challenge=row["code_challenge"],
        code_challenge_method=row["code_challenge_method"],
        expires_at=row["expires_at"],
    )


async def save_code(
    store: Store,
    code: str,
    *,
    app_id: int,
    actor_id: int,
    redirect_uri: str,
    scope: str,
    code_challenge: str | None,
    code_challenge_method: str | None,
    now: float,
) -> None:
    await store.execute(
        "INSERT INTO oauth_codes (code_hash, app_id, actor_id, redirect_uri, scope,"
        " code_challenge, code_challenge_method, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            hash_token(code),
            app_id,
            actor_id,
            redirect_uri,
            scope,
            code_challenge,
            code_challenge_method,
            now,
            now + CODE_LIFETIME,
        ),
    )


async def get_code(store: Store, code: str, now: float) -> AuthorizationCode | None:
    row = await store.fetchone(
        "SELECT * FROM oauth_codes WHERE code_hash = ? AND expires_at > ?",
        (hash_token(code), now),
    )
    return _code(row) if row else None


async def delete_code(store: Store, code_hash: str) -> bool:
    """True when this call consumed it (a code is good for one exchange only)."""
    return await store.execute("DELETE FROM oauth_codes WHERE code_hash = ?", (code_hash,)) > 0


async def get_actor_by_id(store: Store, actor_id: int) -> LocalActor | None:
    row = await store.fetchone(
        "SELECT * FROM actors WHERE id = ? AND deleted_at IS NULL", (actor_id,)
    )
    return row_to_actor(row) if row else None


# -- passwords


async def set_password(store: Store, actor: LocalActor, password_hash: str, now: float) -> None:
    """A new password also ends every browser session of the actor."""
    async with store.transaction():
        await store.execute(
            "INSERT INTO actor_passwords (actor_id, password_hash, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(actor_id) DO UPDATE SET password_hash = excluded.password_hash,"
            " updated_at = excluded.updated_at",
            (actor.id, password_hash, now),
        )
        await store.execute("DELETE FROM web_sessions WHERE actor_id = ?", (actor.id,))


async def password_hash(store: Store, actor: LocalActor) -> str | None:
    row = await store.fetchone(
        "SELECT password_hash FROM actor_passwords WHERE actor_id = ?", (actor.id,)
    )
    return row["password_hash"] if row else None


# -- browser sessions


async def create_session(store: Store, actor: LocalActor, now: float, lifetime: float) -> str:
    session = secrets.token_urlsafe(32)
    await store.execute(
        "INSERT INTO web_sessions (session_hash, actor_id, created_at, expires_at)"
        " VALUES (?, ?, ?, ?)",
        (hash_token(session), actor.id, now, now + lifetime),
    )
    return session


async def session_actor(store: Store, session: str, now: float) -> LocalActor | None:
    row = await store.fetchone(
        "SELECT a.* FROM web_sessions s JOIN actors a ON a.id = s.actor_id"
        " WHERE s.session_hash = ? AND s.expires_at > ? AND a.deleted_at IS NULL",
        (hash_token(session), now),
    )
    return row_to_actor(row) if row else None


async def end_session(store: Store, session: str) -> None:
    await store.execute("DELETE FROM web_sessions WHERE session_hash = ?", (hash_token(session),))
