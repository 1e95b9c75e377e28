"""The inbox worker's batch prefetch (inbox/worker.prefetch), on the suite's engine.

A batch asks, for each sender, who locally blocks it, which communities relay it,
whether the account is silenced and which local actors follow it; the prefetch answers
each question for all the batch's senders in one query. The answers must be exactly those
of the one-by-one reads, for senders with several rows, one row and none; and a follow
written inside the batch (an Accept processed earlier in it) must be seen by the next row.
"""

from __future__ import annotations

from typing import Any

import pytest

from fedivoisin.inbox import worker
from fedivoisin.inbox.worker import prefetch
from fedivoisin.outbox import domain_policies
from fedivoisin.store import actor_blocks, relays
from fedivoisin.store import follows as follow_store
from fedivoisin.store.inbox_queue import Received
from fedivoisin.store.memo import batch_memo
from tests.rig import Instance

X = "https://ailleurs.example/users/x"
Y = "https://ailleurs.example/users/y"
Z = "https://loin.example/users/z"


def _row(i: int, actor: str) -> Received:
    return Received(
        id=i,
        activity_uri=f"{actor}/activities/{i}",
        signer=actor,
        actor_uri=actor,
        recipient=None,
        body=b"{}",
        received_at=0.0,
        attempts=0,
    )


async def _answers(inst: Instance) -> dict[str, Any]:
    rt = inst.rt
    return {
        a: (
            await actor_blocks.blockers_of(rt.store, a),
            await relays.relaying(rt.store, a),
            await domain_policies.actor_silenced(rt, a),
            sorted(await follow_store.following_of(rt.store, a, prefix=rt.urls.origin)),
        )
        for a in (X, Y, Z)
    }


async def test_prefetched_answers_are_the_ones_read_one_by_one(instance: Instance) -> None:
    rt = instance.rt
    store = rt.store
    for blocker in ("https://q.example/users/a", "https://q.example/users/b"):
        await actor_blocks.add(store, blocker, X, f"{blocker}#block", 1.0)
    await relays.add(store, "https://q.example/users/lilas", X, ["Event"], 1.0)
    await relays.add(store, "https://q.example/users/tilleuls", X, ["Alert", "Event"], 2.0)
    await relays.add(store, "https://q.example/users/lilas", Y, ["News"], 3.0)
    await store.execute(
        "INSERT INTO actor_silences (uri, reason, created_at) VALUES (?, 'spam', 1.0)", (Y,)
    )
    alice, bob = rt.urls.actor("alice"), rt.urls.actor("bob")
    for follower, state in ((alice, "accepted"), (bob, "pending"), (Z, "accepted")):
        await follow_store.upsert(store, follower, X, state, None, 1.0)
    await follow_store.upsert(store, bob, Y, "accepted", None, 1.0)
    one_by_one = await _answers(instance)
    assert one_by_one[X][3] == [alice] and one_by_one[Y][3] == [bob]
    assert one_by_one[X][0] == {"https://q.example/users/a", "https://q.example/users/b"}
    assert sorted(one_by_one[X][1]) == [
        ("https://q.example/users/lilas", ["Event"]),
        ("https://q.example/users/tilleuls", ["Alert", "Event"]),
    ]
    assert one_by_one[Y][2] is True and one_by_one[X][2] is False
    assert one_by_one[Z] == (frozenset(), [], False, [])

    with batch_memo():
        await prefetch(rt, [_row(1, X), _row(2, Y), _row(3, X), _row(4, Z)])
        # What the batch answers now comes from the prefetch, not from the tables: empty
        # them and the answers stay those the one-by-one reads gave.
        for table in ("actor_blocks", "relays", "actor_silences", "follows"):
            await store.execute(f"DELETE FROM {table}")
        prefetched = await _answers(instance)
    assert {a: (v[0], sorted(v[1]), v[2], v[3]) for a, v in prefetched.items()} == {
        a: (v[0], sorted(v[1]), v[2], v[3]) for a, v in one_by_one.items()
    }
    # Outside a batch nothing is primed: the tables, now empty, are read again.
    assert (await _answers(instance))[X] == (frozenset(), [], False, [])


async def test_a_follow_accepted_inside_a_batch_reaches_the_next_row(instance: Instance) -> None:
    """Alice's follow of X is pending when the batch starts; X's Accept is processed first
    (set_state), then X's Create: it must be listed for alice, not read from the prefetch."""
    rt = instance.rt
    alice = rt.urls.actor("alice")
    await follow_store.upsert(rt.store, alice, X, "pending", None, 1.0)
    with batch_memo():
        await prefetch(rt, [_row(1, X), _row(2, X)])
        assert await follow_store.following_of(rt.store, X, prefix=rt.urls.origin) == []
        await follow_store.set_state(rt.store, alice, X, "accepted")
        assert await follow_store.following_of(rt.store, X, prefix=rt.urls.origin) == [alice]


@pytest.mark.sqlite_only  # PostgreSQL processes rows without batch transactions
async def test_a_row_undone_by_its_savepoint_leaves_nothing_memoised(
    instance: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row accepts alice's follow of X, reads X's local followers (alice, memoised), then
    fails: its savepoint undoes the Accept, so the next row of the batch must not be told
    that alice follows X."""
    rt = instance.rt
    alice = rt.urls.actor("alice")
    await follow_store.upsert(rt.store, alice, X, "pending", None, 1.0)
    seen: list[list[str]] = []

    async def process(rt: Any, row: Received) -> str:
        if row.id == 1:
            await follow_store.set_state(rt.store, alice, X, "accepted")
            await follow_store.following_of(rt.store, X, prefix=rt.urls.origin)
            raise RuntimeError("fails after the read")
        seen.append(await follow_store.following_of(rt.store, X, prefix=rt.urls.origin))
        return "done"

    monkeypatch.setattr(worker, "process", process)
    await worker.InboxWorker(rt)._batch([_row(1, X), _row(2, X)])
    assert seen == [[]]
    follow = await follow_store.get(rt.store, alice, X)
    assert follow is not None and follow.state == "pending"
