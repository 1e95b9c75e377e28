"""`/actors/{slug}/members`, advertised by every community's actor document (issue 15):
served, with who belongs to a community shown only to its members (docs/privacy.md) and
the count to everyone else, as followers lists are without `public_follower_lists`."""

from __future__ import annotations

from typing import Any

from fedivoisin.outbox import community as cm
from fedivoisin.store import actor_blocks as actor_block_store
from tests.rig import AS2

from .conftest import signed_get
from .fakes import FakeRemote

PATH = "/actors/les-lilas/members"


async def test_members_collection_lists_members_to_members_and_counts_for_others(
    instance_factory: Any, remote: FakeRemote
) -> None:
    inst = await instance_factory()
    lilas = await inst.community("les-lilas", "Résidence Les Lilas")
    await inst.person("gardien")
    await inst.person("voisin")
    marie, curieux = remote.add_actor("marie"), remote.add_actor("curieux")
    community = await inst.local("les-lilas")
    await cm.add_member(inst.rt, community, "gardien")
    await cm.add_member(inst.rt, community, marie.uri)
    await cm.add_member(inst.rt, community, curieux.uri, state="pending")

    # The URL the actor document advertises answers.
    doc = (await inst.get_json(lilas)).json()
    assert doc["members"] == inst.base_url + PATH

    # Anonymous, a signed non-member, a pending applicant: the count of accepted members,
    # no items and no page to reach them.
    for who in (None, curieux):
        for path in (PATH, PATH + "?page=1"):
            r = await signed_get(inst, path, who)
            assert r.status_code == 200, r.text
            assert r.headers["content-type"].startswith("application/activity+json")
            body = r.json()
            assert body == {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": inst.base_url + PATH,
                "type": "OrderedCollection",
                "totalItems": 2,
            }, body

    # A remote member (signed GET): the list, paged, and never shared-cacheable.
    r = await signed_get(inst, PATH, marie)
    assert r.json()["first"] == inst.base_url + PATH + "?page=1"
    assert "no-store" in r.headers["cache-control"]
    page = (await signed_get(inst, PATH + "?page=1", marie)).json()
    assert page["type"] == "OrderedCollectionPage" and page["totalItems"] == 2
    assert set(page["orderedItems"]) == {inst.urls.actor("gardien"), marie.uri}

    # A local member's token and the community's own token list them; a non-member's
    # token only counts.
    for slug, listed in (("gardien", True), ("les-lilas", True), ("voisin", False)):
        token = await inst.token(slug)
        async with inst.http() as c:
            r = await c.get(
                PATH + "?page=1", headers={"Authorization": f"Bearer {token}", "Accept": AS2}
            )
        assert r.status_code == 200, r.text
        assert ("orderedItems" in r.json()) is listed, (slug, r.json())

    # A member the community blocks reads no more than a stranger (visible_to, issue 17).
    await actor_block_store.add(inst.rt.store, lilas, marie.uri, lilas + "#block-marie", 0.0)
    assert "orderedItems" not in (await signed_get(inst, PATH + "?page=1", marie)).json()


async def test_members_collection_of_a_person_or_unknown_actor_is_404_bad_cursor_400(
    instance_factory: Any,
) -> None:
    inst = await instance_factory()
    await inst.person("bob")
    await inst.community("les-lilas")
    async with inst.http() as c:
        for path in ("/actors/bob/members", "/actors/nobody/members"):
            r = await c.get(path, headers={"Accept": AS2})
            assert r.status_code == 404, (path, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        bad = await c.get(PATH + "?max_id=x", headers={"Accept": AS2})
        assert bad.status_code == 400 and bad.json()["field"] == "max_id", bad.text
