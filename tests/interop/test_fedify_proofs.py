"""Issue 15 item 4: Fedify verifies our FEP-8b32 integrity proofs (`eddsa-jcs-2022`, made
with the Ed25519 key each actor publishes in `assertionMethod`) on a Create and an Announce,
with its own `verifyObject` (interop/fedify-peer/peer.mjs reports `proofVerified`)."""

from __future__ import annotations

import pytest

from .conftest import Scene
from .fedify import c2s

pytestmark = [pytest.mark.interop, pytest.mark.integrity_proofs]

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def test_fedify_verifies_our_proofs_on_a_create_and_an_announce(followed: Scene) -> None:
    inst, fedify, lilas = followed.inst, followed.fedify, followed.community
    token = await inst.token("les-lilas")
    created = await c2s(
        inst,
        "les-lilas",
        token,
        {
            "type": "Note",
            "content": "<p>Assemblée jeudi.</p>",
            "to": [PUBLIC],
            "cc": [lilas + "/followers"],
        },
    )
    rec = await fedify.wait_received(type="Create", id=created["id"])
    assert rec["raw"]["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert rec["proofVerified"] is True, rec["proofError"]

    post = await fedify.call("post", {"content": "<p>Qui a un escabeau ?</p>", "mentions": [lilas]})
    assert post["ok"], post
    boost = await fedify.wait_received(type="Announce", actor=lilas)
    assert boost["objectId"] == post["noteId"]
    assert boost["proofVerified"] is True, boost["proofError"]
