"""HTTP signatures and integrity proofs between fedivoisin and a real Fedify server.

Both schemes in both directions (draft-cavage and RFC 9421, with Fedify's double knock),
unsigned and tampered requests refused with 401, and a FEP-8b32 `eddsa-jcs-2022` proof made
by Fedify checked by our own `verify_proof`.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import httpx
import pytest

from fedivoisin.net import client as http_client
from fedivoisin.protocol import keys
from fedivoisin.protocol.proofs import ProofVerified, verify_proof
from fedivoisin.protocol.signatures import Rejected
from fedivoisin.remote import http
from fedivoisin.store import activities as activity_store
from tests.rig.peer import RecordingPeer

from .fedify import PUBLIC, FedifyPeer, c2s, received_rows, wait_processed

pytestmark = pytest.mark.interop

OURS = {"draft-cavage": "cavage", "rfc9421": "rfc9421"}


def note_activity(fedify: FedifyPeer, content: str) -> dict[str, Any]:
    """A Create(Note) by the Fedify actor, for `raw-deliver` (which adds the id)."""
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Create",
        "actor": fedify.actor,
        "to": [PUBLIC],
        "object": {
            "id": f"{fedify.actor}/notes/{uuid.uuid4()}",
            "type": "Note",
            "attributedTo": fedify.actor,
            "content": content,
            "to": [PUBLIC],
        },
    }


@pytest.mark.parametrize("scheme", ["draft-cavage", "rfc9421"])
async def test_fedify_verifies_our_deliveries_signed_with_either_scheme(
    instance_factory: Any, fedify: FedifyPeer, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    # Our client knocks with draft-cavage first; Fedify accepts it, so the RFC 9421 path is
    # exercised by making it the first knock of this instance.
    monkeypatch.setattr(http_client, "DEFAULT_SCHEME", OURS[scheme])
    inst = await instance_factory()
    lilas = await inst.community("les-lilas", "Résidence Les Lilas")
    token = await inst.token("les-lilas")
    await fedify.call("follow", {"actor": lilas})
    accept = await fedify.wait_received(type="Accept", actor=lilas)
    note = await c2s(
        inst,
        "les-lilas",
        token,
        {"type": "Note", "content": "<p>Signé</p>", "to": [PUBLIC], "cc": [lilas + "/followers"]},
    )
    create = await fedify.wait_received(id=note["id"])

    for rec in (accept, create):
        [post] = await fedify.inbox_log(rec["id"])  # one POST: no second knock was needed
        assert post["signature"]["scheme"] == scheme, post
        assert post["signature"]["keyId"] == lilas + "#main-key"
        assert post["status"] == 202
        assert post["verification"]["httpSignatureVerified"] is True
        assert post["verification"]["verifiedBy"] == "http-signature"
    assert http(inst.rt).preferred_scheme("127.0.0.1") == OURS[scheme]


@pytest.mark.parametrize("first_knock", ["rfc9421", "draft-cavage"])
async def test_our_inbox_accepts_fedify_first_knock(
    instance_factory: Any, fedify: FedifyPeer, first_knock: str
) -> None:
    await fedify.call("signature-scheme", {"scheme": first_knock})
    try:
        inst = await instance_factory()
        lilas = await inst.community("les-lilas", "Résidence Les Lilas")
        follow = await fedify.call("follow", {"actor": lilas})
        [delivery] = follow["deliveries"]
        # Accepted at the first knock: Fedify never had to fall back to the other scheme.
        assert [(a["scheme"], a["status"]) for a in delivery["attempts"]] == [(first_knock, 202)]
        assert (await wait_processed(inst, follow["followId"]))["state"] == "done"
        await fedify.wait_received(type="Accept", actor=lilas)
    finally:
        await fedify.call("signature-scheme", {"scheme": "rfc9421"})


@pytest.mark.parametrize(
    ("scheme", "status"), [("rfc9421", 202), ("draft-cavage", 202), ("none", 401)]
)
async def test_fedify_raw_delivery_to_our_inbox(
    instance_factory: Any, fedify: FedifyPeer, scheme: str, status: int
) -> None:
    inst = await instance_factory()
    activity = note_activity(fedify, f"<p>{scheme}</p>")
    res = await fedify.call(
        "raw-deliver", {"inbox": inst.base_url + "/inbox", "activity": activity, "scheme": scheme}
    )
    assert res["status"] == status, res
    if status == 202:
        assert (await wait_processed(inst, res["id"]))["state"] == "done"
        stored = await activity_store.get_object(inst.rt.store, activity["object"]["id"])
        assert stored is not None and stored.attributed_to == fedify.actor
    else:
        assert "not signed" in res["body"]
        assert await received_rows(inst) == []


def _redigest(headers: dict[str, str], body: bytes) -> dict[str, str]:
    """Recompute the body digest header, so only the signature itself can catch the change."""
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    out = dict(headers)
    if "content-digest" in out:
        out["content-digest"] = f"sha-256=:{digest}:"
    if "digest" in out:
        out["digest"] = f"SHA-256={digest}"
    return out


@pytest.mark.parametrize("scheme", ["draft-cavage", "rfc9421"])
async def test_fedify_signed_request_with_a_tampered_body_is_rejected(
    instance_factory: Any, fedify: FedifyPeer, scheme: str
) -> None:
    async with RecordingPeer() as front:
        # Our public origin is the recording peer's (as behind a reverse proxy): Fedify signs
        # for that URL, the peer captures the exact request, and we replay it to the instance.
        inst = await instance_factory(base_url=front.origin)
        activity = note_activity(fedify, "<p>genuine</p>")
        res = await fedify.call(
            "raw-deliver", {"inbox": front.url("/inbox"), "activity": activity, "scheme": scheme}
        )
        captured = await front.wait_for_post(lambda p: p.json().get("id") == res["id"])
    headers = {
        k: v for k, v in captured.headers.items() if k not in ("content-length", "connection")
    }
    tampered = captured.body.replace(b"genuine", b"tampered")
    assert tampered != captured.body

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{inst.port}", timeout=10) as c:
        body_only = await c.post("/inbox", content=tampered, headers=headers)
        redigested = await c.post("/inbox", content=tampered, headers=_redigest(headers, tampered))
        genuine = await c.post("/inbox", content=captured.body, headers=headers)
    assert body_only.status_code == 401, body_only.text
    assert "Digest" in body_only.json()["detail"]
    assert redigested.status_code == 401, redigested.text
    assert genuine.status_code == 202, genuine.text
    rows = await received_rows(inst)
    assert [r["activity_uri"] for r in rows] == [res["id"]]
    assert (await wait_processed(inst, res["id"]))["state"] == "done"


async def test_fedify_integrity_proof_verifies_with_our_verify_proof(fedify: FedifyPeer) -> None:
    async with RecordingPeer() as rp:
        bob = rp.add_actor("/users/bob")
        res = await fedify.call("post", {"content": "<p>Prouvé</p>", "to": [bob]})
        assert res["ok"], res
        body = (await rp.wait_for_post(lambda p: p.json().get("id") == res["createId"])).json()
    proof = body["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-jcs-2022"
    assert body["signature"]["type"] == "RsaSignature2017"  # Fedify also LD-signs; we ignore it

    async with httpx.AsyncClient(timeout=10) as c:
        actor = (await c.get(fedify.actor, headers={"Accept": "application/activity+json"})).json()
    [method] = [m for m in actor["assertionMethod"] if m["id"] == proof["verificationMethod"]]
    assert method["type"] == "Multikey" and method["controller"] == body["actor"] == fedify.actor
    key = keys.multikey_decode(method["publicKeyMultibase"])

    verified = verify_proof(body, key)
    assert isinstance(verified, ProofVerified), verified
    assert verified.verification_method == proof["verificationMethod"]
    forged = {**body, "object": {**body["object"], "content": "<p>Falsifié</p>"}}
    assert isinstance(verify_proof(forged, key), Rejected)
