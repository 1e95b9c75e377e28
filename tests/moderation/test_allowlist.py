"""Closed federation (setting federation_mode = "allowlist"): a domain not on the list gets
403 (not 404) on inbox POST and signed GET; an allowed one federates normally."""

from __future__ import annotations

from typing import Any

from tests.rig import Instance, wait_for
from tests.security.conftest import assert_problem, processed, query, signed_get
from tests.security.fakes import FakeRemote, post_signed


async def test_allowlist_refuses_others_and_federates_with_allowed(
    instance_factory: Any, remote2: FakeRemote
) -> None:
    async with FakeRemote("127.0.0.3") as friend_server:
        inst: Instance = await instance_factory(
            federation_mode="allowlist", allowed_domains="127.0.0.3, mairie.example"
        )
        await inst.community("lilas")
        stranger = remote2.add_actor("stranger")
        friend = friend_server.add_actor("friend")

        body = assert_problem(
            await post_signed(
                inst.base_url,
                "/actors/lilas/inbox",
                stranger,
                stranger.activity("Follow", inst.actor("lilas")),
            ),
            403,
        )
        assert "allows" in body["detail"]
        assert_problem(await signed_get(inst, "/actors/lilas", stranger), 403)
        assert remote2.requests == []  # not even its key was fetched

        resp = await post_signed(
            inst.base_url,
            "/actors/lilas/inbox",
            friend,
            friend.activity("Follow", inst.actor("lilas")),
        )
        assert resp.status_code == 202, resp.text
        await processed(inst)
        assert query(inst, "SELECT follower, state FROM follows")[0][0] == friend.uri

        def accepted() -> Any:
            return [s for s in friend_server.got("POST") if b'"Accept"' in s.body]

        async def got_accept() -> Any:
            return accepted()

        await wait_for(got_accept)
        assert (await signed_get(inst, "/actors/lilas", friend)).status_code == 200
