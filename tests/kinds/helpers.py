"""Shared set-up for the vocabulary-kind tests: a community on A with a member who may
post everything, a resident of B following it, and C2S helpers that fail loudly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fedivoisin.outbox import community as cm
from fedivoisin.store import activities as activity_store
from tests.rig import AS2, Instance, wait_for

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def post(inst: Instance, slug: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await inst.c2s(slug, token, body)
    assert r.status_code == 201, r.text
    doc: dict[str, Any] = r.json()
    return doc


async def follow(inst: Instance, slug: str, token: str, target: str) -> None:
    await post(inst, slug, token, {"type": "Follow", "object": target})

    async def accepted() -> bool:
        return any(i["type"] == "Accept" for i in await inst.inbox(slug, token))

    await wait_for(accepted, timeout=10)


async def stored_doc(
    inst: Instance,
    uri: str,
    condition: Callable[[dict[str, Any]], bool] = lambda d: True,
    timeout: float = 10,
) -> dict[str, Any]:
    """Wait until `inst` stores `uri` with a document meeting `condition`."""

    async def found() -> dict[str, Any] | None:
        stored = await activity_store.get_object(inst.rt.store, uri)
        if stored is not None and condition(stored.document):
            return stored.document
        return None

    doc: dict[str, Any] = await wait_for(found, timeout=timeout)
    return doc


async def get(inst: Instance, url: str, token: str | None = None, **headers: str) -> Any:
    async with inst.http() as c:
        h = {"Accept": AS2, **headers}
        if token:
            h["Authorization"] = f"Bearer {token}"
        return await c.get(url, headers=h)


@dataclass
class Neighbourhood:
    a: Instance
    b: Instance
    lilas: str  # community actor on A
    alice: str  # token of alice@A, moderator of les-lilas (may post alerts)
    bob: str  # token of bob@B, follower of les-lilas

    @property
    def audience(self) -> dict[str, Any]:
        """Addressing of a public post of alice in les-lilas."""
        return {"to": [PUBLIC], "cc": [self.lilas + "/followers"], "audience": self.lilas}


async def neighbourhood(instance_factory: Any, **a_settings: Any) -> Neighbourhood:
    a = await instance_factory(**a_settings)
    b = await instance_factory(**a_settings)
    lilas = await a.community("les-lilas", "Résidence Les Lilas")
    await a.person("alice")
    await b.person("bob")
    await cm.add_member(a.rt, await a.local("les-lilas"), "alice", role="moderator")
    alice, bob = await a.token("alice"), await b.token("bob")
    await follow(b, "bob", bob, lilas)
    return Neighbourhood(a, b, lilas, alice, bob)


PLACE = {
    "type": "Place",
    "name": "Cour intérieure",
    "latitude": 45.7578,
    "longitude": 4.832,
    "address": {
        "type": "PostalAddress",
        "streetAddress": "12 rue des Lilas",
        "postalCode": "69003",
        "addressLocality": "Lyon",
        "addressCountry": "FR",
    },
}
