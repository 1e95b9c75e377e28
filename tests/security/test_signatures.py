"""HTTP signature rules (SECURITY.md 3, 4, 7) attacked at the inbox with an independent
signer. Every refusal must leave the database untouched."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from tests.rig import Instance

from . import cavage
from .conftest import ShiftedClock, assert_nothing_stored, assert_problem, processed, query
from .fakes import FakeActor, FakeRemote, post_signed, split


async def _setup(
    target: Instance, remote: FakeRemote, make_known: Callable[[FakeActor], Any]
) -> tuple[str, FakeActor]:
    lilas = await target.community("lilas")
    bob = remote.add_actor("bob")
    await make_known(bob)
    return lilas, bob


def _create(bob: FakeActor, lilas: str) -> dict[str, Any]:
    return bob.activity("Create", bob.note(to=[lilas]), to=[lilas])


def _digest_not_covered(bob: FakeActor, url: str, body: bytes) -> dict[str, str]:
    """Misskey CVE-2023-49079: a valid signature that does not cover Digest."""
    return bob.sign("POST", url, body, covered=("(request-target)", "host", "date"))


def _host_not_covered(bob: FakeActor, url: str, body: bytes) -> dict[str, str]:
    return bob.sign("POST", url, body, covered=("(request-target)", "date", "digest"))


def _signed_for_another_host(bob: FakeActor, url: str, body: bytes) -> dict[str, str]:
    """Replay of a request signed for another server (the Host it covers is not ours)."""
    return bob.sign("POST", url, body, overrides={"host": "other.example"})


def _target_not_covered(bob: FakeActor, url: str, body: bytes) -> dict[str, str]:
    return bob.sign("POST", url, body, covered=("host", "date", "digest"))


def _no_date(bob: FakeActor, url: str, body: bytes) -> dict[str, str]:
    return bob.sign("POST", url, body, covered=("(request-target)", "host", "digest"))


def _date_from_the_future(bob: FakeActor, url: str, body: bytes) -> dict[str, str]:
    return bob.sign("POST", url, body, now=time.time() + 2 * 3600)


def _digest_of_other_body(bob: FakeActor, url: str, body: bytes) -> dict[str, str]:
    """Digest covered and signed, but computed over another body."""
    return bob.sign("POST", url, body, overrides={"digest": cavage.digest_of(b"{}")})


def _digest_only_sha512_garbage(bob: FakeActor, url: str, body: bytes) -> dict[str, str]:
    return bob.sign("POST", url, body, overrides={"digest": "SHA-512=AAAA"})


WEAK = {
    "digest-not-covered": _digest_not_covered,
    "host-not-covered": _host_not_covered,
    "signed-for-another-host": _signed_for_another_host,
    "request-target-not-covered": _target_not_covered,
    "no-date-nor-created": _no_date,
    "date-2h-in-the-future": _date_from_the_future,
    "digest-of-another-body": _digest_of_other_body,
    "no-sha256-digest": _digest_only_sha512_garbage,
}


@pytest.mark.parametrize("weak", list(WEAK.values()), ids=list(WEAK))
async def test_cve_2023_49079_digest_must_be_covered_and_match(
    target: Instance,
    remote: FakeRemote,
    make_known: Callable[[FakeActor], Any],
    weak: Callable[[FakeActor, str, bytes], dict[str, str]],
) -> None:
    """Rule 3: digest, host, (request-target) and date covered; the body's SHA-256
    recomputed; the date inside the window."""
    lilas, bob = await _setup(target, remote, make_known)
    body = orjson.dumps(_create(bob, lilas))
    headers = weak(bob, target.base_url + "/inbox", body)

    async with target.http() as client:
        resp = await client.post("/inbox", content=body, headers=headers)

    assert_problem(resp, 401)
    assert_nothing_stored(target)


def _no_headers_param(bob: FakeActor, url: str, body: bytes) -> dict[str, str]:
    """Without `headers`, draft-cavage means "(created)" only: nothing is bound."""
    return bob.sign("POST", url, body, covered=("date",), send_headers_param=False)


def _hmac_algorithm(bob: FakeActor, url: str, body: bytes) -> dict[str, str]:
    return bob.sign("POST", url, body, algorithm="hmac-sha256")


def _signed_as_get(bob: FakeActor, url: str, body: bytes) -> dict[str, str]:
    """A signature made for a GET (request-target "get /inbox") replayed as a POST."""
    host, path = split(url)
    headers = cavage.sign("GET", host, path, body, key_id=bob.key_id, key=bob.key)
    return headers


def _signed_for_another_inbox(bob: FakeActor, url: str, body: bytes) -> dict[str, str]:
    return bob.sign("POST", url.replace("/inbox", "/actors/lilas/inbox"), body)


def _empty_signature(bob: FakeActor, url: str, body: bytes) -> dict[str, str]:
    headers = bob.sign("POST", url, body)
    headers["Signature"] = headers["Signature"].rsplit('signature="', 1)[0] + 'signature=""'
    return headers


def _repeated_key_id(bob: FakeActor, url: str, body: bytes) -> dict[str, str]:
    """Two keyIds: a lenient parser may verify with one and attribute to the other."""
    headers = bob.sign("POST", url, body)
    headers["Signature"] = 'keyId="http://127.0.0.1:9/users/eve#main-key",' + headers["Signature"]
    return headers


def _created_13h_old(bob: FakeActor, url: str, body: bytes) -> dict[str, str]:
    created = str(int(time.time() - 13 * 3600))
    covered = ("(request-target)", "host", "(created)", "digest")
    host, path = split(url)
    lines = [
        f"(request-target): post {path}",
        f"host: {host}",
        f"(created): {created}",
        f"digest: {cavage.digest_of(body)}",
    ]
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    sig = base64.b64encode(
        bob.key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    ).decode()
    return {
        "Host": host,
        "Digest": cavage.digest_of(body),
        "Signature": f'keyId="{bob.key_id}",algorithm="hs2019",created={created},'
        f'headers="{" ".join(covered)}",signature="{sig}"',
    }


def _signature_input_without_signature(bob: FakeActor, url: str, body: bytes) -> dict[str, str]:
    """An RFC 9421 Signature-Input next to a cavage Signature must not confuse the parser."""
    headers = bob.sign("POST", url, body)
    headers["Signature-Input"] = 'sig1=("@method");keyid="x"'
    return headers


BYPASSES = {
    "no-headers-param": _no_headers_param,
    "hmac-algorithm": _hmac_algorithm,
    "get-signature-replayed-as-post": _signed_as_get,
    "signed-for-another-inbox": _signed_for_another_inbox,
    "empty-signature": _empty_signature,
    "repeated-key-id": _repeated_key_id,
    "created-13h-old": _created_13h_old,
    "mixed-schemes": _signature_input_without_signature,
}


@pytest.mark.parametrize("bypass", list(BYPASSES.values()), ids=list(BYPASSES))
async def test_cve_2026_28432_signature_bypass_variants_are_refused(
    target: Instance,
    remote: FakeRemote,
    make_known: Callable[[FakeActor], Any],
    bypass: Callable[[FakeActor, str, bytes], dict[str, str]],
) -> None:
    """Misskey CVE-2026-28432 (details unpublished: "bypassing HTTP signature
    verification"): the classic bypass shapes, each with a genuine key, are all refused."""
    lilas, bob = await _setup(target, remote, make_known)
    body = orjson.dumps(_create(bob, lilas))
    headers = {"Content-Type": cavage.AS2, **bypass(bob, target.base_url + "/inbox", body)}

    async with target.http() as client:
        resp = await client.post("/inbox", content=body, headers=headers)

    assert_problem(resp, 401, 400)
    assert_nothing_stored(target)


async def test_cve_2025_54888_actor_must_own_signing_key_before_any_side_effect(
    target: Instance,
    remote: FakeRemote,
    remote2: FakeRemote,
    make_known: Callable[[FakeActor], Any],
) -> None:
    """Fedify CVE-2025-54888 (rule 4): Eve signs, with her own valid key, a Follow and a
    Create claiming to be Bob's. Refused before queueing: no row, no follow, and Bob's
    server never hears from us (no actor fetch, no Accept)."""
    lilas = await target.community("lilas")
    eve = remote.add_actor("eve")
    bob = remote2.add_actor("bob")
    await make_known(eve)
    for activity in (bob.activity("Follow", lilas), _create(bob, lilas)):
        resp = await post_signed(target.base_url, "/actors/lilas/inbox", eve, activity)
        body = assert_problem(resp, 401)
        assert "owner" in body["detail"]
    assert_nothing_stored(target)
    assert remote2.requests == []
    assert remote.got("POST") == []


async def test_gts_3198_key_change_only_after_verification_failure(
    instance_factory: Callable[..., Any], remote: FakeRemote
) -> None:
    """GoToSocial #3198 (rule 7): a re-read actor document never swaps the key on its own
    (an Update or a TTL refresh keeps the verified key); only a signature that fails with
    the cached key forces one fetch from the origin, and then the old key stops working."""
    clock = ShiftedClock()
    target: Instance = await instance_factory(clock=clock)
    lilas = await target.community("lilas")
    bob = remote.add_actor("bob", key_name="bob-k1")
    k1 = cavage.public_pem(bob.key)
    old_key = bob.key
    assert (
        await post_signed(target.base_url, "/inbox", bob, bob.activity("Follow", lilas))
    ).status_code == 202
    await processed(target)

    bob.rotate_key("bob-k2")  # the origin now serves another key
    k2 = cavage.public_pem(bob.key)
    update = bob.activity("Update", bob.document)
    bob.key = old_key  # the Update is signed with the key we know
    assert (await post_signed(target.base_url, "/inbox", bob, update)).status_code == 202
    await processed(target)
    pem = query(target, "SELECT public_key_pem FROM remote_actors WHERE uri = ?", bob.uri)
    assert pem[0][0] == k1, "an Update must not replace the verified key"

    clock.advance(5)  # a key fetched under a second ago is not refetched (no storms)
    gets_before = len(remote.got("GET", bob.uri))
    bob.key = cavage.rsa_key("bob-k2")
    resp = await post_signed(target.base_url, "/inbox", bob, _create(bob, lilas))
    assert resp.status_code == 202, resp.text  # failure with k1 -> one refetch -> k2
    assert len(remote.got("GET", bob.uri)) == gets_before + 1
    pem = query(target, "SELECT public_key_pem FROM remote_actors WHERE uri = ?", bob.uri)
    assert pem[0][0] == k2

    bob.key = old_key  # the retired key is refused from now on
    n_received = len(query(target, "SELECT id FROM received"))
    resp = await post_signed(target.base_url, "/inbox", bob, _create(bob, lilas))
    assert_problem(resp, 401)
    assert len(query(target, "SELECT id FROM received")) == n_received


def _key_on_other_origin(bob: FakeActor, remote2: FakeRemote) -> str:
    """The actor names a key hosted on another origin (which vouches for Bob)."""
    kid = f"{remote2.origin}/keys/bob"
    key = {"id": kid, "owner": bob.uri, "publicKeyPem": cavage.public_pem(bob.key)}
    remote2.serve("/keys/bob", {"@context": "https://w3id.org/security/v1", **key})
    bob.publish(bob.build(publicKey=key))
    return kid


def _owner_not_reciprocal(bob: FakeActor, remote2: FakeRemote) -> str:
    key = {
        "id": bob.key_id,
        "owner": bob.uri + "-other",
        "publicKeyPem": cavage.public_pem(bob.key),
    }
    bob.publish(bob.build(publicKey=key))
    return bob.key_id


def _key_not_listed_by_actor(bob: FakeActor, remote2: FakeRemote) -> str:
    """A key document on Bob's origin claims Bob as owner; Bob's document does not list it."""
    kid = f"{bob.remote.origin}/keys/stray"
    bob.remote.serve(
        "/keys/stray",
        {"id": kid, "owner": bob.uri, "publicKeyPem": cavage.public_pem(bob.key)},
    )
    return kid


KEY_SHAPES = {
    "key-on-another-origin": _key_on_other_origin,
    "owner-not-reciprocal": _owner_not_reciprocal,
    "key-not-listed-by-its-owner": _key_not_listed_by_actor,
}


@pytest.mark.parametrize("shape", list(KEY_SHAPES.values()), ids=list(KEY_SHAPES))
async def test_gts_3198_key_must_share_the_actors_origin_and_point_back(
    instance_factory: Callable[..., Any],
    remote: FakeRemote,
    remote2: FakeRemote,
    shape: Callable[[FakeActor, FakeRemote], str],
) -> None:
    """Rule 7: a key counts only with the actor's origin and a reciprocal owner/publicKey.
    (Needs the key fetch, so private networks are on.)"""
    target: Instance = await instance_factory()
    lilas = await target.community("lilas")
    bob = remote.add_actor("bob")
    key_id = shape(bob, remote2)
    body = orjson.dumps(bob.activity("Follow", lilas))
    host, path = split(target.base_url + "/inbox")
    headers = cavage.sign("POST", host, path, body, key_id=key_id, key=bob.key)

    async with target.http() as client:
        resp = await client.post("/inbox", content=body, headers=headers)

    assert_problem(resp, 401)
    assert_nothing_stored(target)


@pytest.mark.parametrize("order", ["forged-first", "forged-last"])
async def test_cve_2023_49079_duplicate_digest_headers_cannot_swap_the_body(
    target: Instance,
    remote: FakeRemote,
    make_known: Callable[[FakeActor], Any],
    order: str,
) -> None:
    """Rule 3: a body swap hidden in a second Digest header (one value matching the signed
    string, the other the forged body) must not pass: every copy of a covered header is
    part of what is checked, never one copy for the signature and another for the body."""
    lilas, bob = await _setup(target, remote, make_known)
    genuine = orjson.dumps(_create(bob, lilas))
    signed = bob.sign("POST", target.base_url + "/inbox", genuine)
    forged = orjson.dumps(_create(bob, lilas))
    digests = [("Digest", cavage.digest_of(forged)), ("Digest", signed["Digest"])]
    if order == "forged-last":
        digests.reverse()
    headers = [(k, v) for k, v in signed.items() if k != "Digest"] + digests
    headers.append(("Content-Type", cavage.AS2))

    async with target.http() as client:
        resp = await client.post("/inbox", content=forged, headers=headers)

    assert_problem(resp, 401, 400)
    assert_nothing_stored(target)


async def test_cve_2023_49079_duplicate_signature_headers_refused(
    target: Instance, remote: FakeRemote, make_known: Callable[[FakeActor], Any]
) -> None:
    """Two Signature headers (Eve's valid one and Bob's) never let one be checked and the
    other attributed."""
    lilas, bob = await _setup(target, remote, make_known)
    eve = remote.add_actor("eve")
    await make_known(eve)
    body = orjson.dumps(_create(bob, lilas))
    url = target.base_url + "/inbox"
    by_bob, by_eve = bob.sign("POST", url, body), eve.sign("POST", url, body)
    headers = [(k, v) for k, v in by_bob.items()] + [("Signature", by_eve["Signature"])]
    headers.append(("Content-Type", cavage.AS2))

    async with target.http() as client:
        resp = await client.post("/inbox", content=body, headers=headers)

    if resp.status_code == 202:  # only acceptable if it was judged as Bob's own request
        rows = query(target, "SELECT signer FROM received")
        assert [r[0] for r in rows] == [bob.uri]
    else:
        assert_problem(resp, 401, 400)
