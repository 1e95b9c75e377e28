"""The background jobs of an instance (inbox, deliveries, imports, retention), started by
`serve` in-process or by `fedivoisin worker` processes of their own (docs/deploy.md).

One place for both so that a worker process runs exactly what the server would: on
SQLite the jobs live in the one server process, or in one `worker` process beside a
`serve --no-jobs` (processes.watch wakes it); on PostgreSQL any number of `serve
--no-jobs` web processes and `worker` processes share the queues (rows are claimed with
FOR UPDATE SKIP LOCKED and leases, see store/inbox_queue.py and store/deliveries.py).
"""

from __future__ import annotations

import asyncio
import logging

from . import processes
from .inbox.worker import WORKER_BATCH, InboxWorker
from .outbox.delivery import DeliveryWorker
from .outbox.import_worker import ImportWorker
from .outbox.retention import RetentionWorker
from .runtime import Runtime

log = logging.getLogger("fedivoisin.jobs")


class Jobs:
    def __init__(self, rt: Runtime, kind: str = "serve") -> None:
        self.rt = rt
        self.kind = kind
        self.stop_event = asyncio.Event()
        self.inbox = InboxWorker(rt)
        self.delivery = DeliveryWorker(rt)
        self.imports = ImportWorker(rt)
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        rt, stop = self.rt, self.stop_event
        if processes.shared(rt):
            await processes.beat(rt, self.kind)  # before the first cycle divides limits
        self.tasks = [
            asyncio.create_task(self.inbox.run(stop)),
            asyncio.create_task(self.delivery.run(stop)),
            asyncio.create_task(self.imports.run(stop)),
            asyncio.create_task(RetentionWorker(rt).run(stop)),
        ]
        if processes.shared(rt):
            self.tasks.append(asyncio.create_task(processes.heartbeat(rt, self.kind, stop)))
            self.tasks.append(asyncio.create_task(processes.listen(rt, stop)))
        elif self.kind == "worker":  # SQLite, beside a `serve --no-jobs`
            self.inbox.batch_rows, self.inbox.batch_seconds = WORKER_BATCH
            self.tasks.append(asyncio.create_task(processes.watch(rt, stop)))

    async def stop(self) -> None:
        """Drain: sends in flight finish and are recorded (a restart must not send them
        again); what does not finish in time stays leased (outbox/delivery.py)."""
        self.delivery.stopping.set()
        self.stop_event.set()
        if self.tasks:
            await asyncio.wait(self.tasks[1:2], timeout=self.rt.settings.delivery_drain)
        if self.tasks[4:5]:  # the heartbeat's last write (removing this process) may finish
            await asyncio.wait(self.tasks[4:5], timeout=1.0)
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
