"""Reports (docs/moderation.md): Flags of every shape land in the right queue; moderators
resolve them with a federated removal; residents' reports leave without their identity."""

from __future__ import annotations

from typing import Any

from tests.rig import Instance, wait_for
from tests.security.conftest import processed, query
from tests.security.fakes import FakeRemote, post_signed

from .helpers import api, community_post


async def _follow(inst: Instance, who: Any, community: str) -> None:
    resp = await post_signed(
        inst.base_url,
        f"/actors/{community}/inbox",
        who,
        who.activity("Follow", inst.actor(community)),
    )
    assert resp.status_code == 202, resp.text
    await processed(inst)


async def test_flags_of_every_shape_reach_the_queue_and_remove_federates(
    instance_factory: Any, remote: FakeRemote
) -> None:
    inst: Instance = await instance_factory()
    await inst.community("lilas")
    await inst.person("alice")
    alice_token = await inst.token("alice")
    mod_token = await inst.token("lilas")
    note = await community_post(inst, "alice", "lilas", alice_token)
    bob = remote.add_actor("bob")
    await _follow(inst, bob, "lilas")
    reporter = remote.add_actor("instance")  # Mastodon/Misskey send as the instance actor

    mastodon = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": reporter.new_id("flags"),
        "type": "Flag",
        "actor": reporter.uri,
        "content": "Please take a look at this user and their posts",
        "object": [inst.actor("alice"), note],
        "to": inst.actor("alice"),
    }
    misskey = {  # Misskey: no `to`, comment in content, user then notes
        "@context": ["https://www.w3.org/ns/activitystreams", {"Key": "sec:Key"}],
        "type": "Flag",
        "id": reporter.new_id("misskey-flag"),
        "actor": reporter.uri,
        "content": "spam",
        "object": [inst.actor("alice"), note],
    }
    lemmy = {  # Lemmy: one object, reason in summary, the community in `to`
        "id": reporter.new_id("flag"),
        "type": "Flag",
        "actor": bob.uri,
        "to": [inst.actor("lilas")],
        "object": note,
        "summary": "report this post",
    }
    for doc in (mastodon, misskey, lemmy):
        resp = await post_signed(
            inst.base_url, "/inbox", reporter if doc is not lemmy else bob, doc
        )
        assert resp.status_code == 202, resp.text
    await processed(inst)

    resp = await api(inst, "GET", "/api/v1/moderation/reports?community=lilas", mod_token)
    assert resp.status_code == 200, resp.text
    queue = resp.json()
    assert [r["comment"] for r in queue] == [
        "Please take a look at this user and their posts",
        "spam",
        "report this post",
    ]
    assert all(r["objects"] == [note] and r["account"] == inst.actor("alice") for r in queue)
    # a resident without moderation rights sees no queue
    resp = await api(inst, "GET", "/api/v1/moderation/reports?community=lilas", alice_token)
    assert resp.status_code == 403

    first = queue[0]["id"]
    resp = await api(
        inst, "POST", f"/api/v1/moderation/reports/{first}/assign", mod_token, {"assignee": "lilas"}
    )
    assert resp.status_code == 200 and resp.json()["assignee"] == "lilas"
    resp = await api(
        inst,
        "POST",
        f"/api/v1/moderation/reports/{first}/resolve",
        mod_token,
        {"action": "remove", "note": "hors charte"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["state"] == "resolved" and resp.json()["action"] == "remove"

    removed = await wait_for(
        lambda: _posted(remote, lambda d: d.get("type") == "Remove" and d.get("object") == note)
    )
    assert removed["actor"] == inst.actor("lilas")
    assert query(inst, "SELECT deleted FROM objects WHERE uri = ?", note)[0][0] is not None
    resp = await api(inst, "GET", "/api/v1/moderation/reports?community=lilas", mod_token)
    assert len(resp.json()) == 2


async def _posted(remote: FakeRemote, pred: Any) -> dict[str, Any] | None:
    for seen in remote.got("POST"):
        try:
            doc = seen.json()
        except ValueError:
            continue
        if isinstance(doc, dict) and pred(doc):
            return doc
    return None


async def test_resident_report_is_forwarded_without_the_reporters_identity(
    instance_factory: Any, remote: FakeRemote
) -> None:
    inst: Instance = await instance_factory()
    await inst.person("alice")
    token = await inst.token("alice")
    bob = remote.add_actor("bob")
    note = bob.note("<p>arnaque</p>")
    remote.serve(note["id"], note)

    resp = await api(
        inst,
        "POST",
        "/api/v1/reports",
        token,
        {"account": bob.uri, "objects": [note["id"]], "comment": "arnaque", "forward": True},
    )
    assert resp.status_code == 201, resp.text
    flag = await wait_for(lambda: _posted(remote, lambda d: d.get("type") == "Flag"))
    assert flag["actor"] == inst.actor("instance")
    assert flag["object"] == [bob.uri, note["id"]]
    assert "alice" not in str(flag)
    # our own queue has it too (the instance's moderators see residents' reports)
    assert query(inst, "SELECT direction, reporter FROM flags")[0][0] == "out"

    resp = await api(
        inst,
        "POST",
        "/api/v1/reports",
        token,
        {"account": bob.uri, "comment": "moi", "forward": True, "anonymous": False},
    )
    assert resp.status_code == 201
    named = await wait_for(
        lambda: _posted(remote, lambda d: d.get("type") == "Flag" and d.get("content") == "moi")
    )
    assert named["actor"] == inst.actor("alice")
