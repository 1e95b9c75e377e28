"""Fetching remote actors, keys and objects: http + store + in-memory cache.

Keys are cached in memory and in the database; a verification failure with a cached key
triggers exactly one refetch from the key's origin (key rotation, SECURITY.md rule 7), and a
TTL refresh never replaces a key on its own.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .errors import RemoteError, RemoteNotFound, RemoteRefused
from .http import HttpClient, HttpPolicy, create_http_client
from .protocol import keys as keylib
from .protocol.actors import (
    ACTOR_TYPES,
    ActorDocumentError,
    actor_from_json,
    host_of,
    key_owner_from_key_document,
    same_origin,
)
from .protocol.addressing import as_list
from .protocol.urls import INSTANCE_SLUG
from .runtime import Runtime
from .signer import signers_for
from .store import actors as actor_store
from .store import remote_actors as remote_store
from .store.remote_actors import RemoteActor

log = logging.getLogger("fedivoisin.remote")

KEY_CACHE_SIZE = 20_000


@dataclass(frozen=True)
class KnownKey:
    key_id: str
    owner: str
    public_key: Any
    fetched_at: float


def http(rt: Runtime) -> HttpClient:
    """The one outbound client of this runtime, created on first use."""
    if rt.http_client is None:
        s = rt.settings
        rt.http_client = create_http_client(
            HttpPolicy(
                allow_private_networks=s.allow_private_networks,
                user_agent=f"fedivoisin/0.1 (+{s.origin})",
                is_blocked=rt.is_blocked_cached,
                per_host_limit=s.delivery_per_domain,
            ),
            clock=rt.clock,
        )
    return rt.http_client


async def _instance_signers(rt: Runtime) -> dict[str, Any]:
    """Our fetches are signed by the instance actor (GoToSocial and authorized-fetch peers)."""
    hooks = rt.caches.get("instance_signers")
    if hooks is None:
        actor = await actor_store.require_actor(rt.store, INSTANCE_SLUG)
        hooks = signers_for(rt.urls, actor, rt.clock.now)
        rt.caches["instance_signers"] = hooks
    return dict(hooks)


def _get_schemes(rt: Runtime) -> dict[str, str]:
    schemes: dict[str, str] = rt.caches.setdefault("get_schemes", {})
    return schemes


async def fetch(rt: Runtime, url: str) -> dict[str, Any]:
    """Signed GET of an AS2 document; its id must share the final URL's origin.

    Signed draft-cavage first; a 401/403 gets one retry signed with RFC 9421, and the
    scheme that worked is remembered per host ("double knocking", as for deliveries)."""
    await rt.blocked_hosts()
    host = host_of(url)
    if await rt.is_blocked(host):
        raise RemoteRefused(f"{host} is blocked")
    if not rt.federates_with(host):
        raise RemoteRefused(f"{host} is not on this instance's allowlist")
    hooks = await _instance_signers(rt)
    schemes = _get_schemes(rt)
    first = schemes.get(host, "cavage")
    second = "rfc9421" if first == "cavage" else "cavage"
    try:
        fetched = await http(rt).get_activity(url, sign=hooks[first])
    except RemoteError as exc:
        if exc.status not in (401, 403):
            raise
        fetched = await http(rt).get_activity(url, sign=hooks[second])
        if len(schemes) < 10_000:
            schemes[host] = second
    return fetched.document


def _key_cache(rt: Runtime) -> OrderedDict[str, KnownKey]:
    cache = rt.caches.get("keys")
    if cache is None:
        cache = rt.caches["keys"] = OrderedDict()
    return cache


def _load_public(material: str) -> Any:
    if material.startswith("multibase:"):
        return keylib.multikey_decode(material[len("multibase:") :])
    return keylib.load_public_key_pem(material)


def _remember(rt: Runtime, key: KnownKey) -> KnownKey:
    cache = _key_cache(rt)
    cache[key.key_id] = key
    cache.move_to_end(key.key_id)
    while len(cache) > KEY_CACHE_SIZE:
        cache.popitem(last=False)
    return key


async def _save_actor(
    rt: Runtime, doc: dict[str, Any], *, keep_key_of: RemoteActor | None
) -> RemoteActor:
    try:
        info = actor_from_json(doc)
    except ActorDocumentError as exc:
        raise RemoteError(str(exc)) from None
    key_id, pem = next(
        ((k, v) for k, v in info.keys.items() if not v.startswith("multibase:")), (None, None)
    )
    if keep_key_of is not None and keep_key_of.key_id:
        key_id, pem = keep_key_of.key_id, keep_key_of.public_key_pem
    actor = RemoteActor(
        uri=info.uri,
        type=info.type,
        host=host_of(info.uri),
        preferred_username=info.preferred_username,
        name=info.name,
        inbox=info.inbox,
        shared_inbox=info.shared_inbox,
        followers=info.followers,
        key_id=key_id,
        public_key_pem=pem,
        document=doc,
        fetched_at=rt.clock.now(),
    )
    await remote_store.save(rt.store, actor)
    return actor


async def get_actor(
    rt: Runtime, uri: str, *, refresh: bool = False, refetch: bool = False
) -> RemoteActor:
    """A remote actor, from cache when fresh.

    `refetch` re-reads the document (after an Update) but keeps the known key; only
    `refresh` (forced by a failed verification) may replace the key (SECURITY.md rule 7).
    """
    cached = await remote_store.get(rt.store, uri)
    stale = cached is None or rt.clock.now() - cached.fetched_at >= rt.settings.key_cache_ttl
    if cached and not refresh and not refetch and not stale:
        return cached
    doc = await fetch(rt, uri)
    if doc.get("id") != uri:
        raise RemoteError(f"{uri} answered with a document for {doc.get('id')!r}")
    return await _save_actor(rt, doc, keep_key_of=None if refresh else cached)


async def get_key(rt: Runtime, key_id: str, *, refresh: bool = False) -> KnownKey:
    """The public key named by a signature's keyId, and the actor who owns it.

    Cached in memory and in the database for `key_cache_ttl`; past it the owner's document
    is re-read from its origin (a deleted or moved actor is noticed) but the key itself is
    only replaced when a verification failure asks for `refresh` (SECURITY.md rule 7)."""
    ttl = rt.settings.key_cache_ttl
    if not refresh:
        known = _key_cache(rt).get(key_id)
        if known is not None and rt.clock.now() - known.fetched_at < ttl:
            return known
    local_slug = rt.urls.slug_of(key_id)
    if local_slug is not None:
        actor = await actor_store.require_actor(rt.store, local_slug)
        return _remember(
            rt,
            KnownKey(
                key_id,
                rt.urls.actor(local_slug),
                keylib.load_public_key_pem(actor.rsa_public_pem),
                rt.clock.now(),
            ),
        )
    if not refresh:
        row = await remote_store.by_key(rt.store, key_id)
        if row is not None and row.public_key_pem:
            checked_at = row.fetched_at
            if rt.clock.now() - row.fetched_at >= ttl:
                # Revalidate the owner (keeps the key); if its origin is unreachable the
                # known key stays usable rather than failing every delivery from it.
                try:
                    row = await get_actor(rt, row.uri, refetch=True)
                    if _vouches(row, key_id):
                        checked_at = row.fetched_at
                except RemoteError as exc:
                    log.info("could not revalidate %s: %s", row.uri, exc)
            if row.public_key_pem and row.key_id == key_id:
                return _remember(
                    rt, KnownKey(key_id, row.uri, _load_public(row.public_key_pem), checked_at)
                )
    url = key_id.split("#", 1)[0]
    doc = await fetch(rt, url)
    if set(as_list(doc.get("type"))) & ACTOR_TYPES:
        actor_doc = doc
    else:
        pair = key_owner_from_key_document(doc)
        if pair is None:
            raise RemoteError(f"{key_id} is neither an actor nor a key document")
        owner, _pem = pair
        if not same_origin(owner, key_id):
            raise RemoteError("key owner is on another origin")
        actor_doc = await fetch(rt, owner)
    try:
        info = actor_from_json(actor_doc)
    except ActorDocumentError as exc:
        raise RemoteError(str(exc)) from None
    material = info.keys.get(key_id)
    if material is None:
        raise RemoteError(f"{info.uri} does not vouch for key {key_id}")
    await _save_actor(rt, actor_doc, keep_key_of=None)
    if not material.startswith("multibase:"):
        await rt.store.execute(
            "UPDATE remote_actors SET key_id = ?, public_key_pem = ? WHERE uri = ?",
            (key_id, material, info.uri),
        )
    return _remember(rt, KnownKey(key_id, info.uri, _load_public(material), rt.clock.now()))


def _vouches(actor: RemoteActor, key_id: str) -> bool:
    """Does the actor's latest document still publish this exact key?"""
    try:
        return actor_from_json(actor.document).keys.get(key_id) == actor.public_key_pem
    except ActorDocumentError:
        return False


def forget_actor(rt: Runtime, uri: str) -> None:
    cache = _key_cache(rt)
    for kid in [k for k, v in cache.items() if v.owner == uri]:
        del cache[kid]


async def fetch_object(rt: Runtime, uri: str) -> dict[str, Any]:
    """An object from its own origin (never trusted from a third party's copy)."""
    doc = await fetch(rt, uri)
    if doc.get("id") != uri:
        raise RemoteError(f"{uri} answered with a document for {doc.get('id')!r}")
    return doc


async def resolve_handle(rt: Runtime, handle: str) -> str:
    """`acct:user@host` / `@user@host` / actor URL → actor URI, with the WebFinger round
    trip (SECURITY.md rule 8): the actor must map back to the same account."""
    h = handle.strip()
    if h.startswith(("http://", "https://")):
        slug = rt.urls.slug_of(h) if rt.urls.is_local(h) else None
        if slug is not None and h == rt.urls.actor(slug):
            # One of ours: no HTTP round trip to ourselves.
            if await actor_store.get_actor(rt.store, slug) is None:
                raise RemoteNotFound(f"{handle!r} is not an actor of this instance")
            return h
        return (await get_actor(rt, h)).uri
    h = h.removeprefix("acct:").lstrip("@")
    user, sep, host = h.partition("@")
    if not sep and user:
        # A bare slug names an actor of this instance (`relay add quartier-nord les-lilas`).

        if await actor_store.get_actor(rt.store, user) is None:
            raise RemoteNotFound(
                f"{handle!r} is neither a local actor nor a handle (user@host) or an actor URL"
            )
        return rt.urls.actor(user)
    if not sep or not user or not host:
        raise RemoteNotFound(f"{handle!r} is not a handle (user@host) or an actor URL")
    if rt.urls.domain == host.lower():
        return rt.urls.actor(user)
    scheme = "http" if rt.settings.allow_private_networks and _looks_local(host) else "https"
    url = f"{scheme}://{host}/.well-known/webfinger?resource={quote('acct:' + user + '@' + host)}"
    jrd = (await http(rt).get_json(url)).document
    actor_uri = None
    for link in jrd.get("links", []) if isinstance(jrd, dict) else []:
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and isinstance(link.get("href"), str)
            and ("activity+json" in str(link.get("type")) or "ld+json" in str(link.get("type")))
        ):
            actor_uri = link["href"]
            break
    if actor_uri is None:
        raise RemoteNotFound(f"{handle} has no ActivityPub actor")
    actor = await get_actor(rt, actor_uri, refresh=True)
    if (actor.preferred_username or "").lower() != user.lower():
        raise RemoteError(f"{actor_uri} does not map back to {user}@{host}")
    # Security fix (tests/security): compare host AND port. Comparing hostnames only let
    # `acct:erin@host:8080` resolve to an actor of another server on `host:9090` (another
    # origin) without the reverse lookup.
    if _authority(actor.uri) != _authority(f"{scheme}://{host}/"):
        # Split-domain setups must answer the reverse lookup on the actor's own host.
        back = f"{scheme}://{_netloc(actor.uri)}/.well-known/webfinger?resource={quote(actor.uri)}"
        jrd2 = (await http(rt).get_json(back)).document
        if (
            not isinstance(jrd2, dict)
            or str(jrd2.get("subject", "")).lower() != f"acct:{user}@{host}".lower()
        ):
            raise RemoteError(f"{actor_uri} does not map back to {user}@{host}")
    return actor.uri


def _authority(url: str) -> str:
    """Lower-case host[:port] of a URL, the default port omitted (what `user@host` names)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        return url  # unparseable: never equal to a real authority
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return host if port in (None, default) else f"{host}:{port}"


def _netloc(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc


def _looks_local(host: str) -> bool:
    h = host.split(":")[0]
    return h in ("localhost", "::1") or h.startswith("127.") or h.startswith("[")


async def webfinger_links(rt: Runtime, handle: str) -> list[dict[str, Any]]:
    """The WebFinger links of `user@host` (remote interaction: the person's own server's
    `ostatus subscribe` and FEP-3b86 intent templates), through the SSRF-safe client."""
    h = handle.strip().removeprefix("acct:").lstrip("@")
    user, sep, host = h.partition("@")
    if not sep or not user or not host or "/" in host or "@" in host:
        raise RemoteNotFound(f"{handle!r} is not a handle (user@host)")
    scheme = "http" if rt.settings.allow_private_networks and _looks_local(host) else "https"
    url = f"{scheme}://{host}/.well-known/webfinger?resource={quote('acct:' + user + '@' + host)}"
    jrd = (await http(rt).get_json(url)).document
    links = jrd.get("links") if isinstance(jrd, dict) else None
    return [link for link in links or [] if isinstance(link, dict)]
