"""Issue 2: a new instance's communities and actors are discoverable as peers expect."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from fedivoisin.protocol.keys import multikey_decode
from tests.rig import AS2

DATA = Path(__file__).parent.parent / "data"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


async def test_webfinger_leads_to_a_complete_actor_whose_key_loads(instance: Any) -> None:
    await instance.community(
        "les-lilas", "Résidence Les Lilas", kind="building", summary="Bâtiment A et B"
    )
    async with instance.http() as c:
        r = await c.get(
            "/.well-known/webfinger", params={"resource": f"acct:les-lilas@{instance.domain}"}
        )
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/jrd+json")
        assert r.headers["access-control-allow-origin"] == "*"
        jrd = r.json()
        assert jrd["subject"] == f"acct:les-lilas@{instance.domain}"
        self_link = next(link for link in jrd["links"] if link["rel"] == "self")
        assert self_link["type"] == AS2
        assert any(link["rel"] == "http://webfinger.net/rel/profile-page" for link in jrd["links"])
        assert instance.actor("les-lilas") in jrd["aliases"]

        r = await c.get(self_link["href"], headers={"Accept": AS2})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith(AS2)
        assert "Accept" in r.headers["vary"]
        actor = r.json()
    assert actor["@context"][0] == "https://www.w3.org/ns/activitystreams"
    assert "https://w3id.org/security/v1" in actor["@context"]
    for field in (
        "id",
        "type",
        "preferredUsername",
        "name",
        "summary",
        "url",
        "inbox",
        "outbox",
        "followers",
        "following",
        "endpoints",
        "manuallyApprovesFollowers",
        "discoverable",
        "published",
        "publicKey",
        "assertionMethod",
    ):
        assert field in actor, field
    assert actor["type"] == "Group"
    assert actor["communityKind"] == "building"
    assert actor["name"] == "Résidence Les Lilas"
    assert actor["endpoints"]["sharedInbox"] == f"{instance.base_url}/inbox"
    assert actor["manuallyApprovesFollowers"] is False
    key = actor["publicKey"]
    assert key["id"] == actor["id"] + "#main-key"
    assert key["owner"] == actor["id"]
    loaded = load_pem_public_key(key["publicKeyPem"].encode())
    assert isinstance(loaded, rsa.RSAPublicKey) and loaded.key_size == 2048
    mk = actor["assertionMethod"][0]
    assert mk["type"] == "Multikey" and mk["controller"] == actor["id"]
    multikey_decode(mk["publicKeyMultibase"])


async def test_webfinger_accepts_the_actor_url_and_refuses_bad_resources(instance: Any) -> None:
    await instance.person("alice")
    async with instance.http() as c:
        r = await c.get("/.well-known/webfinger", params={"resource": instance.actor("alice")})
        assert r.status_code == 200 and r.json()["subject"] == f"acct:alice@{instance.domain}"
        r = await c.get(
            "/.well-known/webfinger", params={"resource": f"acct:nobody@{instance.domain}"}
        )
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
        r = await c.get(
            "/.well-known/webfinger", params={"resource": "acct:alice@elsewhere.example"}
        )
        assert r.status_code == 404
        for bad in ("acct:", "acct:a@b@c", "nonsense"):
            r = await c.get("/.well-known/webfinger", params={"resource": bad})
            assert r.status_code == 400, bad
            assert r.json()["title"] and r.json()["detail"]
        r = await c.get("/.well-known/webfinger")
        assert r.status_code == 400 and r.json()["field"] == "resource"


async def test_nodeinfo_validates_against_the_nodeinfo_21_schema(instance: Any) -> None:
    await instance.community("quartier-nord", kind="quartier")
    async with instance.http() as c:
        links = (await c.get("/.well-known/nodeinfo")).json()["links"]
        href = next(x["href"] for x in links if x["rel"].endswith("/2.1"))
        r = await c.get(href)
    doc = r.json()
    schema = json.loads((DATA / "nodeinfo-2.1.schema.json").read_text())
    jsonschema.validate(doc, schema)
    assert doc["software"]["name"] == "fedivoisin"
    assert doc["protocols"] == ["activitypub"]
    assert doc["metadata"]["communities"] == 1


async def test_host_meta_is_valid_xrd_with_the_webfinger_template(instance: Any) -> None:
    async with instance.http() as c:
        r = await c.get("/.well-known/host-meta")
    assert r.headers["content-type"].startswith("application/xrd+xml")
    root = ET.fromstring(r.text)
    link = root.find("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert link is not None
    assert link.get("template") == f"{instance.base_url}/.well-known/webfinger?resource={{uri}}"


async def test_content_negotiation_json_for_servers_html_for_browsers(instance: Any) -> None:
    await instance.community("les-lilas", "Résidence <Les> Lilas")
    async with instance.http() as c:
        r = await c.get("/actors/les-lilas", headers={"Accept": LD})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
        assert r.json()["type"] == "Group"
        r = await c.get("/actors/les-lilas", headers={"Accept": "text/html,application/xhtml+xml"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "Résidence &lt;Les&gt; Lilas" in r.text  # escaped
        assert 'type="text/calendar"' in r.text and 'type="application/atom+xml"' in r.text
        r = await c.get("/@les-lilas", headers={"Accept": "text/html"})
        assert r.status_code == 200 and "les-lilas@" in r.text


async def test_collections_are_paged_and_follower_lists_are_not_enumerated(instance: Any) -> None:
    await instance.community("les-lilas")
    async with instance.http() as c:
        for name in ("outbox", "followers", "following"):
            r = await c.get(f"/actors/les-lilas/{name}", headers={"Accept": AS2})
            assert r.status_code == 200
            doc = r.json()
            assert doc["type"] == "OrderedCollection" and doc["totalItems"] == 0
            if name != "outbox":
                assert "first" not in doc and "orderedItems" not in doc  # counts only
        r = await c.get("/actors/les-lilas/outbox?page=1", headers={"Accept": AS2})
        page = r.json()
        assert page["type"] == "OrderedCollectionPage"
        assert page["partOf"] == instance.actor("les-lilas") + "/outbox"
        r = await c.get("/actors/les-lilas/outbox?page=zero", headers={"Accept": AS2})
        assert r.status_code == 400 and r.json()["field"] == "page"


async def test_errors_are_problem_json_never_tracebacks(instance: Any) -> None:
    async with instance.http() as c:
        for method, path in (
            ("GET", "/no/such/path"),
            ("GET", "/actors/ghost"),
            ("DELETE", "/inbox"),
        ):
            r = await c.request(method, path, headers={"Accept": AS2})
            assert r.status_code in (404, 405)
            assert r.headers["content-type"] == "application/problem+json"
            body = r.json()
            assert body["status"] == r.status_code and body["title"]
            assert "Traceback" not in r.text
