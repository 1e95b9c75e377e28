"""SIGKILL in the middle of a fan-out loses nothing: the queue is durable."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.receiver import Receiver
from fedivoisin.clock import Clock
from fedivoisin.store.db import Store
from tests.rig import ProcessInstance, wait_for

from .conftest import delivery_rows, follower, post_note, seed_followers, trust_sender_key

# A short lease: the receivers answer in 50 ms, so what was in flight at the kill is
# sent again soon after the restart (tests/delivery/test_leases.py covers the lease).
SENDER = {"delivery_workers": 4, "delivery_per_domain": 2, "delivery_lease": 1.0}


async def test_sigkill_mid_fan_out_then_restart_delivers_every_inbox(
    tmp_path: Path, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    """200 followers on 20 receivers; A is SIGKILLed with part of the fan-out recorded.

    Receivers 0-9 advertise a shared inbox (10 followers each: one delivery per receiver);
    receivers 10-19 do not (10 followers each: one delivery per personal inbox), so one
    activity makes 10 shared + 100 personal = 110 deliveries. Followers are seeded into A's
    follows table before A starts (their actor documents are served by the receivers).
    Receivers answer after 50 ms and A sends 4 at a time, so the fan-out lasts ~1.4 s and
    the kill lands in the middle of it. After a restart on the same port every
    (activity, inbox) pair arrives; a pair may arrive twice (sent before the kill, its
    outcome not yet written): receivers dedupe by activity id, so the set is what counts.
    """
    rs = [await receivers(delay=0.05) for _ in range(20)]
    a = ProcessInstance(tmp_path / "a", **SENDER)
    followee = a.actor("les-lilas")
    await a.community("les-lilas", "Résidence Les Lilas")
    token = await a.token("les-lilas")
    seeded = [
        follower(r, f"{'u' if i < 10 else 'solo'}{k}") for i, r in enumerate(rs) for k in range(10)
    ]
    assert len(seeded) == 200

    async def seed(store: Store, _clock: Clock) -> None:
        await seed_followers(store, followee, seeded)

    await a.admin(seed)
    expected_inboxes = {shared or inbox for _actor, inbox, shared in seeded}
    assert len(expected_inboxes) == 110

    def arrived(activity_id: str) -> set[str]:
        return {inbox for r in rs for (aid, inbox) in r.unique() if aid == activity_id}

    await a.start()
    # Receivers know the sender's key before the kill (as real peers that follow it do);
    # otherwise one whose first POST lands just before the SIGKILL cannot fetch the key.
    await trust_sender_key(a, followee, rs)
    try:
        create_id = await post_note(a, "les-lilas", token, "Coupure d'eau jeudi")

        async def some_arrived() -> int:
            n = len(arrived(create_id))
            return n if n >= 50 else 0

        await wait_for(some_arrived, timeout=10, interval=0.005)
        a.kill()  # SIGKILL: no shutdown, no final write
        at_kill = arrived(create_id)
        assert 50 <= len(at_kill) < 110, "the kill must land mid-fan-out"

        async def recorded(store: Store, _clock: Clock) -> dict[str, dict[str, Any]]:
            return await delivery_rows(store, create_id)

        rows = await a.admin(recorded)
        assert set(rows) == expected_inboxes  # every row was queued before the 201
        done_at_kill = {i for i, row in rows.items() if row["state"] == "delivered"}
        assert done_at_kill <= at_kill
        assert len(done_at_kill) < 110, "some deliveries must still be pending after the kill"

        a = ProcessInstance(tmp_path / "a", port=a.port, **SENDER)  # same data dir and port
        await a.start()

        async def complete() -> bool:
            return arrived(create_id) == expected_inboxes

        await wait_for(complete, timeout=15)

        async def all_recorded() -> bool:
            rows = await a.admin(recorded)
            return all(row["state"] == "delivered" for row in rows.values())

        await wait_for(all_recorded, timeout=5)  # answers come 50 ms after arrival
    finally:
        await a.stop()

    assert not [r.rejected for r in rs if r.rejected]  # every POST was validly signed
    # Only what was not yet recorded as delivered at the kill can have been sent twice.
    times = Counter(p.inbox for r in rs for p in r.accepted(create_id))
    assert all(times[inbox] == 1 for inbox in done_at_kill)
    assert sum(r.duplicates for r in rs) == sum(n - 1 for n in times.values())
    for r in rs:
        for post in r.accepted(create_id):
            assert post.body["type"] == "Create"
            assert post.body["actor"] == followee
