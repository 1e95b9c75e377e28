"""Local actors and their API tokens."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson

from ..errors import Conflict, Gone, InvalidInput, NotFound
from .db import Store, is_integrity_error

ACTOR_TYPES = ("Group", "Person", "Organization", "Service", "Application")
COMMUNITY_KINDS = ("building", "residence", "quartier", "town")
JOIN_POLICIES = ("open", "approval", "invite")


@dataclass(frozen=True)
class LocalActor:
    id: int
    slug: str
    type: str
    name: str
    summary: str
    community_kind: str | None
    join_policy: str
    manually_approves: bool
    discoverable: bool
    rsa_private_pem: str
    rsa_public_pem: str
    ed_private_pem: str
    ed_public_multibase: str
    created_at: float
    updated_at: float
    also_known_as: tuple[str, ...] = ()
    moved_to: str | None = None

    @property
    def is_community(self) -> bool:
        return self.type == "Group"


def row_to_actor(row: sqlite3.Row) -> LocalActor:
    return LocalActor(
        id=row["id"],
        slug=row["slug"],
        type=row["type"],
        name=row["name"],
        summary=row["summary"],
        community_kind=row["community_kind"],
        join_policy=row["join_policy"],
        manually_approves=bool(row["manually_approves"]),
        discoverable=bool(row["discoverable"]),
        rsa_private_pem=row["rsa_private_pem"],
        rsa_public_pem=row["rsa_public_pem"],
        ed_private_pem=row["ed_private_pem"],
        ed_public_multibase=row["ed_public_multibase"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        also_known_as=tuple(orjson.loads(row["also_known_as"])),
        moved_to=row["moved_to"],
    )


async def insert_actor(store: Store, **fields: Any) -> LocalActor:
    cols = ", ".join(fields)
    marks = ", ".join("?" for _ in fields)
    try:
        await store.insert(f"INSERT INTO actors ({cols}) VALUES ({marks})", fields.values())
    except Exception as exc:
        if not is_integrity_error(exc):
            raise
        if "UNIQUE" in str(exc) or "duplicate key" in str(exc):
            raise Conflict(f"slug {fields['slug']!r} is already taken", field="slug") from None
        raise InvalidInput(f"invalid actor: {exc}") from None
    actor = await get_actor(store, fields["slug"])
    assert actor is not None
    return actor


async def get_actor(store: Store, slug: str, *, include_deleted: bool = False) -> LocalActor | None:
    sql = "SELECT * FROM actors WHERE slug = ?"
    if not include_deleted:
        sql += " AND deleted_at IS NULL"
    row = await store.fetchone(sql, (slug,))
    return row_to_actor(row) if row else None


async def require_actor(store: Store, slug: str) -> LocalActor:
    actor = await get_actor(store, slug)
    if actor is None:
        if await get_actor(store, slug, include_deleted=True) is not None:
            raise Gone(f"the actor {slug!r} was deleted")
        raise NotFound(f"no actor {slug!r} here")
    return actor


async def get_actors(store: Store, slugs: list[str]) -> list[LocalActor]:
    """Several live actors in one query (the pages name authors and communities)."""
    if not slugs:
        return []
    marks = ", ".join("?" for _ in slugs)
    rows = await store.fetchall(
        f"SELECT * FROM actors WHERE slug IN ({marks}) AND deleted_at IS NULL", tuple(slugs)
    )
    return [row_to_actor(r) for r in rows]


async def list_actors(store: Store, *, type_: str | None = None) -> list[LocalActor]:
    sql = "SELECT * FROM actors WHERE deleted_at IS NULL"
    params: tuple[Any, ...] = ()
    if type_:
        sql += " AND type = ?"
        params = (type_,)
    rows = await store.fetchall(sql + " ORDER BY slug", params)
    return [row_to_actor(r) for r in rows]


async def count_actors(store: Store) -> dict[str, int]:
    rows = await store.fetchall(
        "SELECT type, count(*) AS n FROM actors WHERE deleted_at IS NULL GROUP BY type"
    )
    return {r["type"]: r["n"] for r in rows}


async def update_actor(store: Store, slug: str, now: float, **fields: Any) -> LocalActor:
    sets = ", ".join(f"{k} = ?" for k in fields)
    await store.execute(
        f"UPDATE actors SET {sets}, updated_at = ? WHERE slug = ? AND deleted_at IS NULL",
        (*fields.values(), now, slug),
    )
    return await require_actor(store, slug)


async def mark_deleted(store: Store, actor: LocalActor, now: float) -> None:
    """The row stays (ids are never reused, and queued Deletes are still signed with its
    key); tokens go at once."""
    async with store.transaction():
        await store.execute("UPDATE actors SET deleted_at = ? WHERE id = ?", (now, actor.id))
        await store.execute("DELETE FROM tokens WHERE actor_id = ?", (actor.id,))


# -- API tokens: stored only as SHA-256 hashes (a leaked database does not leak tokens).


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(store: Store, actor: LocalActor, now: float, label: str = "") -> str:
    token = "fv_" + secrets.token_urlsafe(32)
    await store.insert(
        "INSERT INTO tokens (actor_id, token_hash, label, created_at) VALUES (?, ?, ?, ?)",
        (actor.id, hash_token(token), label, now),
    )
    return token


async def actor_for_token(store: Store, token: str) -> LocalActor | None:
    row = await store.fetchone(
        "SELECT a.* FROM tokens t JOIN actors a ON a.id = t.actor_id"
        " WHERE t.token_hash = ? AND a.deleted_at IS NULL",
        (hash_token(token),),
    )
    return row_to_actor(row) if row else None
