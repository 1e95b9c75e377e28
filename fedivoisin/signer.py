"""Signing hooks for outgoing requests, one per scheme, with loaded keys cached per actor.

Loading a PEM costs ~100 µs; fan-out signs thousands of requests, so keys are parsed once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .protocol import keys
from .protocol import signatures as sig
from .protocol.urls import Urls
from .store.actors import LocalActor

SignHook = Any  # Callable[[str, str, dict[str, str], bytes | None], dict[str, str]]


@lru_cache(maxsize=4096)
def _load(pem: str) -> Any:
    return keys.load_private_key_pem(pem)


def signers_for(urls: Urls, actor: LocalActor, now: Any) -> dict[str, SignHook]:
    """{"cavage": hook, "rfc9421": hook} signing as `actor` with its RSA key.

    `now` is a zero-argument callable (the runtime clock), read at signing time.
    """
    private = _load(actor.rsa_private_pem)
    key_id = urls.key_id(actor.slug)

    def cavage(
        method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, str]:
        return sig.sign_cavage(
            method, url, headers, body, key_id=key_id, private_key=private, now=now()
        )

    def rfc9421(
        method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, str]:
        return sig.sign_rfc9421(
            method, url, headers, body, key_id=key_id, private_key=private, now=now()
        )

    return {"cavage": cavage, "rfc9421": rfc9421}


def with_integrity_proof(urls: Urls, actor: LocalActor, doc: dict[str, Any], created: str) -> Any:
    """`doc` with an FEP-8b32 `eddsa-jcs-2022` proof made with the actor's published Ed25519
    key (`{actor}#ed25519-key`), so the activity can be checked wherever it is forwarded."""
    from .protocol.proofs import create_proof

    return create_proof(doc, _load(actor.ed_private_pem), urls.ed_key_id(actor.slug), created)
