"""Issue 17 item 2: an actor blocked by a local actor no longer reads that actor's non-public
content, even where it was addressed by name (the one visibility function decides)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.rig import Instance

from .conftest import c2s, signed_get
from .fakes import FakeRemote


async def test_a_blocked_addressee_no_longer_reads_a_direct_post(
    instance_factory: Callable[..., Any], remote: FakeRemote
) -> None:
    inst: Instance = await instance_factory()
    await inst.person("lilou")
    token = await inst.token("lilou")
    rose = remote.add_actor("rose")
    created = await c2s(
        inst,
        "lilou",
        token,
        {"type": "Note", "content": "<p>rien que pour toi</p>", "to": [rose.uri]},
    )
    path = created["object"]["id"].removeprefix(inst.base_url)
    assert (await signed_get(inst, path, rose)).status_code == 200
    await c2s(inst, "lilou", token, {"type": "Block", "object": rose.uri})
    refused = await signed_get(inst, path, rose)
    assert refused.status_code == 404
    assert "rien que pour toi" not in refused.text
