"""Reading remote actor documents: pure functions with the origin rules of SECURITY.md.

Rule 7: a key counts only when its id has the actor's origin and `owner`/`controller`
points back at the actor (reciprocal). Rule 1: the actor's id has the origin it came from
(checked by the fetcher); inbox URLs on other origins are refused here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .addressing import as_list, ref

ACTOR_TYPES = frozenset({"Person", "Group", "Organization", "Service", "Application"})


class ActorDocumentError(ValueError):
    """The document is not a usable actor."""


def origin(url: str) -> str:
    p = urlsplit(url)
    host = (p.hostname or "").lower()
    port = p.port
    default = {"http": 80, "https": 443}.get(p.scheme)
    netloc = host if port in (None, default) else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        netloc = f"[{host}]" if port in (None, default) else f"[{host}]:{port}"
    return f"{p.scheme}://{netloc}"


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def same_origin(a: str, b: str) -> bool:
    try:
        return origin(a) == origin(b)
    except ValueError:
        return False


@dataclass(frozen=True)
class ActorInfo:
    uri: str
    type: str
    preferred_username: str | None
    name: str | None
    inbox: str | None
    shared_inbox: str | None
    followers: str | None
    keys: dict[str, str]  # key id → PEM (RSA publicKey) or "multibase:z6Mk…" (Multikey)


def actor_from_json(doc: dict[str, Any]) -> ActorInfo:
    uri = doc.get("id")
    if not isinstance(uri, str):
        raise ActorDocumentError("actor has no id")
    type_ = doc.get("type")
    types = [t for t in as_list(type_) if isinstance(t, str)]
    kind = next((t for t in types if t in ACTOR_TYPES), None)
    if kind is None:
        raise ActorDocumentError(f"{uri} is not an actor (type {type_!r})")
    inbox = ref(doc.get("inbox"))
    if inbox is not None and not same_origin(inbox, uri):
        raise ActorDocumentError("actor inbox is on another origin")
    endpoints = doc.get("endpoints")
    shared = ref(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else None
    keys = extract_keys(doc)
    name = doc.get("name")
    username = doc.get("preferredUsername")
    return ActorInfo(
        uri=uri,
        type=kind,
        preferred_username=username if isinstance(username, str) else None,
        name=name if isinstance(name, str) else None,
        inbox=inbox,
        shared_inbox=shared,
        followers=ref(doc.get("followers")),
        keys=keys,
    )


def extract_keys(doc: dict[str, Any]) -> dict[str, str]:
    """Keys the actor vouches for, keeping only reciprocal, same-origin ones."""
    uri = doc["id"]
    out: dict[str, str] = {}
    for key in as_list(doc.get("publicKey")):
        if not isinstance(key, dict):
            continue
        kid, owner, pem = key.get("id"), key.get("owner"), key.get("publicKeyPem")
        if isinstance(kid, str) and isinstance(pem, str) and owner == uri and same_origin(kid, uri):
            out[kid] = pem
    for key in as_list(doc.get("assertionMethod")):
        if not isinstance(key, dict) or key.get("type") != "Multikey":
            continue
        kid, ctrl, mb = key.get("id"), key.get("controller"), key.get("publicKeyMultibase")
        if isinstance(kid, str) and isinstance(mb, str) and ctrl == uri and same_origin(kid, uri):
            out[kid] = "multibase:" + mb
    return out


def key_owner_from_key_document(doc: dict[str, Any]) -> tuple[str, str] | None:
    """A standalone key document (`{id, owner, publicKeyPem}`): (owner, pem), or None."""
    owner = ref(doc.get("owner")) or ref(doc.get("controller"))
    pem = doc.get("publicKeyPem")
    if isinstance(owner, str) and isinstance(pem, str):
        return owner, pem
    return None
