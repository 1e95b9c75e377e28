"""Issue 15 item 7: NodeInfo `localPosts` counted members-only and followers-only posts, so
comparing it with the public outbox revealed when private posts were made. It now counts
public posts only (docs/federation.md)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.rig import Instance

from .conftest import c2s
from .fakes import PUBLIC


async def local_posts(inst: Instance) -> int:
    async with httpx.AsyncClient(timeout=10) as c:
        r = await c.get(inst.base_url + "/nodeinfo/2.1")
    return int(r.json()["usage"]["localPosts"])


async def test_local_posts_counts_public_posts_only(instance: Any) -> None:
    await instance.community("lilas")
    token = await instance.token("lilas")
    before = await local_posts(instance)
    followers = instance.actor("lilas") + "/followers"
    members = instance.actor("lilas") + "/members"
    for to in ([followers], [members], [instance.actor("lilas")]):
        await c2s(instance, "lilas", token, {"type": "Note", "content": "<p>privé</p>", "to": to})
    assert await local_posts(instance) == before
    await c2s(instance, "lilas", token, {"type": "Note", "content": "<p>x</p>", "to": [PUBLIC]})
    assert await local_posts(instance) == before + 1
