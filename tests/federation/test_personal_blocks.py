"""A personal Block holds (issue 17, item 2): the blocked actor's Follow is refused at the
inbox and never lands in `follows pending`; the Block removes an existing follow, and
Undo(Block) restores nothing by itself."""

from __future__ import annotations

from typing import Any

from tests.rig import AS2, wait_for


async def _c2s(inst: Any, slug: str, token: str, body: dict[str, Any]) -> Any:
    async with inst.http() as c:
        return await c.post(
            f"/actors/{slug}/outbox",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": AS2},
        )


async def _follow_row(inst: Any, follower: str, followee: str) -> Any:
    return await inst.rt.store.fetchone(
        "SELECT state FROM follows WHERE follower = ? AND followee = ?", (follower, followee)
    )


async def test_a_blocked_actor_cannot_follow_and_undo_restores_nothing(
    instance_factory: Any,
) -> None:
    a = await instance_factory()
    b = await instance_factory()
    await a.person("lilou", manually_approves=True)
    await b.person("rose")
    lilou, rose = await a.token("lilou"), await b.token("rose")
    # rose follows lilou first (pending: lilou approves followers by hand)
    assert (
        await _c2s(b, "rose", rose, {"type": "Follow", "object": a.actor("lilou")})
    ).status_code == 201

    async def pending() -> Any:
        return await _follow_row(a, b.actor("rose"), a.actor("lilou"))

    await wait_for(pending, timeout=10)
    r = await _c2s(a, "lilou", lilou, {"type": "Block", "object": b.actor("rose")})
    assert r.status_code == 201, r.text
    block_id = r.json()["id"]
    assert await _follow_row(a, b.actor("rose"), a.actor("lilou")) is None  # removed

    # A new Follow from the blocked actor is refused: a Reject, and no row at all.
    r = await _c2s(b, "rose", rose, {"type": "Follow", "object": a.actor("lilou")})
    follow_id = r.json()["id"]

    async def processed() -> bool:
        row = await a.rt.store.fetchone(
            "SELECT 1 FROM received WHERE activity_uri = ? AND state != 'pending'",
            (follow_id,),
        )
        return row is not None

    await wait_for(processed, timeout=10)
    assert await _follow_row(a, b.actor("rose"), a.actor("lilou")) is None

    # Undo(Block): rose may follow again, but nothing comes back by itself.
    r = await _c2s(a, "lilou", lilou, {"type": "Undo", "object": block_id})
    assert r.status_code == 201, r.text
    assert await _follow_row(a, b.actor("rose"), a.actor("lilou")) is None
    r = await _c2s(b, "rose", rose, {"type": "Follow", "object": a.actor("lilou")})
    await wait_for(pending, timeout=10)
