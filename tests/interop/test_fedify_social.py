"""fedivoisin against a real Fedify server (interop/fedify-peer): discovery, follows, posts of
every vocabulary kind, replies, polls, events, Undo, Update and Delete in both directions.

Each test drives both sides and asserts what each side really received: Fedify's own records
(`received[]`, with its verification verdict) and our database / `GET inbox` listing.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from fedivoisin.remote import resolve_handle
from fedivoisin.store import activities as activity_store
from fedivoisin.store import follows as follow_store
from fedivoisin.store import remote_actors as remote_store
from tests.rig import AS2, wait_for

from .fedify import (
    PUBLIC,
    FedifyPeer,
    Scene,
    c2s,
    wait_inbox,
    wait_processed,
)

pytestmark = pytest.mark.interop

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"


def later(days: float) -> str:
    when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)
    return when.isoformat(timespec="seconds")


def http_verified(rec: dict[str, Any]) -> None:
    """Fedify authenticated this activity by its HTTP signature (we send no LD signature
    and no integrity proof, so nothing else could have verified it)."""
    v = rec["verification"]
    assert v["activityVerified"] is True, v
    assert v["httpSignatureVerified"] is True, v
    assert v["verifiedBy"] == "http-signature", v
    assert "signature" not in rec["raw"] and "proof" not in rec["raw"]


# -- discovery and follow -------------------------------------------------------------------


async def test_fedify_finds_our_community_by_webfinger_and_url_then_follows_it(
    instance_factory: Any, fedify: FedifyPeer
) -> None:
    inst = await instance_factory()
    lilas = await inst.community("les-lilas", "Résidence Les Lilas")
    handle = inst.handle("les-lilas")

    # Fedify's WebFinger client forces https, so we do its WebFinger step here, with its
    # rules (rel=self, an ActivityStreams media type), and hand it the link it would follow.
    async with inst.http() as c:
        r = await c.get("/.well-known/webfinger", params={"resource": handle})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/jrd+json")
        jrd = r.json()
        back = await c.get("/.well-known/webfinger", params={"resource": lilas})
    assert jrd["subject"] == handle
    selves = [
        link
        for link in jrd["links"]
        if link.get("rel") == "self"
        and link.get("type")
        in (AS2, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"')
    ]
    assert len(selves) == 1, jrd
    href = selves[0]["href"]
    assert back.status_code == 200 and back.json()["subject"] == handle

    actor = await fedify.lookup(href)
    assert actor["id"] == href == lilas
    assert actor["type"] == "Group"
    assert actor["preferredUsername"] == "les-lilas"
    assert actor["name"] == "Résidence Les Lilas"
    assert actor["inbox"] == lilas + "/inbox"
    assert actor["sharedInbox"] == inst.base_url + "/inbox"
    assert actor["publicKey"] == {
        "id": lilas + "#main-key",
        "owner": lilas,
        "algorithm": "RSASSA-PKCS1-v1_5",
    }

    follow = await fedify.call("follow", {"actor": href})
    assert follow["ok"], follow
    [delivery] = follow["deliveries"]
    assert delivery["inbox"] == lilas + "/inbox" and delivery["status"] == 202
    assert (await wait_processed(inst, follow["followId"]))["state"] == "done"

    accept = await fedify.wait_received(type="Accept", actor=lilas)
    assert accept["objectType"] == "Follow"
    assert accept["objectId"] == follow["followId"]
    http_verified(accept)
    [following] = await fedify.get("following")
    assert following["state"] == "accepted" and following["matchedBy"] == "follow-id"

    row = await follow_store.get(inst.rt.store, fedify.actor, lilas)
    assert row is not None and row.state == "accepted"
    assert row.activity_uri == follow["followId"]

    # And the other way: our WebFinger client (http on loopback) resolves Fedify's handle.
    assert await resolve_handle(inst.rt, fedify.handle) == fedify.actor


async def test_fedify_reads_our_fep521a_ed25519_key(
    instance_factory: Any, fedify: FedifyPeer
) -> None:
    inst = await instance_factory()
    lilas = await inst.community("les-lilas", "Résidence Les Lilas")
    doc = (await inst.get_json(lilas)).json()
    assert doc["assertionMethod"][0]["id"] == lilas + "#ed25519-key"  # we do publish it
    actor = await fedify.lookup(lilas)
    assert {"id": lilas + "#ed25519-key", "controller": lilas, "algorithm": "Ed25519"} in actor[
        "assertionMethods"
    ]


# -- our posts, as Fedify parses them ----------------------------------------------------------


async def test_community_post_reaches_fedify_with_a_verified_http_signature(
    followed: Scene,
) -> None:
    inst, fedify, lilas = followed.inst, followed.fedify, followed.community
    note = await c2s(
        inst,
        "les-lilas",
        followed.token,
        {
            "type": "Note",
            "content": "<p>Réunion des résidents jeudi 19h.</p>",
            "to": [PUBLIC],
            "cc": [lilas + "/followers"],
        },
    )
    rec = await fedify.wait_received(id=note["id"])
    assert rec["type"] == "Create" and rec["actor"] == lilas
    assert rec["objectType"] == "Note" and rec["objectError"] is None
    assert rec["objectId"] == note["object"]["id"]
    assert rec["object"]["content"] == "<p>Réunion des résidents jeudi 19h.</p>"
    assert rec["inbox"] == "/inbox"  # followers are reached through Fedify's shared inbox
    http_verified(rec)
    assert rec["httpSignature"]["keyId"] == lilas + "#main-key"


def _example(path: str) -> dict[str, Any]:
    """A schemas/examples document made into a C2S body for the community (server-owned
    fields dropped, dates moved to the future, addressed to the public and followers)."""
    doc: dict[str, Any] = json.loads((EXAMPLES / path).read_text())
    for key in ("@context", "id", "attributedTo", "audience", "published", "url"):
        doc.pop(key, None)
    if isinstance(doc.get("publishes"), dict):
        doc["publishes"].pop("id", None)
    for key, days in (("startTime", 2), ("endTime", 3)):
        if key in doc:
            doc[key] = later(days)
    for option in doc.get("oneOf", []) + doc.get("anyOf", []):
        option.pop("replies", None)  # vote totals belong to the server
    doc.pop("votersCount", None)
    return doc


KINDS = {
    "event": ("event/valid-fete-des-voisins.json", {"Event"}),
    "offer": ("proposal/valid-offer-pret-perceuse.json", {"Note"}),
    "request": ("proposal/valid-request-aide-courses.json", {"Note"}),
    "alert": ("alert/valid-coupure-eau.json", {"Note"}),
    "news": ("news/valid-article-ravalement.json", {"Article", "Note"}),
    "poll": ("poll/valid-samedi-vide-grenier.json", {"Question"}),
}


@pytest.mark.parametrize("kind", list(KINDS))
async def test_each_vocabulary_kind_reaches_fedify_as_its_class(followed: Scene, kind: str) -> None:
    inst, fedify, lilas = followed.inst, followed.fedify, followed.community
    path, classes = KINDS[kind]
    body = _example(path)
    body.update(to=[PUBLIC], cc=[lilas + "/followers"])
    created = await c2s(inst, "les-lilas", followed.token, body)
    oid = created["object"]["id"]

    rec = await fedify.wait_received(id=created["id"])
    assert rec["objectType"] in classes, (kind, rec["objectType"], rec["objectError"])
    assert rec["objectId"] == oid
    http_verified(rec)
    parsed = rec["object"]
    if "name" in body:
        assert parsed["name"] == body["name"]
    if kind == "event":
        assert parsed["startTime"] and parsed["endTime"] and parsed["location"]["type"] == "Place"
    if kind == "poll":
        assert [o["name"] for o in parsed["oneOf"]] == [o["name"] for o in body["oneOf"]]

    # Fedify also dereferences the object at its id and gets the same class.
    looked = await fedify.lookup_object(oid)
    assert looked["id"] == oid and looked["type"] == rec["objectType"]


# -- Fedify acting on our objects --------------------------------------------------------------


async def _event(scene: Scene) -> str:
    created = await c2s(
        scene.inst,
        "les-lilas",
        scene.token,
        {
            "type": "Event",
            "name": "Fête des voisins",
            "content": "<p>Apportez un plat.</p>",
            "startTime": later(2),
            "endTime": later(2.2),
            "to": [PUBLIC],
            "cc": [scene.community + "/followers"],
        },
    )
    await scene.fedify.wait_received(id=created["id"])
    oid: str = created["object"]["id"]
    return oid


async def test_fedify_reply_to_our_event_is_stored_and_threaded(followed: Scene) -> None:
    inst, fedify, lilas = followed.inst, followed.fedify, followed.community
    event = await _event(followed)
    reply = await fedify.call(
        "post",
        {"content": "<p>Je viens avec une tarte !</p>", "inReplyTo": event, "mentions": [lilas]},
    )
    assert reply["ok"], reply
    assert [d["status"] for d in reply["deliveries"]] == [202]
    assert (await wait_processed(inst, reply["createId"]))["state"] == "done"

    [stored] = await activity_store.replies(inst.rt.store, event)
    assert stored.uri == reply["noteId"]
    assert stored.in_reply_to == event and stored.attributed_to == fedify.actor

    item = await wait_inbox(
        inst, "les-lilas", followed.token, lambda i: i["id"] == reply["createId"]
    )
    assert item["object"]["inReplyTo"] == event
    tags = item["object"]["tag"]  # Fedify sends a single tag as a scalar
    mentions = [t for t in (tags if isinstance(tags, list) else [tags]) if t["type"] == "Mention"]
    assert [m["href"] for m in mentions] == [lilas]


async def test_fedify_vote_in_our_poll_is_counted(followed: Scene) -> None:
    inst, fedify, lilas = followed.inst, followed.fedify, followed.community
    created = await c2s(
        inst,
        "les-lilas",
        followed.token,
        {
            "type": "Question",
            "content": "<p>Quel samedi pour le vide-grenier ?</p>",
            "oneOf": [{"type": "Note", "name": "14 juin"}, {"type": "Note", "name": "21 juin"}],
            "endTime": later(3),
            "to": [PUBLIC],
            "cc": [lilas + "/followers"],
        },
    )
    poll = created["object"]["id"]
    vote = await fedify.call("vote", {"question": poll, "choice": "14 juin"})
    assert vote["ok"] and vote["deliveries"][0]["inbox"] == lilas + "/inbox"
    assert (await wait_processed(inst, vote["createId"]))["state"] == "done"

    async def counted() -> dict[str, Any] | None:
        doc: dict[str, Any] = (await inst.get_json(poll)).json()
        totals = {o["name"]: o.get("replies", {}).get("totalItems") for o in doc["oneOf"]}
        return doc if totals == {"14 juin": 1, "21 juin": 0} else None

    doc = await wait_for(counted, timeout=3)
    assert doc["votersCount"] == 1


async def test_fedify_joins_and_leaves_our_event(followed: Scene) -> None:
    inst, fedify, lilas = followed.inst, followed.fedify, followed.community
    event = await _event(followed)
    join = await fedify.call("join", {"event": event})
    assert join["ok"] and join["deliveries"][0]["status"] == 202
    assert (await wait_processed(inst, join["joinId"]))["state"] == "done"

    accept = await fedify.wait_received(type="Accept", objectType="Join", timeout=3)
    assert accept["objectId"] == join["joinId"] and accept["actor"] == lilas
    http_verified(accept)
    assert (await inst.get_json(event)).json()["participantCount"] == 1

    leave = await fedify.call("leave", {"event": event})
    assert leave["ok"] and leave["deliveries"][0]["status"] == 202
    assert (await wait_processed(inst, leave["leaveId"]))["state"] == "done"
    assert (await inst.get_json(event)).json()["participantCount"] == 0


# -- the community as a FEP-1b12 group ----------------------------------------------------------


async def _member_post(scene: Scene) -> dict[str, Any]:
    """Fedify (a member: following an open community joins it) posts to the community."""
    post = await scene.fedify.call(
        "post", {"content": "<p>Qui a un escabeau ?</p>", "mentions": [scene.community]}
    )
    assert post["ok"], post
    assert (await wait_processed(scene.inst, post["createId"]))["state"] == "done"
    return post


async def test_community_boosts_a_member_post_to_fedify(followed: Scene) -> None:
    post = await _member_post(followed)
    boost = await followed.fedify.wait_received(type="Announce", actor=followed.community)
    assert boost["objectId"] == post["noteId"] and boost["objectType"] == "Note"
    http_verified(boost)


async def test_community_boost_reaches_a_follower_member_once(followed: Scene) -> None:
    post = await _member_post(followed)
    await followed.fedify.wait_received(type="Announce", actor=followed.community)
    boosts = await followed.fedify.received(wait=1.5, min=2, type="Announce")
    assert [b["objectId"] for b in boosts] == [post["noteId"]], boosts


async def test_community_does_not_rebroadcast_a_private_vote(followed: Scene) -> None:
    inst, fedify, lilas = followed.inst, followed.fedify, followed.community
    created = await c2s(
        inst,
        "les-lilas",
        followed.token,
        {
            "type": "Question",
            "content": "<p>Quel jour ?</p>",
            "oneOf": [{"type": "Note", "name": "samedi"}, {"type": "Note", "name": "dimanche"}],
            "endTime": later(3),
            "to": [PUBLIC],
            "cc": [lilas + "/followers"],
        },
    )
    await fedify.wait_received(id=created["id"])
    vote = await fedify.call("vote", {"question": created["object"]["id"], "choice": "samedi"})
    assert (await wait_processed(inst, vote["createId"]))["state"] == "done"
    assert await fedify.received(wait=1.5, type="Announce") == []


# -- a resident and the Fedify actor -----------------------------------------------------------


async def _resident_follows_fedify(
    inst: Any, fedify: FedifyPeer
) -> tuple[str, str, dict[str, Any]]:
    bob = await inst.person("bob")
    token = await inst.token("bob")
    follow = await c2s(inst, "bob", token, {"type": "Follow", "object": fedify.actor})
    got = await fedify.wait_received(type="Follow", actor=bob)
    assert got["objectId"] == fedify.actor
    http_verified(got)
    await wait_inbox(inst, "bob", token, lambda i: i["type"] == "Accept")
    row = await follow_store.get(inst.rt.store, bob, fedify.actor)
    assert row is not None and row.state == "accepted"
    return bob, token, follow


async def test_resident_follows_fedify_actor_and_gets_its_posts_in_inbox(
    instance_factory: Any, fedify: FedifyPeer
) -> None:
    inst = await instance_factory()
    bob, token, _ = await _resident_follows_fedify(inst, fedify)
    assert [f["actor"] for f in await fedify.get("followers")] == [bob]

    post = await fedify.call("post", {"content": "<p>Hello, followers!</p>"})  # public + followers
    assert post["ok"], post
    [delivery] = post["deliveries"]
    assert delivery["inbox"] == inst.base_url + "/inbox" and delivery["status"] == 202
    item = await wait_inbox(inst, "bob", token, lambda i: i["id"] == post["createId"])
    assert item["type"] == "Create" and item["actor"] == fedify.actor
    assert item["object"]["id"] == post["noteId"]
    assert item["object"]["content"] == "<p>Hello, followers!</p>"
    assert (await wait_processed(inst, post["createId"]))["state"] == "done"


# -- Undo, Update, Delete in both directions -------------------------------------------------------


async def test_undo_follow_in_both_directions(followed: Scene) -> None:
    inst, fedify, lilas = followed.inst, followed.fedify, followed.community
    # Fedify → fedivoisin
    undo = await fedify.call("unfollow", {"actor": lilas})
    assert undo["ok"] and undo["deliveries"][0]["status"] == 202
    assert (await wait_processed(inst, undo["undoId"]))["state"] == "done"
    assert await follow_store.get(inst.rt.store, fedify.actor, lilas) is None

    # fedivoisin → Fedify
    bob, token, follow = await _resident_follows_fedify(inst, fedify)
    await c2s(inst, "bob", token, {"type": "Undo", "object": follow["id"]})
    got = await fedify.wait_received(type="Undo", actor=bob)
    assert got["objectType"] == "Follow" and got["objectId"] == follow["id"]
    assert got["handling"] == f"removed follower {bob}"
    http_verified(got)
    assert await fedify.get("followers") == []
    assert await follow_store.get(inst.rt.store, bob, fedify.actor) is None


async def test_profile_update_in_both_directions(followed: Scene) -> None:
    inst, fedify, lilas = followed.inst, followed.fedify, followed.community
    # fedivoisin → Fedify
    await c2s(
        inst,
        "les-lilas",
        followed.token,
        {"type": "Update", "object": {"id": lilas, "name": "Les Lilas (B)"}},
    )
    got = await fedify.wait_received(type="Update", actor=lilas)
    assert got["objectType"] == "Group" and got["object"]["name"] == "Les Lilas (B)"
    http_verified(got)
    # Fedify's plain lookup serves its ~5 min document cache; a signed lookup refetches.
    assert (await fedify.lookup(lilas, signed=True))["name"] == "Les Lilas (B)"

    # Fedify → fedivoisin: our remote-actor cache is refreshed
    before = await remote_store.get(inst.rt.store, fedify.actor)
    assert before is not None and before.name == "Alice (Fedify peer)"
    update = await fedify.call("update-profile", {"name": "Alice Renommée", "to": [lilas]})
    assert update["ok"] and update["deliveries"][0]["status"] == 202
    assert (await wait_processed(inst, update["updateId"]))["state"] == "done"
    after = await remote_store.get(inst.rt.store, fedify.actor)
    assert after is not None and after.name == "Alice Renommée"


async def test_post_deletion_in_both_directions(followed: Scene) -> None:
    inst, fedify, lilas = followed.inst, followed.fedify, followed.community
    # fedivoisin → Fedify
    created = await c2s(
        inst,
        "les-lilas",
        followed.token,
        {"type": "Note", "content": "<p>Oups</p>", "to": [PUBLIC], "cc": [lilas + "/followers"]},
    )
    note = created["object"]["id"]
    await fedify.wait_received(id=created["id"])
    deleted = await c2s(inst, "les-lilas", followed.token, {"type": "Delete", "object": note})
    got = await fedify.wait_received(id=deleted["id"])
    assert got["type"] == "Delete" and got["objectId"] == note and got["objectType"] == "Tombstone"
    http_verified(got)
    assert (await inst.get_json(note)).status_code == 410
    gone = await fedify.call("lookup-object", {"url": note, "signed": True}, expect=(502,))
    assert gone["fetches"] and gone["fetches"][0]["status"] == 410, gone

    # Fedify → fedivoisin
    post = await fedify.call("post", {"content": "<p>Bientôt effacé</p>", "mentions": [lilas]})
    assert (await wait_processed(inst, post["createId"]))["state"] == "done"
    stored = await activity_store.get_object(inst.rt.store, post["noteId"])
    assert stored is not None and stored.deleted is None
    removal = await fedify.call("delete", {"object": post["noteId"], "to": [lilas]})
    assert removal["ok"] and removal["deliveries"][0]["status"] == 202
    assert (await wait_processed(inst, removal["deleteId"]))["state"] == "done"
    stored = await activity_store.get_object(inst.rt.store, post["noteId"])
    assert stored is not None and stored.deleted is not None


async def test_fedify_actor_deletion_reaches_fedivoisin(
    instance_factory: Any, fedify_factory: Any
) -> None:
    fedify = fedify_factory()  # delete-actor is final: a peer of its own
    inst = await instance_factory()
    lilas = await inst.community("les-lilas", "Résidence Les Lilas")
    bob, _, _ = await _resident_follows_fedify(inst, fedify)
    await fedify.call("follow", {"actor": lilas})
    await fedify.wait_received(type="Accept", actor=lilas)
    assert await follow_store.get(inst.rt.store, fedify.actor, lilas) is not None

    deletion = await fedify.call("delete-actor", {})
    assert deletion["ok"], deletion
    assert {d["status"] for d in deletion["deliveries"]} == {202}
    assert (await wait_processed(inst, deletion["deleteId"]))["state"] == "done"
    assert (await inst.get_json(fedify.actor)).status_code == 410  # Fedify serves a Tombstone
    assert await remote_store.get(inst.rt.store, fedify.actor) is None
    assert await follow_store.get(inst.rt.store, bob, fedify.actor) is None
    assert await follow_store.get(inst.rt.store, fedify.actor, lilas) is None


async def test_fedivoisin_actor_deletion_reaches_fedify(followed: Scene) -> None:
    inst, fedify, lilas = followed.inst, followed.fedify, followed.community
    deleted = await c2s(inst, "les-lilas", followed.token, {"type": "Delete", "object": lilas})
    got = await fedify.wait_received(id=deleted["id"])
    assert got["objectId"] == lilas
    assert got["handling"].startswith("actor deleted")
    assert (await inst.get_json(lilas)).status_code == 410
