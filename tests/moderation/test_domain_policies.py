"""Domain policies (docs/moderation.md, SECURITY.md rule 14): a suspended domain is refused
at every entry point, its follows are dropped both ways; a silenced one is not relayed;
CSV import and the public list."""

from __future__ import annotations

from typing import Any

import pytest

from fedivoisin.errors import InvalidInput
from fedivoisin.outbox import community as cm
from fedivoisin.outbox import domain_policies
from fedivoisin.outbox.webhooks import check_target
from fedivoisin.protocol.blocklist import parse_csv
from fedivoisin.store import follows as follow_store
from fedivoisin.store import relays as relay_store
from tests.rig import Instance
from tests.security.conftest import assert_problem, count, processed, signed_get
from tests.security.fakes import FakeRemote, post_signed

from .helpers import PUBLIC, community_post


async def test_suspended_domain_is_refused_everywhere_and_loses_its_follows(
    instance_factory: Any, remote2: FakeRemote
) -> None:
    inst: Instance = await instance_factory(authorized_fetch=True)
    await inst.community("lilas")
    await inst.person("alice")
    token = await inst.token("alice")
    note = await community_post(inst, "alice", "lilas", token)
    mallory = remote2.add_actor("mallory")
    resp = await post_signed(
        inst.base_url,
        "/actors/lilas/inbox",
        mallory,
        mallory.activity("Follow", inst.actor("lilas")),
    )
    assert resp.status_code == 202
    await processed(inst)
    rt = inst.rt
    now = rt.clock.now()
    await follow_store.upsert(rt.store, inst.actor("alice"), mallory.uri, "accepted", None, now)
    assert count(inst, "follows") == 2

    host = await domain_policies.apply(rt, remote2.host, severity="suspend", reason="spam")
    assert host == "127.0.0.2"
    assert count(inst, "follows") == 0  # both ways

    before = count(inst, "received")
    for activity in (
        mallory.activity("Follow", inst.actor("lilas")),
        mallory.activity("Create", mallory.note(), to=[PUBLIC]),
        mallory.activity("Announce", note, to=[PUBLIC]),
    ):
        assert_problem(await post_signed(inst.base_url, "/inbox", mallory, activity), 403)
    assert count(inst, "received") == before
    assert_problem(await signed_get(inst, "/actors/lilas", mallory), 403)
    with pytest.raises(InvalidInput):
        await check_target(rt, f"{remote2.origin}/hook")


async def test_silenced_domain_is_not_relayed_by_the_mesh(
    instance_factory: Any, remote2: FakeRemote
) -> None:
    inst: Instance = await instance_factory()
    await inst.community("quartier")
    rt = inst.rt
    source = remote2.add_actor("voisins", type="Group").uri
    cid = inst.actor("quartier")
    now = rt.clock.now()
    await relay_store.add(rt.store, cid, source, ["note"], now)
    await follow_store.upsert(rt.store, cid, source, "accepted", None, now)
    post = {
        "id": f"{remote2.origin}/notes/1",
        "type": "Note",
        "attributedTo": source,
        "content": "<p>x</p>",
        "to": [PUBLIC],
    }

    await domain_policies.apply(rt, remote2.host, severity="silence", reason="too loud")
    assert await cm.relay(rt, source, post, "note") == 0
    assert not await rt.is_blocked(remote2.host)  # silence is not a suspension

    await domain_policies.apply(rt, remote2.host, severity="noop")
    other = {**post, "id": f"{remote2.origin}/notes/2"}
    assert await cm.relay(rt, source, other, "note") == 1


def test_csv_in_mastodon_and_plain_formats() -> None:
    rows = parse_csv(
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
        "spam.example,suspend,false,false,Spam,false\n"
        "loud.example,silence,true,false,,true\n"
        "gts.example,limit,false,true,harcèlement,false\n"
    )
    assert [(r.domain, r.severity, r.reject_media, r.obfuscate) for r in rows] == [
        ("spam.example", "suspend", False, False),
        ("loud.example", "silence", True, True),
        ("gts.example", "silence", False, False),
    ]
    assert rows[2].reject_reports and rows[2].public_comment == "harcèlement"
    assert [r.domain for r in parse_csv("a.example\nb.example\n")] == ["a.example", "b.example"]


async def test_import_and_public_list(instance_factory: Any) -> None:
    inst: Instance = await instance_factory()
    done = await domain_policies.import_csv(
        inst.rt,
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
        "spam.example,suspend,false,false,Spam,false\n"
        "secret.example,suspend,false,false,,false\n"
        "hidden.example,silence,false,false,Harassment,true\n",
    )
    assert done == ["spam.example", "secret.example", "hidden.example"]
    assert await inst.rt.is_blocked("sub.spam.example")
    async with inst.http() as c:
        listed = (await c.get("/api/v1/instance/domain_blocks")).json()
    assert listed == [
        {"domain": "h*d*e*.example", "severity": "silence", "comment": "Harassment"},
        {"domain": "spam.example", "severity": "suspend", "comment": "Spam"},
    ]


async def test_subscribed_blocklist_is_refreshed_and_lifts_what_it_drops(
    instance_factory: Any, remote2: FakeRemote
) -> None:
    inst: Instance = await instance_factory(blocklist_refresh=0)
    remote2.serve(
        "/blocklist.csv",
        b"#domain,#severity\nspam.example,suspend\nold.example,suspend\n",
        content_type="text/csv",
    )
    url = f"{remote2.origin}/blocklist.csv"
    await domain_policies.subscribe(inst.rt, url)
    assert await domain_policies.refresh_subscriptions(inst.rt) == 1
    assert await inst.rt.is_blocked("old.example")
    remote2.serve(
        "/blocklist.csv", b"#domain,#severity\nspam.example,suspend\n", content_type="text/csv"
    )
    await domain_policies.refresh_subscriptions(inst.rt)
    assert await inst.rt.is_blocked("spam.example")
    assert not await inst.rt.is_blocked("old.example")


async def test_a_silenced_account_is_not_relayed_by_the_mesh(
    instance_factory: Any, remote: FakeRemote
) -> None:
    """The Mastodon admin API's `silence` (actor_silences): that account only, not its
    domain, stays out of the relay mesh."""
    inst: Instance = await instance_factory()
    await inst.community("quartier")
    rt = inst.rt
    source = remote.add_actor("voisins", type="Group").uri
    loud = remote.add_actor("loud").uri
    cid = inst.actor("quartier")
    now = rt.clock.now()
    await relay_store.add(rt.store, cid, source, ["note"], now)
    await follow_store.upsert(rt.store, cid, source, "accepted", None, now)

    def post(n: int, author: str) -> dict[str, Any]:
        return {
            "id": f"{remote.origin}/notes/{n}",
            "type": "Note",
            "attributedTo": author,
            "content": "<p>x</p>",
            "to": [PUBLIC],
        }

    await domain_policies.silence_actor(rt, loud, "report 1")
    assert await cm.relay(rt, source, post(1, loud), "note") == 0
    assert await cm.relay(rt, source, post(2, source), "note") == 1
