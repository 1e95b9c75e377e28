"""The import scheduler: a worker like the inbox and delivery ones, inside the server.

`run_once()` fetches every import that is due now (tests drive it with an injected clock);
`run()` loops, sleeping until the next import is due, at most `interval` seconds (imports
added from the CLI, another process, are seen at the next look), or until woken by an
import added through the API.
"""

from __future__ import annotations

import asyncio
import logging

from ..runtime import Runtime
from ..store import imports as import_store
from . import imports

log = logging.getLogger("fedivoisin.imports")

BATCH = 20
CONCURRENCY = 4  # fetches in flight: each is bounded by import_timeout


class ImportWorker:
    def __init__(self, rt: Runtime, *, interval: float | None = None) -> None:
        self.rt = rt
        self.interval = rt.settings.import_poll_interval if interval is None else interval
        self.wakeup = asyncio.Event()
        rt.caches["import_wakeup"] = self.wakeup

    async def run_once(self) -> int:
        """Fetch the imports due now; returns how many were fetched."""
        due = await import_store.due(self.rt.store, self.rt.clock.now(), limit=BATCH)
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(import_id: int) -> None:
            async with gate:
                outcome = await imports.run(self.rt, import_id)
                log.info("import %s: %s %s", import_id, outcome.status, outcome.error or "")

        await asyncio.gather(*(one(i) for i in due))
        return len(due)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                n = await self.run_once()
            except Exception:  # keep the scheduler alive; statuses say what failed
                log.exception("import cycle failed")
                n = 0
            if n:
                await asyncio.sleep(0)  # SQLite calls never yield: let requests in between
                continue
            wait = self.interval
            nxt = await import_store.next_due_time(self.rt.store)
            if nxt is not None:
                wait = max(0.0, min(wait, nxt - self.rt.clock.now()))
            self.wakeup.clear()
            stopped = asyncio.create_task(stop.wait())
            woken = asyncio.create_task(self.wakeup.wait())
            try:
                await asyncio.wait(
                    [stopped, woken], timeout=max(wait, 0.01), return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                stopped.cancel()
                woken.cancel()
