"""Builders for the JSON documents we serve about local actors: pure, no I/O.

Mastodon reads `publicKey` (id = actor + #main-key, owner, publicKeyPem); FEP-521a peers read
the Ed25519 Multikey in `assertionMethod`; FEP-1b12 group servers read `type: Group`.
"""

from __future__ import annotations

from typing import Any

from ..clock import iso
from .urls import Urls

AS2 = "https://www.w3.org/ns/activitystreams"
SECURITY_V1 = "https://w3id.org/security/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DATA_INTEGRITY_V1 = "https://w3id.org/security/data-integrity/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"
#: Fedify's layout for actors with keys: did v1 defines `assertionMethod` (@protected), so
#: no inline term may redefine it — bovine and Fedify load these and refused our own
#: definition ("tried to redefine a protected term", issue 15 item 2).
ACTOR_CONTEXT_URLS: tuple[str, ...] = (AS2, SECURITY_V1, DATA_INTEGRITY_V1, DID_V1, MULTIKEY_V1)
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})
AS2_CONTENT_TYPE = "application/activity+json"
LD_CONTENT_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'

# Our own term map, inlined on the wire for the actor-level terms (Mastodon-style), so that
# no receiver has to fetch anything. The full vocabulary context is in fedivoisin/contexts/.
ACTOR_TERMS: dict[str, Any] = {
    "fv": "https://w3id.org/fedivoisin/ns#",
    "toot": "http://joinmastodon.org/ns#",
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "communityKind": "fv:communityKind",
    "joinPolicy": "fv:joinPolicy",
    "members": {"@id": "fv:members", "@type": "@id"},
    "postingRestrictedToMods": "https://join-lemmy.org/ns#postingRestrictedToMods",
}


def actor_document(
    urls: Urls,
    *,
    slug: str,
    type_: str,
    name: str,
    summary: str,
    rsa_public_pem: str,
    ed_public_multibase: str,
    manually_approves: bool,
    discoverable: bool,
    published: float,
    updated: float | None = None,
    community_kind: str | None = None,
    join_policy: str | None = None,
) -> dict[str, Any]:
    actor_id = urls.actor(slug)
    doc: dict[str, Any] = {
        "@context": [*ACTOR_CONTEXT_URLS, ACTOR_TERMS],
        "id": actor_id,
        "type": type_,
        "preferredUsername": slug,
        "name": name,
        "summary": summary,
        "url": urls.page(slug),
        "inbox": urls.inbox(slug),
        "outbox": urls.outbox(slug),
        "followers": urls.followers(slug),
        "following": urls.following(slug),
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": manually_approves,
        "discoverable": discoverable,
        "indexable": discoverable,
        "published": iso(published),
        "publicKey": {
            "id": urls.key_id(slug),
            "owner": actor_id,
            "publicKeyPem": rsa_public_pem,
        },
        "assertionMethod": [
            {
                "id": urls.ed_key_id(slug),
                "type": "Multikey",
                "controller": actor_id,
                "publicKeyMultibase": ed_public_multibase,
            }
        ],
    }
    if updated is not None and updated > published:
        doc["updated"] = iso(updated)
    if type_ == "Group":
        doc["communityKind"] = community_kind
        doc["joinPolicy"] = join_policy or "open"
        doc["members"] = urls.members(slug)
        doc["postingRestrictedToMods"] = False
    return doc


def webfinger_document(
    urls: Urls, slug: str, *, extra_links: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    actor_id = urls.actor(slug)
    links: list[dict[str, str]] = [
        {"rel": "self", "type": AS2_CONTENT_TYPE, "href": actor_id},
        {
            "rel": "http://webfinger.net/rel/profile-page",
            "type": "text/html",
            "href": urls.page(slug),
        },
    ]
    links.extend(extra_links or [])
    return {
        "subject": f"acct:{slug}@{urls.domain}",
        "aliases": [actor_id, urls.page(slug)],
        "links": links,
    }


def parse_webfinger_resource(resource: str, urls: Urls) -> str | None:
    """Slug named by `acct:slug@host`, `slug@host`, or one of our actor/page URLs.

    Returns None when the resource is well-formed but not ours; raises ValueError when
    malformed (→ 400).
    """
    r = resource.strip()
    if not r:
        raise ValueError("resource is empty")
    if r.startswith(("http://", "https://")):
        slug = urls.slug_of(r)
        if slug is None and r.startswith(urls.origin + "/@"):
            slug = r[len(urls.origin) + 2 :].split("/", 1)[0] or None
        return slug
    if r.startswith("acct:"):
        r = r[5:]
    r = r.lstrip("@")
    if r.count("@") != 1:
        raise ValueError("resource must be acct:user@host or an actor URL")
    user, _, host = r.partition("@")
    if not user or not host:
        raise ValueError("resource must be acct:user@host or an actor URL")
    if host.lower() != urls.domain:
        return None
    return user.lower()


def host_meta(urls: Urls) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" type="application/jrd+json" template="{urls.origin}'
        '/.well-known/webfinger?resource={uri}"/>\n'
        "</XRD>\n"
    )


def nodeinfo_links(urls: Urls) -> dict[str, Any]:
    return {
        "links": [
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                "href": f"{urls.origin}/nodeinfo/2.1",
            }
        ]
    }


def nodeinfo(
    *,
    version: str,
    users_total: int,
    local_posts: int,
    open_registrations: bool,
    node_name: str,
    communities: int,
) -> dict[str, Any]:
    return {
        "version": "2.1",
        "software": {"name": "fedivoisin", "version": version},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0"]},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {
                "total": users_total,
                "activeMonth": users_total,
                "activeHalfyear": users_total,
            },
            "localPosts": local_posts,
        },
        "metadata": {"nodeName": node_name, "communities": communities},
    }


def ordered_collection(
    collection_id: str, total: int, *, first: str | None = None, items: list[Any] | None = None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": AS2,
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if first is not None:
        doc["first"] = first
    if items is not None:
        doc["orderedItems"] = items
    return doc


def ordered_collection_page(
    collection_id: str,
    page: int,
    items: list[Any],
    *,
    has_next: bool,
    total: int | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": AS2,
        "id": f"{collection_id}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": collection_id,
        "orderedItems": items,
    }
    if total is not None:
        doc["totalItems"] = total
    if has_next:
        doc["next"] = f"{collection_id}?page={page + 1}"
    if page > 1:
        doc["prev"] = f"{collection_id}?page={page - 1}"
    return doc


def keyset_page(
    collection_id: str,
    page_id: str,
    items: list[Any],
    *,
    next_id: str | None,
    total: int | None = None,
) -> dict[str, Any]:
    """An OrderedCollectionPage addressed by a cursor (`?max_id=` / `?after=`): `next` is
    the page after its last item, so pages never repeat or skip items as new ones arrive."""
    doc: dict[str, Any] = {
        "@context": AS2,
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": collection_id,
        "orderedItems": items,
    }
    if total is not None:
        doc["totalItems"] = total
    if next_id is not None:
        doc["next"] = next_id
    return doc
