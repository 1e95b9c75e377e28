"""bovine-herd (PyPI, a Python ActivityPub server that processes every document as JSON-LD
with pyld) as the second independent peer: lookup, follow and Accept both ways, a community
post received and parsed, reply, Undo, Update, Delete — with HTTP signatures verified both
ways (bovine's inbox answers 401 unless the signature verified and records the key owner as
the submitter; our inbox refuses any unsigned or unverified POST).

What bovine cannot do is listed in docs/federation.md ("Against bovine-herd 0.5.19").
"""

from __future__ import annotations

from typing import Any

import pytest

from fedivoisin.net import client as http_client
from fedivoisin.protocol.urls import INSTANCE_SLUG
from fedivoisin.remote import get_actor, http, resolve_handle
from fedivoisin.store import activities as activity_store
from fedivoisin.store import follows as follow_store
from fedivoisin.store import remote_actors as remote_store
from tests.rig import wait_for

from .bovine import BovinePeer
from .fedify import PUBLIC, c2s, wait_inbox, wait_processed

pytestmark = pytest.mark.interop

AS_NS = "https://www.w3.org/ns/activitystreams"
OURS = {"draft-cavage": "cavage", "rfc9421": "rfc9421"}


async def signed_by(inst: Any, activity_id: str, actor: str) -> None:
    """Our inbox accepted `activity_id` with an HTTP signature it verified as made by
    `actor`'s key (the queue row keeps the verified signer) and the worker handled it."""
    row = await inst.rt.store.fetchone(
        "SELECT signer, actor_uri, state, error FROM received WHERE activity_uri = ?",
        (activity_id,),
    )
    assert row is not None, activity_id
    assert row["signer"] == row["actor_uri"] == actor, dict(row)
    assert row["state"] == "done" and row["error"] is None, dict(row)


# -- lookup ---------------------------------------------------------------------------------


async def test_bovine_reads_a_community_a_person_and_the_instance_actor(
    instance_factory: Any, bovine: BovinePeer
) -> None:
    inst = await instance_factory()
    lilas = await inst.community("les-lilas", "Résidence Les Lilas")
    bob = await inst.person("bob", name="Bob Martin")
    instance_actor = inst.urls.actor(INSTANCE_SLUG)

    # WebFinger first (bovine's client, over http on loopback), then the signed actor fetch
    # and bovine's JSON-LD flatten/compact into its store.
    found = await bovine.lookup(inst.handle("les-lilas"))
    assert found["url"] == lilas
    group = found["stored"]
    assert group["id"] == lilas and group["type"] == "Group"
    assert group["name"] == "Résidence Les Lilas" and group["inbox"] == lilas + "/inbox"
    # bovine splits embedded objects with an id into their own records: the key is one.
    assert group["publicKey"] == lilas + "#main-key"
    key = await bovine.stored(lilas + "#main-key")
    assert key is not None and key["owner"] == lilas, key
    assert "BEGIN PUBLIC KEY" in key["publicKeyPem"]

    person = (await bovine.lookup(bob))["stored"]
    assert person["type"] == "Person" and person["name"] == "Bob Martin"
    assert person["outbox"] == bob + "/outbox"

    app = (await bovine.lookup(instance_actor))["stored"]
    assert app["type"] == "Application" and app["publicKey"] == instance_actor + "#main-key"
    # The JSON-LD processing ran (assertionMethod, a did:v1 term, came out as references).
    assert group["assertionMethod"] == [lilas + "#ed25519-key"]


async def test_we_read_bovines_actor_by_webfinger_and_fetch(
    instance_factory: Any, bovine: BovinePeer
) -> None:
    inst = await instance_factory()
    assert await resolve_handle(inst.rt, bovine.handle) == bovine.actor
    # bovine answers an actor GET only when signed (authorized fetch): ours is.
    async with inst.http() as c:
        assert (
            await c.get(bovine.actor, headers={"Accept": "application/activity+json"})
        ).status_code == 401
    remote = await get_actor(inst.rt, bovine.actor)
    assert remote.uri == bovine.actor and remote.inbox == (await bovine.health())["inbox"]
    assert remote.name == "Milk Drinker"


# -- follow and Accept both ways --------------------------------------------------------------


async def _bovine_follows(inst: Any, bovine: BovinePeer, target: str) -> str:
    """bovine's actor follows `target` (its client POSTs a Follow to its outbox); our Accept
    comes back and bovine adds `target` to its following collection."""
    follow = await bovine.send(
        {
            "@context": AS_NS,
            "type": "Follow",
            "actor": bovine.actor,
            "object": target,
            "to": [target],
        }
    )
    assert (await wait_processed(inst, follow))["state"] == "done"
    await signed_by(inst, follow, bovine.actor)
    accept = await bovine.wait_received(type="Accept", actor=target)
    assert accept["signer"] == target  # bovine verified our signature: the key's owner
    accepted = accept["activity"]["object"]
    assert (accepted["id"] if isinstance(accepted, dict) else accepted) == follow

    async def following() -> bool:
        return target in await bovine.collection("following")

    await wait_for(following)
    return follow


@pytest.mark.parametrize("scheme", ["draft-cavage", "rfc9421"])
async def test_bovine_follows_our_community_and_gets_our_accept(
    instance_factory: Any, bovine: BovinePeer, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    """bovine verifies our draft-cavage signature. Its RFC 9421 verifier knows `@method`,
    `@path` and `@authority` but not `@target-uri`, which we (like Fedify) sign, so it
    answers 401 to an RFC 9421 first knock and our second knock in draft-cavage gets in;
    we then remember draft-cavage for its host."""
    monkeypatch.setattr(http_client, "DEFAULT_SCHEME", OURS[scheme])
    inst = await instance_factory()
    lilas = await inst.community("les-lilas", "Résidence Les Lilas")
    follow = await _bovine_follows(inst, bovine, lilas)
    accept = await bovine.wait_received(type="Accept", actor=lilas)
    assert accept["scheme"] == "draft-cavage"
    assert http(inst.rt).preferred_scheme("127.0.0.1") == "cavage"
    row = await follow_store.get(inst.rt.store, bovine.actor, lilas)
    assert row is not None and row.state == "accepted" and row.activity_uri == follow
    cached = await remote_store.get(inst.rt.store, bovine.actor)
    assert cached is not None and cached.name == "Milk Drinker"


async def _resident_follows_bovine(inst: Any, bovine: BovinePeer) -> tuple[str, str, str]:
    """bob follows bovine's actor; bovine (which never accepts by itself: that is its
    client's job) accepts through its outbox, and adds bob to its followers."""
    bob = await inst.person("bob")
    token = await inst.token("bob")
    follow = (await c2s(inst, "bob", token, {"type": "Follow", "object": bovine.actor}))["id"]
    got = await bovine.wait_received(type="Follow", actor=bob)
    assert got["signer"] == bob and got["activity"]["id"] == follow
    accept = await bovine.send(
        {"@context": AS_NS, "type": "Accept", "actor": bovine.actor, "object": follow, "to": [bob]}
    )
    await wait_inbox(inst, "bob", token, lambda i: i["type"] == "Accept")
    assert (await wait_processed(inst, accept))["state"] == "done"
    await signed_by(inst, accept, bovine.actor)
    row = await follow_store.get(inst.rt.store, bob, bovine.actor)
    assert row is not None and row.state == "accepted"
    assert bob in await bovine.collection("followers")
    return bob, token, follow


async def test_resident_follows_bovine_and_bovine_accepts(
    instance_factory: Any, bovine: BovinePeer
) -> None:
    inst = await instance_factory()
    await _resident_follows_bovine(inst, bovine)


# -- posts, replies, Update, Delete --------------------------------------------------------------


@pytest.mark.integrity_proofs  # our default: bovine reads documents carrying FEP-8b32 proofs
async def test_community_post_reply_update_and_delete_with_bovine(
    instance_factory: Any, bovine: BovinePeer
) -> None:
    inst = await instance_factory()
    lilas = await inst.community("les-lilas", "Résidence Les Lilas")
    token = await inst.token("les-lilas")
    await _bovine_follows(inst, bovine, lilas)

    # Our community's post reaches bovine, which parses (JSON-LD) and stores it.
    created = await c2s(
        inst,
        "les-lilas",
        token,
        {
            "type": "Note",
            "content": "<p>Réunion des résidents jeudi 19h.</p>",
            "to": [PUBLIC],
            "cc": [lilas + "/followers"],
        },
    )
    note = created["object"]["id"]
    rec = await bovine.wait_received(id=created["id"])
    assert rec["signer"] == lilas and rec["activity"]["type"] == "Create"
    stored = await bovine.wait_stored(note)
    assert stored["type"] == "Note" and stored["attributedTo"] == lilas
    assert stored["content"] == "<p>Réunion des résidents jeudi 19h.</p>"

    # bovine replies; we store the reply threaded under our note.
    reply = await bovine.send(
        {
            "@context": AS_NS,
            "type": "Create",
            "actor": bovine.actor,
            "to": [lilas],
            "cc": [PUBLIC],
            "object": {
                "type": "Note",
                "attributedTo": bovine.actor,
                "inReplyTo": note,
                "content": "J'y serai.",
                "to": [lilas],
                "cc": [PUBLIC],
            },
        }
    )
    assert (await wait_processed(inst, reply))["state"] == "done"
    await signed_by(inst, reply, bovine.actor)
    recorded = await activity_store.get_activity(inst.rt.store, reply)
    assert recorded is not None
    reply_note = await bovine.stored(reply)
    assert reply_note is not None
    reply_id = (
        reply_note["object"]
        if isinstance(reply_note["object"], str)
        else reply_note["object"]["id"]
    )
    ours = await activity_store.get_object(inst.rt.store, reply_id)
    assert ours is not None and ours.in_reply_to == note and ours.attributed_to == bovine.actor

    # bovine edits its reply; we update our copy.
    update = await bovine.send(
        {
            "@context": AS_NS,
            "type": "Update",
            "actor": bovine.actor,
            "to": [lilas],
            "cc": [PUBLIC],
            "object": {
                "id": reply_id,
                "type": "Note",
                "attributedTo": bovine.actor,
                "inReplyTo": note,
                "content": "J'y serai, avec des chaises.",
                "to": [lilas],
                "cc": [PUBLIC],
            },
        }
    )
    assert (await wait_processed(inst, update))["state"] == "done"
    await signed_by(inst, update, bovine.actor)
    ours = await activity_store.get_object(inst.rt.store, reply_id)
    assert ours is not None and "avec des chaises" in ours.document["content"]

    # bovine deletes its reply; we keep a tombstone.
    delete = await bovine.send(
        {
            "@context": AS_NS,
            "type": "Delete",
            "actor": bovine.actor,
            "object": reply_id,
            "to": [lilas],
            "cc": [PUBLIC],
        }
    )
    assert (await wait_processed(inst, delete))["state"] == "done"
    await signed_by(inst, delete, bovine.actor)
    ours = await activity_store.get_object(inst.rt.store, reply_id)
    assert ours is not None and ours.deleted is not None

    # We edit, then delete, our note: bovine updates, then tombstones, its stored copy.
    edited = await c2s(
        inst,
        "les-lilas",
        token,
        {"type": "Update", "object": {**created["object"], "content": "<p>Réunion jeudi 20h.</p>"}},
    )
    rec = await bovine.wait_received(id=edited["id"])
    assert rec["signer"] == lilas
    await bovine.wait_stored(note, lambda o: o.get("content") == "<p>Réunion jeudi 20h.</p>")
    deleted = await c2s(inst, "les-lilas", token, {"type": "Delete", "object": note})
    rec = await bovine.wait_received(id=deleted["id"])
    assert rec["signer"] == lilas
    await bovine.wait_stored(note, lambda o: o.get("type") == "Tombstone")


# -- Undo both ways ----------------------------------------------------------------------------


async def test_undo_follow_in_both_directions_with_bovine(
    instance_factory: Any, bovine: BovinePeer
) -> None:
    inst = await instance_factory()
    lilas = await inst.community("les-lilas", "Résidence Les Lilas")
    follow = await _bovine_follows(inst, bovine, lilas)
    # bovine → us
    undo = await bovine.send(
        {"@context": AS_NS, "type": "Undo", "actor": bovine.actor, "object": follow, "to": [lilas]}
    )
    assert (await wait_processed(inst, undo))["state"] == "done"
    await signed_by(inst, undo, bovine.actor)
    assert await follow_store.get(inst.rt.store, bovine.actor, lilas) is None
    assert lilas not in await bovine.collection("following")

    # us → bovine
    bob, token, bob_follow = await _resident_follows_bovine(inst, bovine)
    undone = await c2s(inst, "bob", token, {"type": "Undo", "object": bob_follow})
    rec = await bovine.wait_received(id=undone["id"])
    assert rec["signer"] == bob
    assert bob not in await bovine.collection("followers")
    assert await follow_store.get(inst.rt.store, bob, bovine.actor) is None


# -- profile Update both ways --------------------------------------------------------------


async def test_profile_update_in_both_directions_with_bovine(
    instance_factory: Any, bovine: BovinePeer
) -> None:
    inst = await instance_factory()
    lilas = await inst.community("les-lilas", "Résidence Les Lilas")
    token = await inst.token("les-lilas")
    await _bovine_follows(inst, bovine, lilas)

    # us → bovine: our Update(Group) replaces the copy bovine stored when it followed.
    update = await c2s(
        inst,
        "les-lilas",
        token,
        {"type": "Update", "object": {"id": lilas, "name": "Les Lilas (B)"}},
    )
    rec = await bovine.wait_received(id=update["id"])
    assert rec["signer"] == lilas
    await bovine.wait_stored(lilas, lambda o: o.get("name") == "Les Lilas (B)")

    # bovine → us: bovine's client updates its profile through its outbox; bovine sends the
    # Update to its followers (a resident here) and we refresh our copy of its actor.
    await _resident_follows_bovine(inst, bovine)
    profile = {"id": bovine.actor, "type": "Person", "name": "Milk Drinker (renamed)"}
    try:
        sent = await bovine.send(
            {"@context": AS_NS, "type": "Update", "actor": bovine.actor, "object": profile}
        )
        assert (await wait_processed(inst, sent))["state"] == "done"
        await signed_by(inst, sent, bovine.actor)
        cached = await remote_store.get(inst.rt.store, bovine.actor)
        assert cached is not None and cached.name == "Milk Drinker (renamed)"
    finally:  # the module's other tests read bovine's actor under its first name
        await bovine.send(
            {
                "@context": AS_NS,
                "type": "Update",
                "actor": bovine.actor,
                "object": {**profile, "name": "Milk Drinker"},
            }
        )
