"""Origin, impersonation and ownership rules (SECURITY.md 1, 2, 5, 6): each test makes a
signed, otherwise valid request that tries to pass off or overwrite someone else's data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.rig import Instance

from .conftest import (
    assert_nothing_stored,
    assert_problem,
    c2s,
    inbox_listing,
    processed,
    query,
    snapshot,
)
from .fakes import PUBLIC, FakeActor, FakeRemote, post_signed

FORGED = "<p>FORGED by eve</p>"


def objects(inst: Instance) -> dict[str, tuple[Any, ...]]:
    rows = query(inst, "SELECT uri, attributed_to, public, deleted, document FROM objects")
    return {r["uri"]: tuple(r) for r in rows}


async def _resident(inst: Instance, slug: str = "alice") -> tuple[str, str]:
    uri = await inst.person(slug)
    return uri, await inst.token(slug)


async def test_cve_2024_23832_embedded_object_from_other_origin_is_refetched(
    target: Instance,
    private: bool,
    remote: FakeRemote,
    remote2: FakeRemote,
    make_known: Callable[[FakeActor], Any],
) -> None:
    """Rule 1: Eve embeds, in her own signed Create, a Note whose id lives on another
    origin. The copy is not trusted: the note is fetched from its own id (which says it is
    Carol's), so nothing is stored under Eve's word and the forged text reaches no one."""
    alice, token = await _resident(target)
    eve = remote.add_actor("eve")
    carol = remote2.add_actor("carol")
    await make_known(eve)
    genuine = carol.note("<p>genuine</p>")
    remote2.serve(genuine["id"], genuine)
    forged = {**genuine, "attributedTo": eve.uri, "content": FORGED, "to": [alice]}
    create = eve.activity("Create", forged, to=[alice])

    resp = await post_signed(target.base_url, "/inbox", eve, create)
    assert resp.status_code == 202, resp.text
    await processed(target)

    assert objects(target) == {}
    if private:  # it was refetched from its origin, which does not vouch for Eve
        assert remote2.got("GET", genuine["id"])
    else:  # the origin is unreachable: nothing is trusted instead
        assert remote2.requests == []
    assert FORGED not in str(await inbox_listing(target, "alice", token))


async def test_cve_2024_23832_embedded_object_on_senders_origin_is_stored(
    target: Instance, remote: FakeRemote, make_known: Callable[[FakeActor], Any]
) -> None:
    """Positive control for the test above: same origin as the signer, so it is kept."""
    alice, token = await _resident(target)
    eve = remote.add_actor("eve")
    await make_known(eve)
    note = eve.note("<p>mine</p>", to=[alice])
    resp = await post_signed(
        target.base_url, "/inbox", eve, eve.activity("Create", note, to=[alice])
    )
    assert resp.status_code == 202
    await processed(target)
    assert list(objects(target)) == [note["id"]]
    assert "mine" in str(await inbox_listing(target, "alice", token))


@pytest.mark.parametrize("attacker_on", ["same-origin", "other-origin"])
async def test_cve_2024_23832_update_cannot_rewrite_another_actors_key_or_inbox(
    target: Instance,
    remote: FakeRemote,
    remote2: FakeRemote,
    make_known: Callable[[FakeActor], Any],
    attacker_on: str,
) -> None:
    """Rule 1: the stored actor (key, inbox) of Carol changes only from Carol's own origin.
    Eve's signed Update carrying a new document for Carol changes nothing, whether Eve is a
    neighbour on Carol's server or elsewhere."""
    lilas = await target.community("lilas")
    carol = remote.add_actor("carol")
    eve = (remote if attacker_on == "same-origin" else remote2).add_actor("eve")
    await make_known(eve)
    await make_known(carol)
    assert (
        await post_signed(target.base_url, "/inbox", carol, carol.activity("Follow", lilas))
    ).status_code == 202
    await processed(target)
    before = [
        tuple(r) for r in query(target, "SELECT * FROM remote_actors WHERE uri = ?", carol.uri)
    ]
    takeover = {
        **carol.document,
        "inbox": eve.inbox,
        "publicKey": {
            **carol.document["publicKey"],
            "publicKeyPem": eve.document["publicKey"]["publicKeyPem"],
        },
    }

    resp = await post_signed(target.base_url, "/inbox", eve, eve.activity("Update", takeover))
    assert resp.status_code == 202
    await processed(target)

    after = [
        tuple(r) for r in query(target, "SELECT * FROM remote_actors WHERE uri = ?", carol.uri)
    ]
    assert after == before
    follow = query(target, "SELECT inbox FROM follows WHERE follower = ?", carol.uri)
    assert follow[0]["inbox"] == carol.inbox


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "text/plain", "text/html", "application/ld+json", "image/png"],
)
async def test_cve_2024_25623_actor_served_with_wrong_content_type_is_not_a_key(
    instance_factory: Callable[..., Any], remote: FakeRemote, content_type: str
) -> None:
    """Rule 2: an actor document (e.g. an uploaded JSON file on the victim's domain) served
    as anything but AS2 JSON is not an actor, so its key signs nothing. See also
    tests/http/test_get.py::test_cve_2024_25623_content_type_checked (fetcher level)."""
    target: Instance = await instance_factory()  # the fetch must be possible: private on
    lilas = await target.community("lilas")
    bob = remote.add_actor("bob")
    bob.publish(content_type=content_type)
    resp = await post_signed(target.base_url, "/inbox", bob, bob.activity("Follow", lilas))
    assert_problem(resp, 401)
    assert remote.got("GET", bob.uri)  # it was fetched, and refused
    assert_nothing_stored(target)


async def test_cve_2024_25623_ld_json_with_the_as2_profile_is_accepted(
    instance_factory: Callable[..., Any], remote: FakeRemote
) -> None:
    """Positive control: the other media type ActivityPub allows."""
    target: Instance = await instance_factory()
    lilas = await target.community("lilas")
    bob = remote.add_actor("bob")
    bob.publish(content_type='application/ld+json; profile="https://www.w3.org/ns/activitystreams"')
    resp = await post_signed(target.base_url, "/inbox", bob, bob.activity("Follow", lilas))
    assert resp.status_code == 202, resp.text


async def test_cve_2024_25623_announced_object_with_wrong_content_type_is_not_stored(
    instance_factory: Callable[..., Any], remote: FakeRemote
) -> None:
    """Rule 2 on fetch-on-reference: an "uploaded" JSON note is not an object."""
    target: Instance = await instance_factory()
    await target.community("lilas")
    bob = remote.add_actor("bob")
    upload = bob.note(FORGED)
    remote.serve(upload["id"], upload, content_type="application/octet-stream")
    resp = await post_signed(
        target.base_url, "/inbox", bob, bob.activity("Announce", upload["id"], to=[PUBLIC])
    )
    assert resp.status_code == 202
    await processed(target)
    assert remote.got("GET", upload["id"])
    assert objects(target) == {}


async def _carols_private_note(
    target: Instance, remote: FakeRemote, make_known: Callable[[FakeActor], Any]
) -> tuple[str, str, FakeActor, FakeActor, dict[str, Any]]:
    """Carol (followed by Alice) posts a followers-only note; Eve is on Carol's server."""
    alice, token = await _resident(target)
    carol, eve = remote.add_actor("carol"), remote.add_actor("eve")
    await make_known(carol)
    await make_known(eve)
    note = carol.note("<p>for my followers</p>", to=[carol.followers, alice], cc=[])
    resp = await post_signed(
        target.base_url, "/inbox", carol, carol.activity("Create", note, to=[alice])
    )
    assert resp.status_code == 202
    await processed(target)
    assert objects(target)[note["id"]][1] == carol.uri
    return alice, token, carol, eve, note


async def test_cve_2024_37903_create_cannot_take_over_someone_elses_object(
    target: Instance, remote: FakeRemote, make_known: Callable[[FakeActor], Any]
) -> None:
    """Mastodon CVE-2024-37903 (rule 5): Eve re-Creates Carol's existing followers-only
    note under her own name and addressed to the public. The stored note keeps its owner,
    audience and text."""
    alice, token, carol, eve, note = await _carols_private_note(target, remote, make_known)
    before = objects(target)
    for claimed in (eve.uri, carol.uri):
        hijack = {**note, "attributedTo": claimed, "to": [PUBLIC], "content": FORGED}
        resp = await post_signed(
            target.base_url, "/inbox", eve, eve.activity("Create", hijack, to=[PUBLIC, alice])
        )
        assert resp.status_code == 202
    await processed(target)
    assert objects(target) == before
    assert FORGED not in str(await inbox_listing(target, "alice", token))


async def test_nodebb_attributedto_bound_to_sender(
    target: Instance, remote: FakeRemote, make_known: Callable[[FakeActor], Any]
) -> None:
    """NodeBB advisory (rule 5): on a multi-user host, a signature from the same origin is
    not enough. Eve cannot create a note in Carol's name, nor Update or Delete Carol's."""
    alice, token, carol, eve, note = await _carols_private_note(target, remote, make_known)
    before = objects(target)
    in_carols_name = carol.note(FORGED, to=[alice])
    attempts = [
        eve.activity("Create", in_carols_name, to=[alice]),
        eve.activity("Update", {**note, "content": FORGED}, to=[alice]),
        eve.activity("Update", {**note, "attributedTo": eve.uri, "content": FORGED}, to=[alice]),
        eve.activity("Delete", note["id"], to=[alice]),
        eve.activity("Delete", {"id": note["id"], "type": "Tombstone"}, to=[alice]),
    ]
    for activity in attempts:
        resp = await post_signed(target.base_url, "/inbox", eve, activity)
        assert resp.status_code == 202, resp.text
    await processed(target)
    assert objects(target) == before
    assert FORGED not in str(await inbox_listing(target, "alice", token))


@pytest.mark.parametrize("verb", ["Create", "Update", "Delete", "Announce"])
async def test_lemmy_4611_remote_cannot_overwrite_local_object(
    target: Instance, remote: FakeRemote, make_known: Callable[[FakeActor], Any], verb: str
) -> None:
    """Lemmy #4611 (rule 5): remote activities never touch objects whose id is ours, even
    when they claim the object as their own."""
    _alice, token = await _resident(target)
    published = await c2s(
        target, "alice", token, {"type": "Note", "content": "<p>local</p>", "to": [PUBLIC]}
    )
    local_id = published["object"]["id"]
    before = objects(target)
    eve = remote.add_actor("eve")
    await make_known(eve)
    forged = {"id": local_id, "type": "Note", "attributedTo": eve.uri, "content": FORGED}
    obj: Any = local_id if verb in ("Delete", "Announce") else forged
    resp = await post_signed(target.base_url, "/inbox", eve, eve.activity(verb, obj, to=[PUBLIC]))
    assert resp.status_code == 202
    await processed(target)
    assert objects(target) == before
    async with target.http() as client:
        got = await client.get(
            local_id.removeprefix(target.base_url), headers={"Accept": "application/activity+json"}
        )
    assert got.status_code == 200 and got.json()["content"] == "<p>local</p>"


def _id_variants(eve: FakeActor) -> dict[str, str]:
    host, port = eve.remote.host, eve.remote.port
    return {
        "other-port": f"http://{host}:{port + 1}/activities/1",
        "other-scheme": f"https://{host}:{port}/activities/1",
        "userinfo": f"http://eve@{host}:{port}/activities/1",
        "userinfo-posing-as-host": f"http://{host}:{port}@127.0.0.2:{port}/activities/1",
        "backslash": f"http://{host}:{port}\\@127.0.0.2/activities/1",
        "other-host": f"http://127.0.0.2:{port}/activities/1",
        "no-host": "http:///activities/1",
        "not-a-url": "urn:uuid:6a1e6e9e-8f1e-4c43-9c55-01ab6b8f0c9d",
    }


@pytest.mark.parametrize(
    "variant",
    [
        "other-port",
        "other-scheme",
        "userinfo",
        "userinfo-posing-as-host",
        "backslash",
        "other-host",
        "no-host",
        "not-a-url",
    ],
)
async def test_cve_2023_42451_activity_id_must_have_the_actors_exact_origin(
    target: Instance, remote: FakeRemote, make_known: Callable[[FakeActor], Any], variant: str
) -> None:
    """Mastodon CVE-2023-42451 (rule 6): origins are compared with a strict parser:
    scheme, host and port exactly; userinfo and look-alikes are refused. See also
    tests/http/test_urls.py::test_cve_2023_42451_same_origin_is_exact."""
    lilas = await target.community("lilas")
    eve = remote.add_actor("eve")
    await make_known(eve)
    follow = {**eve.activity("Follow", lilas), "id": _id_variants(eve)[variant]}
    resp = await post_signed(target.base_url, "/inbox", eve, follow)
    assert_problem(resp, 400, 401)
    assert_nothing_stored(target)


async def test_cve_2023_42451_embedded_object_with_userinfo_is_not_trusted(
    target: Instance, remote: FakeRemote, make_known: Callable[[FakeActor], Any]
) -> None:
    """Rule 6 for embedded objects: `http://carol@host/…` is not "same origin" as Eve's
    actor, so the copy is not trusted (and refetching such a URL is refused)."""
    alice, token = await _resident(target)
    eve = remote.add_actor("eve")
    await make_known(eve)
    sneaky = eve.note(FORGED, to=[alice])
    sneaky["id"] = sneaky["id"].replace("http://", "http://carol@")
    resp = await post_signed(
        target.base_url, "/inbox", eve, eve.activity("Create", sneaky, to=[alice])
    )
    if resp.status_code != 202:
        assert_problem(resp, 400)
    await processed(target)
    assert objects(target) == {}
    assert FORGED not in str(await inbox_listing(target, "alice", token))
    assert snapshot(target)["follows"] == []
