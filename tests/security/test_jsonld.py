"""JSON-LD rules (SECURITY.md 10): restructuring keywords are refused, LD-signed forwards
are not trusted, and no `@context` is ever fetched at runtime."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.rig import Instance

from .conftest import assert_nothing_stored, assert_problem, processed, query
from .fakes import AS_CONTEXT, PUBLIC, FakeActor, FakeRemote, post_signed


def _top_level_graph(bob: FakeActor, lilas: str) -> dict[str, Any]:
    return {**bob.activity("Follow", lilas), "@graph": [{"type": "Follow", "object": lilas}]}


def _included_in_object(bob: FakeActor, lilas: str) -> dict[str, Any]:
    note = {**bob.note(to=[lilas]), "@included": [{"type": "Note", "content": "x"}]}
    return bob.activity("Create", note, to=[lilas])


def _reverse_in_object(bob: FakeActor, lilas: str) -> dict[str, Any]:
    note = {**bob.note(to=[lilas]), "@reverse": {"attributedTo": {"id": lilas}}}
    return bob.activity("Create", note, to=[lilas])


def _undo_with_included_announce(bob: FakeActor, lilas: str) -> dict[str, Any]:
    """Mastodon CVE-2026-46349 shape: promote an embedded Announce out of an Undo."""
    announce = bob.activity("Announce", lilas)
    undo = bob.activity("Undo", {"id": announce["id"], "type": "Announce"})
    undo["@included"] = [announce]
    return undo


def _graph_alias_in_context(bob: FakeActor, lilas: str) -> dict[str, Any]:
    doc = bob.activity("Follow", lilas)
    doc["@context"] = [AS_CONTEXT, {"items": "@graph"}]
    return doc


def _reverse_term_in_context(bob: FakeActor, lilas: str) -> dict[str, Any]:
    doc = bob.activity("Follow", lilas)
    doc["@context"] = [AS_CONTEXT, {"followedBy": {"@reverse": "as:object"}}]
    return doc


RESTRUCTURING = {
    "graph-top-level": _top_level_graph,
    "included-in-object": _included_in_object,
    "reverse-in-object": _reverse_in_object,
    "undo-with-included-announce": _undo_with_included_announce,
    "graph-alias-in-context": _graph_alias_in_context,
    "reverse-term-in-context": _reverse_term_in_context,
}


@pytest.mark.parametrize("build", list(RESTRUCTURING.values()), ids=list(RESTRUCTURING))
async def test_ghsa_9rfg_v8g9_9367_graph_included_reverse_rejected(
    target: Instance,
    remote: FakeRemote,
    make_known: Callable[[FakeActor], Any],
    build: Callable[[FakeActor, str], dict[str, Any]],
) -> None:
    """Fedify GHSA-9rfg-v8g9-9367, Mastodon CVE-2026-46349/-48028: `@graph`, `@included`
    and `@reverse` (or aliases to them) can restructure a signed activity without breaking
    its signature. Refused with 400 wherever they appear, even correctly signed."""
    lilas = await target.community("lilas")
    bob = remote.add_actor("bob")
    await make_known(bob)
    resp = await post_signed(target.base_url, "/inbox", bob, build(bob, lilas))
    assert_problem(resp, 400)
    assert_nothing_stored(target)


async def test_cve_2022_24307_ld_signed_forward_is_not_trusted(
    target: Instance,
    remote: FakeRemote,
    remote2: FakeRemote,
    make_known: Callable[[FakeActor], Any],
) -> None:
    """Mastodon CVE-2022-24307 (rule 10): we never act on an activity because of an
    embedded LD signature. A relay (Eve) forwarding Carol's "LD-signed" Create with its
    own HTTP signature is refused: the HTTP signer must be the actor."""
    lilas = await target.community("lilas")
    eve = remote.add_actor("eve")
    carol = remote2.add_actor("carol")
    await make_known(eve)
    create = carol.activity("Create", carol.note(to=[PUBLIC, lilas]), to=[PUBLIC, lilas])
    create["@context"] = [AS_CONTEXT, "https://w3id.org/security/v1"]
    create["signature"] = {
        "type": "RsaSignature2017",
        "creator": carol.key_id,
        "created": "2026-01-01T00:00:00Z",
        "signatureValue": "Zm9yZ2VkIGJ1dCBuZXZlciBjaGVja2Vk",
    }
    resp = await post_signed(target.base_url, "/inbox", eve, create)
    assert_problem(resp, 401)
    assert_nothing_stored(target)
    assert remote2.requests == []


async def test_cve_2022_24307_remote_context_is_never_fetched(
    target: Instance, remote: FakeRemote, make_known: Callable[[FakeActor], Any]
) -> None:
    """Rule 10: a custom `@context` URL is neither fetched (SSRF, remapping) nor allowed to
    change what the plain JSON says: the note is read as compacted AS2."""
    lilas = await target.community("lilas")
    bob = remote.add_actor("bob")
    await make_known(bob)
    ctx_url = f"{remote.origin}/contexts/remap.jsonld"
    remote.serve(ctx_url, {"@context": {"attributedTo": "as:cc", "content": "as:summary"}})
    note = {**bob.note("<p>plain</p>", to=[lilas]), "@context": [AS_CONTEXT, ctx_url]}
    create = {**bob.activity("Create", note, to=[lilas]), "@context": [AS_CONTEXT, ctx_url]}
    resp = await post_signed(target.base_url, "/inbox", bob, create)
    if resp.status_code == 202:
        await processed(target)
        rows = query(target, "SELECT attributed_to FROM objects WHERE uri = ?", note["id"])
        assert [r[0] for r in rows] in ([], [bob.uri])
    else:
        assert_problem(resp, 400)
    assert remote.got("GET", ctx_url) == []
