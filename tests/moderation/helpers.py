"""Small helpers shared by the moderation tests."""

from __future__ import annotations

from typing import Any

from tests.rig import Instance

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def api(inst: Instance, method: str, path: str, token: str, body: Any = None) -> Any:
    async with inst.http() as c:
        return await c.request(
            method, path, json=body, headers={"Authorization": f"Bearer {token}"}
        )


async def community_post(inst: Instance, slug: str, community: str, token: str) -> str:
    """A resident's public post in a community; returns the object id."""
    resp = await inst.c2s(
        slug,
        token,
        {
            "type": "Note",
            "content": "<p>annonce douteuse</p>",
            "to": [PUBLIC, inst.actor(community)],
            "audience": inst.actor(community),
        },
    )
    assert resp.status_code == 201, resp.text
    oid: str = resp.json()["object"]["id"]
    return oid
