"""Issue 17 item 2: an actor blocked by a local actor can no longer reply into, mention,
like, boost or join what that actor owns, at every entry point: the inbox (signed POSTs
of a remote actor), the C2S outbox and the Mastodon client API of a local resident.
Each test asserts what the blocker sees is unchanged, next to a control that is not
blocked (so the refusal is the block's doing, not a broken path)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.rig import AS2, Instance, wait_for

from .conftest import assert_problem, c2s, count, inbox_listing, processed, query
from .fakes import PUBLIC, FakeRemote, post_signed

EVENT = {
    "type": "Event",
    "name": "Fête des voisins",
    "startTime": "2031-06-06T19:00:00+02:00",
    "endTime": "2031-06-06T23:00:00+02:00",
    "timezone": "Europe/Paris",
    "content": "<p>Apportez un plat.</p>",
    "to": [PUBLIC],
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def notifications(inst: Instance, token: str) -> list[dict[str, Any]]:
    async with inst.http() as c:
        r = await c.get("/api/v1/notifications", headers=bearer(token))
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


async def _setup(inst: Instance) -> tuple[str, str, str]:
    """lilou (the blocker) with a public note, olive a neighbour, both with tokens."""
    await inst.person("lilou", manually_approves=False)
    await inst.person("olive", manually_approves=False)
    lilou, olive = await inst.token("lilou"), await inst.token("olive")
    note = await c2s(
        inst, "lilou", lilou, {"type": "Note", "content": "<p>Coucou</p>", "to": [PUBLIC]}
    )
    return lilou, olive, str(note["object"]["id"])


async def test_inbox_a_blocked_remote_actor_cannot_reply_mention_like_boost_or_join(
    instance_factory: Callable[..., Any], remote: FakeRemote
) -> None:
    inst: Instance = await instance_factory()
    lilou, olive, note = await _setup(inst)
    event = str((await c2s(inst, "lilou", lilou, dict(EVENT)))["object"]["id"])
    await inst.community("jardin", join_policy="open")
    rose, noe = remote.add_actor("rose"), remote.add_actor("noe")
    for blocker in ("lilou", "jardin"):
        token = lilou if blocker == "lilou" else await inst.token("jardin")
        await c2s(inst, blocker, token, {"type": "Block", "object": rose.uri})
    await processed(inst)
    seen_before = await inbox_listing(inst, "lilou", lilou)
    lilou_uri, olive_uri = inst.actor("lilou"), inst.actor("olive")

    async def send(actor: Any, activity: dict[str, Any], to: str = "lilou") -> None:
        r = await post_signed(inst.base_url, f"/actors/{to}/inbox", actor, activity)
        assert r.status_code == 202, r.text

    mention = {"type": "Mention", "href": lilou_uri, "name": "@lilou"}
    reply = rose.note("<p>réponse</p>", inReplyTo=note, to=[PUBLIC, lilou_uri], tag=[mention])
    await send(rose, rose.activity("Create", reply, to=reply["to"]))
    both = rose.note(
        "<p>@lilou @olive</p>",
        to=[lilou_uri, olive_uri],
        tag=[mention, {"type": "Mention", "href": olive_uri, "name": "@olive"}],
    )
    await send(rose, rose.activity("Create", both, to=both["to"]))
    await send(rose, rose.activity("Like", note, to=[lilou_uri]))
    await send(rose, rose.activity("Announce", note, to=[PUBLIC, lilou_uri]))
    await send(rose, rose.activity("Join", event, to=[lilou_uri]))
    await send(rose, rose.activity("Join", inst.actor("jardin")), to="jardin")
    control = noe.note("<p>merci</p>", inReplyTo=note, to=[PUBLIC, lilou_uri])
    await send(noe, noe.activity("Create", control, to=control["to"]))
    await processed(inst)

    # The blocked reply never attached to lilou's thread; the unblocked one did.
    replies = query(inst, "SELECT uri FROM objects WHERE in_reply_to = ?", note)
    assert [r[0] for r in replies] == [control["id"]]
    # lilou: the control reply only; no mention, like, boost or join of rose anywhere.
    seen = await inbox_listing(inst, "lilou", lilou)
    new = [item for item in seen if item not in seen_before]
    assert [item.get("actor") for item in new] == [noe.uri], new
    assert all(
        n["account"]["acct"] != f"rose@{remote.authority}" for n in await notifications(inst, lilou)
    )
    assert count(inst, "participants", "event_uri = ?", event) == 0
    assert count(inst, "members", "member = ?", rose.uri) == 0
    assert (
        count(inst, "activities", "actor_uri = ? AND type IN ('Like', 'Announce')", rose.uri) == 0
    )
    # olive, named too and not blocking, got the mention.
    assert [i.get("actor") for i in await inbox_listing(inst, "olive", olive)] == [rose.uri]

    # Both Joins were answered with a Reject, so rose's server does not wait forever.
    async def rejected() -> bool:
        rejects = [s.json() for s in remote.got("POST") if s.json().get("type") == "Reject"]
        return {r["object"]["object"] for r in rejects} >= {event, inst.actor("jardin")}

    await wait_for(rejected, timeout=10)


async def test_c2s_a_blocked_local_actor_cannot_reply_like_or_join_and_its_mention_is_not_delivered(
    instance: Instance,
) -> None:
    lilou, olive, note = await _setup(instance)
    event = str((await c2s(instance, "lilou", lilou, dict(EVENT)))["object"]["id"])
    await instance.person("bob", manually_approves=False)
    bob = await instance.token("bob")
    await c2s(instance, "lilou", lilou, {"type": "Block", "object": instance.actor("bob")})
    await processed(instance)
    seen_before = await inbox_listing(instance, "lilou", lilou)
    own = await c2s(instance, "bob", bob, {"type": "Note", "content": "<p>x</p>", "to": [PUBLIC]})
    refused = [
        {"type": "Note", "content": "<p>non</p>", "inReplyTo": note, "to": [PUBLIC]},
        {"type": "Update", "object": {"id": own["object"]["id"], "inReplyTo": note}},
        {"type": "Like", "object": note},
        {"type": "Announce", "object": note},
        {"type": "Join", "object": event},
    ]
    async with instance.http() as c:
        for body in refused:
            r = await c.post(
                "/actors/bob/outbox", json=body, headers={**bearer(bob), "Content-Type": AS2}
            )
            problem = assert_problem(r, 404)
            assert problem["field"] in ("object", "object.inReplyTo"), problem
    # A mention is posted (others may read it) but never reaches lilou.
    await c2s(
        instance,
        "bob",
        bob,
        {
            "type": "Note",
            "content": "<p>@lilou @olive</p>",
            "to": [instance.actor("lilou"), instance.actor("olive")],
            "tag": [{"type": "Mention", "href": instance.actor("lilou")}],
        },
    )
    await processed(instance)
    assert count(instance, "objects", "in_reply_to = ?", note) == 0
    assert count(instance, "participants", "event_uri = ?", event) == 0
    assert await inbox_listing(instance, "lilou", lilou) == seen_before
    assert await notifications(instance, lilou) == []
    assert [i["actor"] for i in await inbox_listing(instance, "olive", olive)] == [
        instance.actor("bob")
    ]


async def test_mastodon_api_a_blocked_resident_gets_404_on_reply_favourite_and_reblog(
    instance: Instance,
) -> None:
    await instance.person("lilou", manually_approves=False)
    await instance.person("bob", manually_approves=False)
    lilou, bob = await instance.token("lilou"), await instance.token("bob")
    async with instance.http() as c:
        r = await c.post("/api/v1/statuses", data={"status": "Coucou"}, headers=bearer(lilou))
        status = r.json()["id"]
        bob_id = (await c.get("/api/v1/accounts/lookup?acct=bob", headers=bearer(lilou))).json()[
            "id"
        ]
        r = await c.post(f"/api/v1/accounts/{bob_id}/block", headers=bearer(lilou))
        assert r.status_code == 200, r.text
        r = await c.post(
            "/api/v1/statuses",
            data={"status": "@lilou non", "in_reply_to_id": status},
            headers=bearer(bob),
        )
        assert r.status_code == 404 and r.json()["error"], r.text
        for action in ("favourite", "reblog"):
            r = await c.post(f"/api/v1/statuses/{status}/{action}", headers=bearer(bob))
            assert r.status_code == 404 and r.json()["error"], (action, r.text)
        # A mention is accepted for bob's other readers, but lilou is not notified.
        r = await c.post("/api/v1/statuses", data={"status": "@lilou coucou"}, headers=bearer(bob))
        assert r.status_code == 200, r.text
        await processed(instance)
        r = await c.get(f"/api/v1/statuses/{status}/context", headers=bearer(lilou))
        assert r.json()["descendants"] == []
        shown = (await c.get(f"/api/v1/statuses/{status}", headers=bearer(lilou))).json()
    assert shown["replies_count"] == shown["favourites_count"] == shown["reblogs_count"] == 0
    assert await notifications(instance, lilou) == []
