"""Issue 3 acceptance: a Follow signed by an INDEPENDENT signer (tests/security/cavage.py)
with a key served on loopback is accepted and recorded; the same request altered in any
way that breaks its authenticity is refused with a problem+json and leaves no trace.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from tests.rig import Instance

from . import cavage
from .conftest import assert_nothing_stored, assert_problem, processed, query
from .fakes import FakeActor, FakeRemote, post_signed

INBOXES = ["/inbox", "/actors/lilas/inbox"]


@pytest.mark.parametrize("path", INBOXES, ids=["shared", "personal"])
async def test_independently_signed_follow_is_accepted_and_recorded(
    target: Instance,
    private: bool,
    remote: FakeRemote,
    make_known: Callable[[FakeActor], Any],
    path: str,
) -> None:
    """The positive control for every refusal below: the signer shares no code with us."""
    lilas = await target.community("lilas")
    bob = remote.add_actor("bob")
    await make_known(bob)
    follow = bob.activity("Follow", lilas)

    resp = await post_signed(target.base_url, path, bob, follow)

    assert resp.status_code == 202, resp.text
    rows = [tuple(r) for r in query(target, "SELECT activity_uri, signer, actor_uri FROM received")]
    assert rows == [(follow["id"], bob.uri, bob.uri)]
    await processed(target)
    follows = [tuple(r) for r in query(target, "SELECT follower, followee, state FROM follows")]
    assert follows == [(bob.uri, lilas, "accepted")]
    if private:  # the instance can reach the peer: the Accept arrives, signed by lilas
        seen = await remote.wait_for_request("POST", "/inbox")
        accept = seen[0].json()
        assert accept["type"] == "Accept" and accept["object"]["id"] == follow["id"]
        assert 'keyId="' + lilas + "#main-key" in seen[0].headers["signature"]


def _changed_body(bob: FakeActor, eve: FakeActor, follow: dict[str, Any], url: str) -> Any:
    """Signed over one body, another body sent (the Digest header is the signed one)."""
    signed_body = orjson.dumps(follow)
    headers = bob.sign("POST", url, signed_body)
    return orjson.dumps({**follow, "object": follow["object"] + "x"}), headers


def _changed_digest(bob: FakeActor, eve: FakeActor, follow: dict[str, Any], url: str) -> Any:
    """Body and Digest both swapped consistently: the signature no longer matches."""
    headers = bob.sign("POST", url, orjson.dumps(follow))
    forged = orjson.dumps({**follow, "id": follow["id"] + "-forged"})
    return forged, {**headers, "Digest": cavage.digest_of(forged)}


def _old_date(bob: FakeActor, eve: FakeActor, follow: dict[str, Any], url: str) -> Any:
    """A genuine signature, 13 hours old: past Mastodon's 12 h limit (replay)."""
    body = orjson.dumps(follow)
    return body, bob.sign("POST", url, body, now=time.time() - 13 * 3600)


def _other_actors_key(bob: FakeActor, eve: FakeActor, follow: dict[str, Any], url: str) -> Any:
    """Eve signs, with her own valid key, a Follow whose actor is Bob."""
    body = orjson.dumps(follow)
    return body, eve.sign("POST", url, body)


def _other_key_under_bobs_key_id(
    bob: FakeActor, eve: FakeActor, follow: dict[str, Any], url: str
) -> Any:
    """Bob's keyId, Eve's private key: the signature does not verify with Bob's key."""
    body = orjson.dumps(follow)
    host, target = url.split("://", 1)[1].split("/", 1)
    return body, cavage.sign("POST", host, "/" + target, body, key_id=bob.key_id, key=eve.key)


def _no_signature(bob: FakeActor, eve: FakeActor, follow: dict[str, Any], url: str) -> Any:
    body = orjson.dumps(follow)
    headers = bob.sign("POST", url, body)
    del headers["Signature"]
    return body, headers


TAMPERINGS = {
    "changed-body": _changed_body,
    "changed-digest": _changed_digest,
    "date-13h-old": _old_date,
    "key-of-another-actor": _other_actors_key,
    "other-key-under-bobs-key-id": _other_key_under_bobs_key_id,
    "no-signature": _no_signature,
}


@pytest.mark.parametrize("tamper", list(TAMPERINGS.values()), ids=list(TAMPERINGS))
@pytest.mark.parametrize("path", INBOXES, ids=["shared", "personal"])
async def test_tampered_follow_is_refused_and_nothing_is_stored(
    target: Instance,
    private: bool,
    remote: FakeRemote,
    make_known: Callable[[FakeActor], Any],
    tamper: Callable[..., Any],
    path: str,
) -> None:
    """SECURITY.md rules 3 and 4: authentication completes before anything is written."""
    lilas = await target.community("lilas")
    bob, eve = remote.add_actor("bob"), remote.add_actor("eve")
    await make_known(bob)
    await make_known(eve)
    follow = bob.activity("Follow", lilas)
    body, headers = tamper(bob, eve, follow, target.base_url + path)
    headers.setdefault("Content-Type", cavage.AS2)

    async with target.http() as client:
        resp = await client.post(path, content=body, headers=headers)

    assert_problem(resp, 401, 400)
    assert_nothing_stored(target)
    assert remote.got("POST") == []  # no Accept went out either
