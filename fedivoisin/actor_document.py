"""A local actor's ActivityPub document (used by the web routes and by Update(actor))."""

from __future__ import annotations

from typing import Any

from .protocol import documents
from .protocol.urls import Urls
from .store.actors import LocalActor


def actor_document_of(urls: Urls, actor: LocalActor) -> dict[str, Any]:
    doc = _document(urls, actor)
    # Mastodon: the statuses pinned to the profile (web/routes/featured.py).
    doc["featured"] = urls.actor(actor.slug) + "/featured"
    # FEP-7628 / Mastodon: aliases it may be moved from, and where it moved.
    if actor.also_known_as:
        doc["alsoKnownAs"] = list(actor.also_known_as)
    if actor.moved_to:
        doc["movedTo"] = actor.moved_to
    return doc


def _document(urls: Urls, actor: LocalActor) -> dict[str, Any]:
    return documents.actor_document(
        urls,
        slug=actor.slug,
        type_=actor.type,
        name=actor.name,
        summary=actor.summary,
        rsa_public_pem=actor.rsa_public_pem,
        ed_public_multibase=actor.ed_public_multibase,
        manually_approves=actor.manually_approves,
        discoverable=actor.discoverable,
        published=actor.created_at,
        updated=actor.updated_at,
        community_kind=actor.community_kind,
        join_policy=actor.join_policy,
    )
