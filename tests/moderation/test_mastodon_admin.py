"""Mastodon's admin reports API over the moderation queue (docs/moderation.md), driven by
Mastodon.py (a client library no one here wrote): its admin calls succeed and its typed
models (AdminReport, AdminAccount) find every field they require; only moderators with an
admin (or our `moderate`) scope get in, with Mastodon-style errors otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from mastodon import Mastodon, MastodonAPIError

from tests.mastodon.clients import missing_fields
from tests.rig import Instance
from tests.security.conftest import processed, query
from tests.security.fakes import FakeRemote, post_signed

from .helpers import api


def checked(value: Any) -> Any:
    missing = missing_fields(value)
    assert not missing, missing
    return value


async def test_admin_reports_with_mastodon_py(instance_factory: Any, remote: FakeRemote) -> None:
    inst: Instance = await instance_factory(instance_moderators="mod")
    await inst.person("alice")
    await inst.person("mod")
    alice_token, mod_token = await inst.token("alice"), await inst.token("mod")
    resp = await api(inst, "POST", "/api/v1/statuses", alice_token, {"status": "douteux"})
    assert resp.status_code == 200, resp.text
    note = resp.json()["uri"]
    reporter = remote.add_actor("instance")
    spammer = remote.add_actor("spammer")
    flags = [
        {"object": [inst.actor("alice"), note], "content": "hors charte"},
        {"object": [spammer.uri, spammer.uri + "/notes/1"], "content": "spam"},
    ]
    for f in flags:
        doc = {"id": reporter.new_id("flags"), "type": "Flag", "actor": reporter.uri, **f}
        resp = await post_signed(inst.base_url, "/inbox", reporter, doc)
        assert resp.status_code == 202, resp.text
    await processed(inst)

    m = Mastodon(access_token=mod_token, api_base_url=inst.base_url)

    async def run(fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        return checked(await asyncio.to_thread(fn, *args, **kw))

    reports = await run(m.admin_reports)
    assert [r.comment for r in reports] == ["spam", "hors charte"]  # newest first
    spam, charte = reports
    assert charte.target_account.username == "alice" and charte.forwarded
    assert [s.uri for s in charte.statuses] == [note]
    assert spam.target_account.acct.startswith("spammer@") and not spam.action_taken

    only = await run(m.admin_reports, target_account_id=charte.target_account.id)
    assert [r.id for r in only] == [charte.id]
    assert [r.id for r in await run(m.admin_reports, limit=1)] == [spam.id]

    mine = await run(m.admin_report_assign, charte.id)
    assert mine.assigned_account.username == "mod"
    assert mine.assigned_account.role.name == "Moderator"
    assert (await run(m.admin_report_unassign, charte.id)).assigned_account is None
    done = await run(m.admin_report_resolve, charte.id)
    assert done.action_taken and done.action_taken_at is not None
    assert [r.id for r in await run(m.admin_reports, resolved=True)] == [charte.id]
    assert not (await run(m.admin_report_reopen, charte.id)).action_taken

    # Silence the spammer, closing its report with that action; then suspend it.
    await asyncio.to_thread(
        m.admin_account_moderate, spam.target_account.id, "silence", report_id=spam.id
    )
    account = await run(m.admin_account, spam.target_account.id)
    assert account.silenced and not account.suspended and account.domain
    assert (await run(m.admin_report, spam.id)).action_taken
    rows = query(inst, "SELECT action FROM flags WHERE id = ?", int(spam.id))
    assert [tuple(r) for r in rows] == [("silence",)]
    await asyncio.to_thread(m.admin_account_moderate, spam.target_account.id, "suspend")
    assert (await run(m.admin_account, spam.target_account.id)).suspended
    rows = query(inst, "SELECT uri FROM actor_suspensions")
    assert [tuple(r) for r in rows] == [(spammer.uri,)]


async def test_admin_api_errors_are_mastodon_style(
    instance_factory: Any, remote: FakeRemote
) -> None:
    inst: Instance = await instance_factory(instance_moderators="mod")
    await inst.person("mod")
    await inst.person("carol")
    mod_token, carol_token = await inst.token("mod"), await inst.token("carol")

    resp = await api(inst, "GET", "/api/v1/admin/reports", "nope")
    assert resp.status_code == 401 and "error" in resp.json()
    resp = await api(inst, "GET", "/api/v1/admin/reports", carol_token)  # not a moderator
    assert resp.status_code == 403 and resp.json()["error"] == "This action is not allowed"
    resp = await api(inst, "GET", "/api/v1/admin/reports/999", mod_token)
    assert resp.status_code == 404 and resp.json()["error"] == "Record not found"
    carol_id = (await api(inst, "GET", "/api/v1/accounts/lookup?acct=carol", mod_token)).json()[
        "id"
    ]
    resp = await api(
        inst, "POST", f"/api/v1/admin/accounts/{carol_id}/action", mod_token, {"type": "disable"}
    )
    assert resp.status_code == 422 and "type" in resp.json()["error"]
    resp = await api(
        inst, "POST", f"/api/v1/admin/accounts/{carol_id}/action", mod_token, {"type": "suspend"}
    )
    assert resp.status_code == 422, resp.text  # a local account is deleted, not suspended

    with pytest.raises(MastodonAPIError) as err:
        await asyncio.to_thread(
            Mastodon(access_token=carol_token, api_base_url=inst.base_url).admin_reports
        )
    assert err.value.args[1] == 403


def test_moderate_scope_maps_onto_the_admin_moderation_scopes() -> None:
    from fedivoisin.protocol.scopes import scope_allows

    assert scope_allows({"moderate"}, "admin:read:reports")
    assert scope_allows({"moderate"}, "admin:write:accounts")
    assert not scope_allows({"moderate"}, "admin:write:domain_blocks")
    assert scope_allows({"admin:read"}, "admin:read:reports")
    assert not scope_allows({"admin:read"}, "admin:write:reports")
