"""Webhooks (issue 10 item 2): subscriptions through the API, events after policy, signed
calls through the delivery queue, registration checks, rotation and disabling."""

from __future__ import annotations

import time
from typing import Any

from fedivoisin.clock import FrozenClock
from fedivoisin.outbox import webhooks
from fedivoisin.outbox.publish import wake_delivery
from fedivoisin.store import blocks as block_store
from tests.bridge.oauth_helpers import client_token, grant, register
from tests.bridge.receiver import Receiver
from tests.kinds.helpers import follow, post
from tests.rig import Instance, wait_for

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def app_token(inst: Instance, *communities: str, scope: str = "read write webhooks") -> str:
    app = await register(inst, scopes="read write webhooks")
    await grant(inst, app["client_id"], *communities)
    return await client_token(inst, app, scope=scope)


async def subscribe(inst: Instance, token: str, **doc: Any) -> Any:
    async with inst.http() as c:
        return await c.post(
            "/api/v1/webhooks", json=doc, headers={"Authorization": f"Bearer {token}"}
        )


async def test_received_activities_reach_the_webhook_signed(instance_factory: Any) -> None:
    a = await instance_factory()
    b = await instance_factory()
    cour = await a.community("cour")
    await b.person("max")
    token = await app_token(a, "cour")
    async with Receiver() as rx:
        r = await subscribe(a, token, community="cour", url=rx.url, events=["activity.received"])
        assert r.status_code == 201, r.text
        hook = r.json()
        assert hook["status"] == "active" and hook["secret"].startswith("whsec_")
        max_token = await b.token("max")
        await follow(b, "max", max_token, cour)
        note = await post(
            b,
            "max",
            max_token,
            {"type": "Note", "content": "Bonjour la cour", "to": [PUBLIC, cour]},
        )

        async def got_note() -> list[Any]:
            return [
                c
                for c in rx.of_type("activity.received")
                if c.json["data"]["activity"]["id"] == note["id"]
            ]

        [call] = await wait_for(got_note, timeout=10)
        assert webhooks.verify([hook["secret"]], call.headers, call.body)
        assert not webhooks.verify(["whsec_" + "A" * 44], call.headers, call.body)
        assert not webhooks.verify([hook["secret"]], call.headers, call.body + b" ")
        assert call.headers["content-type"] == "application/json"
        assert call.json["id"] == call.headers["webhook-id"] and call.json["owner"] == cour
        # Only subscribed types: the Follow arrived as activity.received too, nothing else.
        assert {c.json["type"] for c in rx.calls} == {"activity.received"}
        assert len(set(rx.ids())) == len(rx.ids())


async def test_api_checks_scope_owner_url_and_events(instance: Instance) -> None:
    await instance.community("cour")
    await instance.community("autre")
    token = await app_token(instance, "cour")
    no_hooks = await app_token(instance, "cour", scope="read write")
    url = "https://platform.example/hook"
    r = await subscribe(instance, no_hooks, community="cour", url=url, events=["*"])
    assert r.status_code == 403 and "'webhooks'" in r.json()["detail"]
    r = await subscribe(instance, token, community="autre", url=url, events=["*"])
    assert r.status_code == 403
    r = await subscribe(instance, token, community="cour", url=url, events=["nope"])
    assert r.status_code == 400 and r.json()["field"] == "events"
    r = await subscribe(instance, token, community="cour", url="ftp://x.example/", events=["*"])
    assert r.status_code == 400 and r.json()["field"] == "url"
    await instance.admin(
        lambda store, clock: block_store.add(store, "evil.example", "", clock.now())
    )
    instance.rt.invalidate_blocks()
    r = await subscribe(
        instance, token, community="cour", url="https://evil.example/h", events=["*"]
    )
    assert r.status_code == 400 and "blocked" in r.json()["detail"]
    r = await subscribe(instance, token, community="cour", url=url, events=["rsvp.changed"])
    assert r.status_code == 201
    wid = r.json()["id"]
    auth = {"Authorization": f"Bearer {token}"}
    async with instance.http() as c:
        listed = await c.get("/api/v1/webhooks", headers=auth)
        assert [h["id"] for h in listed.json()] == [wid] and "secret" not in listed.json()[0]
        patched = await c.patch(
            f"/api/v1/webhooks/{wid}", json={"events": ["*"], "enabled": False}, headers=auth
        )
        assert patched.json()["events"] == ["*"] and patched.json()["status"] == "disabled"
        other = await app_token(instance, "cour")
        hidden = await c.get(
            f"/api/v1/webhooks/{wid}", headers={"Authorization": f"Bearer {other}"}
        )
        assert hidden.status_code == 404  # another app's subscription
        assert (await c.delete(f"/api/v1/webhooks/{wid}", headers=auth)).status_code == 204
        assert (await c.get(f"/api/v1/webhooks/{wid}", headers=auth)).status_code == 404


async def test_private_addresses_are_refused_unless_allowed(instance_factory: Any) -> None:
    strict = await instance_factory(allow_private_networks=False)
    await strict.community("cour")
    token = await app_token(strict, "cour")
    for url in (
        "https://127.0.0.1/hook",
        "https://10.0.0.8/hook",
        "https://localhost/hook",
        "http://93.184.215.14/",
    ):
        r = await subscribe(strict, token, community="cour", url=url, events=["*"])
        assert r.status_code == 400 and r.json()["field"] == "url", (url, r.text)


async def test_rotation_signs_with_both_secrets_and_failing_three_days_disables(
    instance_factory: Any,
) -> None:
    clock = FrozenClock(time.time())
    inst = await instance_factory(clock=clock)
    await inst.community("cour")
    token = await app_token(inst, "cour")
    auth = {"Authorization": f"Bearer {token}"}
    async with Receiver() as rx, inst.http() as c:
        hook = (await subscribe(inst, token, community="cour", url=rx.url, events=["*"])).json()
        old = hook["secret"]
        rotated = await c.patch(
            f"/api/v1/webhooks/{hook['id']}", json={"rotate_secret": True}, headers=auth
        )
        new = rotated.json()["secret"]
        assert new != old
        assert (
            await c.post(f"/api/v1/webhooks/{hook['id']}/test", headers=auth)
        ).status_code == 202
        [call] = await wait_for(lambda: _calls(rx, 1), timeout=10)
        assert len(call.headers["webhook-signature"].split()) == 2
        now = clock.now()
        assert webhooks.verify([old], call.headers, call.body, now=now)
        assert webhooks.verify([new], call.headers, call.body, now=now)
        assert not webhooks.verify([new], call.headers, call.body, now=now + 600)  # 10 min old
        clock.advance(24 * 3600 + 1)
        await c.post(f"/api/v1/webhooks/{hook['id']}/test", headers=auth)
        calls = await wait_for(lambda: _calls(rx, 2), timeout=10)
        assert not webhooks.verify([old], calls[1].headers, calls[1].body, now=clock.now())
        assert webhooks.verify([new], calls[1].headers, calls[1].body, now=clock.now())

        rx.status = 503
        await c.post(f"/api/v1/webhooks/{hook['id']}/test", headers=auth)
        await wait_for(lambda: _calls(rx, 3), timeout=10)

        async def status() -> str:
            r = await c.get(f"/api/v1/webhooks/{hook['id']}", headers=auth)
            return str(r.json()["status"])

        await wait_for(lambda: _is(status, "failing"), timeout=10)
        clock.advance(3 * 24 * 3600 + 1)
        wake_delivery(inst.rt)
        await wait_for(lambda: _is(status, "disabled"), timeout=10)
        r = await c.get(f"/api/v1/webhooks/{hook['id']}", headers=auth)
        assert (
            r.json()["disabled_reason"] == "failing for 3 days" and r.json()["pending_calls"] == 0
        )
        # Re-enabled by its owner, it works again.
        rx.status = 200
        await c.patch(f"/api/v1/webhooks/{hook['id']}", json={"enabled": True}, headers=auth)
        await c.post(f"/api/v1/webhooks/{hook['id']}/test", headers=auth)
        await wait_for(lambda: _is(status, "active"), timeout=10)


async def _calls(rx: Receiver, n: int) -> list[Any] | None:
    return rx.calls if len(rx.calls) >= n else None


async def _is(status: Any, value: str) -> bool:
    return bool(await status() == value)


async def test_membership_and_rsvp_changes_are_events(instance_factory: Any) -> None:
    from fedivoisin.outbox import community as cm

    a = await instance_factory()
    b = await instance_factory()
    await a.community("cour")
    await a.person("alice")
    await b.person("max")
    token = await app_token(a, "cour")
    async with Receiver() as rx:
        r = await subscribe(
            a,
            token,
            community="cour",
            url=rx.url,
            events=["membership.changed", "rsvp.changed", "delivery.delivered"],
        )
        assert r.status_code == 201
        await cm.add_member(a.rt, await a.local("cour"), "alice", role="moderator")
        [m] = await wait_for(lambda: _typed(rx, "membership.changed"), timeout=10)
        assert m.json["data"] == {
            "member": a.actor("alice"),
            "state": "accepted",
            "role": "moderator",
        }
        event = await a.c2s(
            "cour",
            token,
            {
                "type": "Event",
                "name": "Fête des voisins",
                "startTime": "2027-06-05T18:00:00+02:00",
                "content": "Dans la cour",
                "to": [PUBLIC],
            },
        )
        assert event.status_code == 201, event.text
        max_token = await b.token("max")
        await post(b, "max", max_token, {"type": "Join", "object": event.json()["object"]["id"]})
        [rsvp] = await wait_for(lambda: _typed(rx, "rsvp.changed"), timeout=10)
        assert rsvp.json["data"]["participant"] == b.actor("max")
        assert rsvp.json["data"]["state"] == "accepted"
        # The Accept the community sent back to max: its delivery outcome is an event too.
        [sent] = await wait_for(lambda: _typed(rx, "delivery.delivered"), timeout=10)
        assert (
            sent.json["data"]["inbox"].startswith(b.base_url) and sent.json["data"]["status"] == 202
        )


async def _typed(rx: Receiver, event_type: str) -> list[Any] | None:
    return rx.of_type(event_type) or None
