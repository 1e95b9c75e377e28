"""Issue 15 item 2: every document we serve and send expands under pyld, as a strict
JSON-LD processor (bovine, Fedify) reads it, with the real bundled contexts; and again
when the reader prepends its own protected contexts, as bovine does when it frames.

Why: bovine could not read a community's actor document at all ("tried to redefine a
protected term": our inline `assertionMethod` against `https://www.w3.org/ns/did/v1`).
The documents are collected from a live instance: GETs of every surface (actors of each
type, the instance actor, WebFinger's self link, collections and pages, objects of each
kind, activities) and every POST a loopback peer received from us.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx

from fedivoisin.outbox import community as cm
from fedivoisin.protocol.context import _jsonld, expand, offline_document_loader
from fedivoisin.protocol.urls import INSTANCE_SLUG
from tests.kinds.helpers import PUBLIC, post
from tests.kinds.test_roundtrip import KINDS
from tests.rig import AS2, Instance, wait_for
from tests.rig.peer import RecordingPeer

#: What a strict reader may put before a document's own contexts (bovine's framing
#: context carries did v1; Fedify loads data-integrity and multikey, all @protected).
#: bovine 0.5.19 `bovine.jsonld.bovine_context` (what bovine compacts everything into) and
#: `default_context` (what it assumes when a document has none), read from its source.
BOVINE_CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    {
        "publicKey": {"@id": "https://w3id.org/security#publicKey", "@type": "@id"},
        "publicKeyPem": "https://w3id.org/security#publicKeyPem",
        "owner": {"@id": "https://w3id.org/security#owner", "@type": "@id"},
        "to": {"@id": "as:to", "@type": "@id", "@container": "@set"},
        "cc": {"@id": "as:cc", "@type": "@id", "@container": "@set"},
        "tag": {"@id": "as:tag", "@type": "@id", "@container": "@set"},
        "items": {"@id": "as:items", "@type": "@id", "@container": "@set"},
        "attachment": {"@id": "as:attachment", "@type": "@id", "@container": "@set"},
        "Hashtag": "as:Hashtag",
    },
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
]
BOVINE_DEFAULT_CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
    {"Hashtag": "as:Hashtag"},
]

PROTECTED_PREFIXES: list[list[Any]] = [
    BOVINE_CONTEXT,
    BOVINE_DEFAULT_CONTEXT,
    ["https://www.w3.org/ns/did/v1"],
    ["https://w3id.org/security/data-integrity/v1"],
    ["https://w3id.org/security/multikey/v1"],
    [
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        "https://w3id.org/security/data-integrity/v1",
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    ],
]


def _with_prefix(doc: dict[str, Any], prefix: list[Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    own = out.get("@context", [])
    out["@context"] = [*prefix, *(own if isinstance(own, list) else [own])]
    return out


def _check(label: str, doc: dict[str, Any], failures: list[str]) -> None:
    assert "@context" in doc, label
    for prefix in [[], *PROTECTED_PREFIXES]:
        try:
            expanded = expand(_with_prefix(doc, prefix))
        except Exception as exc:
            failures.append(f"{label} with {prefix or 'nothing'} prepended: {exc} {exc!r}")
            continue
        assert expanded, label
    try:  # bovine then compacts what it expanded into its own context
        _jsonld().compact(
            expand(doc), {"@context": BOVINE_CONTEXT}, {"documentLoader": offline_document_loader}
        )
    except Exception as exc:
        failures.append(f"{label} compacted into bovine's context: {exc!r}")


async def _get(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    r = await client.get(url, headers={"Accept": AS2})
    assert r.status_code == 200, (url, r.status_code, r.text)
    doc: dict[str, Any] = r.json()
    return doc


async def test_every_document_we_serve_and_send_expands_strictly(instance: Instance) -> None:
    inst = instance
    lilas = await inst.community("les-lilas", "Résidence Les Lilas")
    await inst.person("alice")
    await cm.add_member(inst.rt, await inst.local("les-lilas"), "alice", role="moderator")
    alice = await inst.token("alice")
    async with RecordingPeer() as peer:
        reader = peer.add_actor("/users/reader")
        for target in (lilas, inst.actor("alice")):
            follow = {
                "@context": AS2,
                "id": f"{reader}/follows/{target.rsplit('/', 1)[-1]}",
                "type": "Follow",
                "actor": reader,
                "object": target,
            }
            r = await peer.deliver(inst.urls.shared_inbox, follow)
            assert r.status_code == 202, r.text
        await peer.wait_for_post(lambda p: p.json().get("type") == "Accept")
        audience = {"to": [PUBLIC], "cc": [lilas + "/followers"], "audience": lilas}
        posted: dict[str, dict[str, Any]] = {}
        for name, body in KINDS.items():
            posted[name] = await post(inst, "alice", alice, {**body, **audience})
        note = posted["news-note"]["object"]
        await post(
            inst,
            "alice",
            alice,
            {"type": "Update", "object": {**note, "content": "<p>Ouvert le dimanche.</p>"}},
        )
        await post(
            inst, "alice", alice, {"type": "Like", "object": posted["event"]["object"]["id"]}
        )
        await post(inst, "alice", alice, {"type": "Delete", "object": note["id"]})

        async def all_kinds_arrived() -> bool:
            types = {p.json().get("type") for p in peer.received()}
            return {"Create", "Announce", "Update", "Delete"} <= types

        await wait_for(all_kinds_arrived, timeout=15)
        sent = [p.json() for p in peer.received()]

    failures: list[str] = []
    for doc in sent:
        _check(f"sent {doc.get('type')} {doc.get('id')}", doc, failures)
    async with inst.http() as client:
        finger = (
            await client.get("/.well-known/webfinger", params={"resource": inst.handle("alice")})
        ).json()
        self_link = next(link["href"] for link in finger["links"] if link.get("rel") == "self")
        urls = [
            lilas,
            inst.actor("alice"),
            inst.actor(INSTANCE_SLUG),
            self_link,
            inst.urls.outbox("les-lilas"),
            inst.urls.outbox("les-lilas") + "?page=1",
            inst.urls.outbox("alice") + "?page=1",
            inst.urls.followers("les-lilas"),
            inst.urls.following("alice"),
            inst.urls.members("les-lilas"),
            inst.urls.members("les-lilas") + "?page=1",
        ]
        for collection in ("events", "offers", "alerts", "news", "polls"):
            urls.append(f"{lilas}/{collection}")
        for name, created in posted.items():
            if name != "news-note":  # deleted above: a Tombstone answer is checked below
                urls.append(created["object"]["id"])
            urls.append(created["id"])
        for url in urls:
            _check(f"GET {url}", await _get(client, url), failures)
    assert not failures, "\n".join(failures)
