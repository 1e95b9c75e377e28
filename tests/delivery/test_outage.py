"""A follower's instance goes down while we post; everything arrives once it is back."""

from __future__ import annotations

import time
from pathlib import Path

from fedivoisin.clock import FrozenClock
from tests.rig import AS2, Instance, wait_for

from .conftest import delivery_rows, note


async def test_posts_made_while_the_follower_instance_is_down_arrive_when_it_restarts(
    tmp_path: Path,
) -> None:
    """B stops; A posts 3 notes; B starts again "2 minutes later" on the same port.

    How the 2 minutes are emulated: A runs on an injected FrozenClock with the DEFAULT
    retry schedule (first retry after 60 s ± 20 %, then 120 s, ...), and the test moves
    A's clock forward instead of sleeping. B's outage is real (its port refuses
    connections), only the waiting is skipped, so the test takes seconds and still checks
    the production schedule: one failed attempt at t0, a second at t0 + 2 min while B is
    still down, then B restarts and the next retry (≤ 2.4 min later) gets through. B keeps
    its real clock; the signatures' Date skew (a few minutes) is within its 1 h window.
    """
    clock = FrozenClock(time.time())
    a = Instance(
        tmp_path / "a",
        clock=clock,
        retry_base_delay=60.0,
        retry_max_delay=6 * 3600.0,
        retry_jitter=0.2,
    )
    b = Instance(tmp_path / "b")
    await a.start()
    await b.start()
    try:
        await a.community("les-lilas", "Résidence Les Lilas")
        await b.person("alice")
        lilas_token = await a.token("les-lilas")
        alice_token = await b.token("alice")

        # alice@B follows les-lilas@A through the C2S API: a real signed Follow and Accept.
        r = await b.c2s(
            "alice", alice_token, {"type": "Follow", "object": f"acct:les-lilas@{a.domain}"}
        )
        assert r.status_code == 201, r.text

        async def accepted() -> bool:
            return any(i["type"] == "Accept" for i in await b.inbox("alice", alice_token))

        await wait_for(accepted, timeout=10)

        port = b.port
        await b.stop()
        ids = []
        for i in range(3):
            r = await a.c2s("les-lilas", lilas_token, note(a, "les-lilas", f"Annonce {i}"))
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])

        async def attempts_are(n: int) -> bool:
            rows = [row for i in ids for row in (await delivery_rows(a.rt.store, i)).values()]
            return len(rows) == 3 and all(
                row["attempts"] == n and row["last_status"] == 0 and row["state"] == "pending"
                for row in rows
            )

        await wait_for(lambda: attempts_are(1), timeout=10)  # refused at t0
        clock.advance(120)  # two minutes later: B is still down
        await wait_for(lambda: attempts_are(2), timeout=10)

        await b.start()  # back, on the same port (the Instance keeps it)
        assert b.port == port
        clock.advance(150)  # past the second retry (120 s ± 20 %)

        async def all_three_arrived() -> bool:
            items = await b.inbox("alice", alice_token)
            got = {i["id"] for i in items if i["type"] == "Create"}
            return set(ids) <= got

        await wait_for(all_three_arrived, timeout=10)
        for i in ids:
            (row,) = (await delivery_rows(a.rt.store, i)).values()
            assert row["state"] == "delivered"
            assert row["attempts"] == 3
            assert row["inbox"] == f"http://127.0.0.1:{port}/inbox"  # B's shared inbox

        # And B shows them in alice's inbox in order, with the object embedded.
        async with b.http() as c:
            r = await c.get(
                "/actors/alice/inbox?page=1",
                headers={"Authorization": f"Bearer {alice_token}", "Accept": AS2},
            )
        creates = {i["id"]: i for i in r.json()["orderedItems"] if i["type"] == "Create"}
        assert all("Annonce" in creates[i]["object"]["content"] for i in ids)
    finally:
        await b.stop()
        await a.stop()
