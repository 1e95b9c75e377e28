"""A domain failing on `unavailable_after_days` distinct days is skipped until retried."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.receiver import Receiver
from fedivoisin.clock import FrozenClock
from fedivoisin.store import deliveries as dstore
from tests.rig import Instance, wait_for

from .conftest import delivery_rows, domain_health, follower, note, seed_followers

DAY = 24 * 3600.0


async def test_a_domain_failing_on_three_days_is_skipped_until_queue_retry(
    tmp_path: Path, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    """A runs on a FrozenClock (started at the real time so that the CLI, which uses the
    system clock, schedules rows that are already due for A); the clock moves a day at a
    time. `down` answers 503 until it recovers; `up` is a healthy control domain whose
    deliveries show that the worker ran a cycle while `down` was skipped. Recovery goes
    through the real `fedivoisin queue retry HOST` command against A's data dir."""
    clock = FrozenClock(time.time())
    a = Instance(tmp_path / "a", clock=clock, unavailable_after_days=3)
    down, up = await receivers(), await receivers()
    down.status = 503
    host = down.hosts[0]
    await a.start()
    try:
        await a.community("les-lilas")
        token = await a.token("les-lilas")
        lilas = a.actor("les-lilas")
        await seed_followers(a.rt.store, lilas, [follower(down, "solo-d"), follower(up, "solo-u")])

        async def post(text: str) -> str:
            r = await a.c2s("les-lilas", token, note(a, "les-lilas", text))
            assert r.status_code == 201, r.text
            return str(r.json()["id"])

        async def attempts_to_down(activity_id: str) -> int:
            rows = await delivery_rows(a.rt.store, activity_id)
            return int(rows[down.inbox("solo-d")]["attempts"])

        async def failing_days() -> list[str]:
            h = await domain_health(a.rt.store, host)
            return list(json.loads(h["failure_days"])) if h else []

        first = await post("Assemblée générale")

        async def up_got_first() -> bool:
            return bool(up.accepted(first))

        await wait_for(up_got_first, timeout=5)
        for day in (1, 2, 3):
            if day > 1:
                clock.advance(DAY)  # the retry is due again, on another day

            async def failed_that_day(d: int = day) -> bool:
                return await attempts_to_down(first) == d and len(await failing_days()) == d

            await wait_for(failed_that_day, timeout=5)
            unavailable = host in await dstore.unavailable_hosts(a.rt.store)
            assert unavailable == (day == 3), f"day {day}: unavailable={unavailable}"
        assert len(down.posts) == 3
        assert not down.accepted()

        # Unavailable: a new activity and the due retry of the old one are both skipped,
        # while the healthy domain gets the new one in that same cycle.
        clock.advance(DAY)
        second = await post("Compte rendu")

        async def cycle_settled() -> bool:  # domain health is written at the end of a cycle
            h = await domain_health(a.rt.store, up.hosts[0])
            return h is not None and h["last_success"] == clock.now()

        await wait_for(cycle_settled, timeout=5)
        assert up.accepted(second)
        assert await attempts_to_down(first) == 3
        assert await attempts_to_down(second) == 0
        assert len(down.posts) == 3

        # The domain answers again; the admin runs `fedivoisin queue retry HOST`.
        down.status = 202
        cli = [sys.executable, "-m", "fedivoisin", "queue", "retry", host]
        out = await asyncio.to_thread(
            subprocess.run,
            [*cli, "--data-dir", str(a.data_dir)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.returncode == 0, out.stderr
        assert f"2 deliveries to {host} will be retried now" in out.stdout

        async def resumed() -> bool:
            rows = [
                (await delivery_rows(a.rt.store, i))[down.inbox("solo-d")] for i in (first, second)
            ]
            return all(r["state"] == "delivered" for r in rows)

        await wait_for(resumed, timeout=10)
        assert {p.activity_id for p in down.accepted()} == {first, second}
        assert host not in await dstore.unavailable_hosts(a.rt.store)
        assert await failing_days() == []
    finally:
        await a.stop()
