"""SIGKILL of the server while 500 webhook calls are queued: after a restart every call
arrives, exactly once by event id (Standard Webhooks receivers dedupe on webhook-id)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from fedivoisin.outbox import webhooks
from fedivoisin.runtime import Runtime
from fedivoisin.store import webhooks as hook_store
from tests.bridge.receiver import Receiver
from tests.rig import ProcessInstance, wait_for

N = 500


async def test_sigkill_with_500_queued_webhook_calls_loses_none(tmp_path: Path) -> None:
    async with Receiver(delay=0.04) as rx:
        a = ProcessInstance(tmp_path / "a", delivery_per_domain=4, delivery_lease=1.0)
        await a.community("cour")
        queued: list[str] = []

        async def queue(store: Any, clock: Any) -> None:
            rt = Runtime(settings=a.settings, store=store, clock=clock)
            hook, _secret = await webhooks.subscribe(rt, "cour", rx.url, ["*"])
            for n in range(N):
                event_id = await webhooks.emit(
                    rt, rt.urls.actor("cour"), "webhook.test", {"n": n}, only=hook
                )
                assert event_id is not None
                queued.append(event_id)

        await a.admin(queue)
        assert len(set(queued)) == N
        await a.start()
        try:
            await wait_for(lambda: _at_least(rx, 60), timeout=30)
            a.kill()
            before = len(rx.calls)
            assert before < N, "the kill must land while calls are still queued"
            await a.start()
            await wait_for(lambda: _distinct(rx, N), timeout=60)
            await wait_for(lambda: _drained(a), timeout=10)  # every outcome recorded
        finally:
            await a.stop()
    ids = Counter(rx.ids())
    assert set(ids) == set(queued)  # none lost, none invented
    # At most the calls in flight or not yet recorded at the kill come twice.
    assert sum(n - 1 for n in ids.values()) <= before


async def _at_least(rx: Receiver, n: int) -> bool:
    return len(rx.calls) >= n


async def _drained(a: ProcessInstance) -> bool:
    async def pending(store: Any, clock: Any) -> int:
        hooks = await hook_store.list_all(store)
        return await hook_store.pending_calls(store, hooks[0].id)

    return bool(await a.admin(pending) == 0)


async def _distinct(rx: Receiver, n: int) -> bool:
    return len(set(rx.ids())) >= n
