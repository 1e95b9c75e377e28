"""Administrative operations shared by the CLI and the server (create actors, tokens, blocks).

Both entry points call these, so a community made with the CLI while the server runs is the
same as one made any other way.
"""

from __future__ import annotations

import logging

from .clock import Clock
from .errors import Conflict, InvalidInput
from .protocol import keys
from .protocol.urls import INSTANCE_SLUG, RESERVED_SLUGS, valid_slug
from .store import actors as actor_store
from .store import blocks as block_store
from .store.actors import COMMUNITY_KINDS, JOIN_POLICIES, LocalActor
from .store.db import Store

log = logging.getLogger("fedivoisin")


def _key_material() -> dict[str, str]:
    rsa = keys.generate_rsa_key()
    ed = keys.generate_ed25519_key()
    return {
        "rsa_private_pem": keys.private_key_pem(rsa),
        "rsa_public_pem": keys.public_key_pem(rsa.public_key()),
        "ed_private_pem": keys.private_key_pem(ed),
        "ed_public_multibase": keys.multikey_encode(ed.public_key()),
    }


def check_slug(slug: str) -> None:
    if not valid_slug(slug):
        raise InvalidInput(
            f"slug {slug!r} is invalid: use 1-63 lower-case letters, digits, '-' or '_',"
            " starting with a letter or digit",
            field="slug",
        )
    if slug in RESERVED_SLUGS:
        raise InvalidInput(f"slug {slug!r} is reserved", field="slug")


async def create_community(
    store: Store,
    clock: Clock,
    slug: str,
    *,
    name: str,
    kind: str,
    summary: str = "",
    join_policy: str = "open",
) -> LocalActor:
    check_slug(slug)
    if kind not in COMMUNITY_KINDS:
        raise InvalidInput(
            f"kind {kind!r} is unknown: choose one of {', '.join(COMMUNITY_KINDS)}", field="kind"
        )
    if join_policy not in JOIN_POLICIES:
        raise InvalidInput(
            f"join policy {join_policy!r} is unknown: choose one of {', '.join(JOIN_POLICIES)}",
            field="join_policy",
        )
    if not name.strip():
        raise InvalidInput("name must not be empty", field="name")
    now = clock.now()
    return await actor_store.insert_actor(
        store,
        slug=slug,
        type="Group",
        name=name.strip(),
        summary=summary,
        community_kind=kind,
        join_policy=join_policy,
        manually_approves=0,  # communities auto-accept followers
        discoverable=1,
        created_at=now,
        updated_at=now,
        **_key_material(),
    )


async def create_actor(
    store: Store,
    clock: Clock,
    slug: str,
    *,
    type_: str,
    name: str,
    summary: str = "",
    manually_approves: bool | None = None,
) -> LocalActor:
    check_slug(slug)
    if type_ not in ("Person", "Organization", "Service"):
        raise InvalidInput(
            f"type {type_!r} is unknown: choose Person, Organization or Service"
            " (communities are made with 'community create')",
            field="type",
        )
    if not name.strip():
        raise InvalidInput("name must not be empty", field="name")
    if manually_approves is None:
        manually_approves = type_ == "Person"  # residents approve their followers
    now = clock.now()
    return await actor_store.insert_actor(
        store,
        slug=slug,
        type=type_,
        name=name.strip(),
        summary=summary,
        manually_approves=int(manually_approves),
        discoverable=int(type_ != "Person"),
        created_at=now,
        updated_at=now,
        **_key_material(),
    )


async def ensure_instance_actor(store: Store, clock: Clock, name: str) -> LocalActor:
    """The Application actor whose key signs our fetches (authorized fetch, GoToSocial)."""
    actor = await actor_store.get_actor(store, INSTANCE_SLUG)
    if actor is not None:
        return actor
    try:
        return await _insert_instance_actor(store, clock, name)
    except Conflict:  # several processes starting together on one PostgreSQL: one wins
        actor = await actor_store.get_actor(store, INSTANCE_SLUG)
        if actor is None:
            raise
        return actor


async def _insert_instance_actor(store: Store, clock: Clock, name: str) -> LocalActor:
    now = clock.now()
    return await actor_store.insert_actor(
        store,
        slug=INSTANCE_SLUG,
        type="Application",
        name=name,
        summary="The instance actor: it signs this server's own requests.",
        manually_approves=1,
        discoverable=0,
        created_at=now,
        updated_at=now,
        **_key_material(),
    )


async def record_origin(store: Store, origin: str) -> None:
    """The server is the authority on its public origin: the CLI reads it from here."""
    from .store import instance_settings

    stored = await instance_settings.get(store, instance_settings.ORIGIN)
    if stored != origin:
        if stored is not None:
            log.warning(
                "public origin changed from %s to %s: remote servers know the old ids",
                stored,
                origin,
            )
        await instance_settings.put(store, instance_settings.ORIGIN, origin)


async def create_token(store: Store, clock: Clock, slug: str, label: str = "") -> str:
    actor = await actor_store.require_actor(store, slug)
    return await actor_store.create_token(store, actor, clock.now(), label)


async def block_domain(store: Store, clock: Clock, host: str, reason: str = "") -> str:
    host = block_store.normalise_host(host)
    await block_store.add(store, host, reason, clock.now())
    return host
