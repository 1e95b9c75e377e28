"""The retention job (docs/privacy.md "Retention"): personal data kept no longer than needed.

What it purges, each after its own configurable delay (0 = keep forever):
- `retention_delivered` (7 days): delivery rows once delivered or failed for good (they name
  recipients' inboxes);
- `retention_alert_deliveries` (1 day): delivery rows of expired alerts (who was alerted);
- `retention_received` (30 days): received activities of actors nobody here follows and no
  community counts as a member (with their inbox listings);
- `retention_reports` (365 days): resolved reports;
- webhook event payloads, after `retention_delivered`, once none of their calls is pending.
Processed inbox queue rows are purged by the inbox worker itself as it processes them.
`run_once()` does one pass (tests call it with an injected clock); `run()` loops every
`retention_interval` seconds and also refreshes subscribed blocklists when due.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from ..runtime import Runtime
from ..store import retention as store

log = logging.getLogger("fedivoisin.retention")


@dataclass(frozen=True)
class Purged:
    deliveries: int
    alert_deliveries: int
    activities: int
    reports: int
    webhook_events: int


class RetentionWorker:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def run_once(self) -> Purged:
        s, now = self.rt.settings, self.rt.clock.now()

        async def after(delay: float, fn: object) -> int:
            if delay <= 0:
                return 0
            return int(await fn(self.rt.store, now - delay))  # type: ignore[operator]

        purged = Purged(
            deliveries=await after(s.retention_delivered, store.delivered_deliveries),
            alert_deliveries=await after(s.retention_alert_deliveries, store.expired_deliveries),
            activities=await after(s.retention_received, store.unfollowed_activities),
            reports=await after(s.retention_reports, store.resolved_flags),
            webhook_events=await after(s.retention_delivered, store.webhook_events),
        )
        if any(vars(purged).values()):
            log.info("retention: %s", purged)
        return purged

    async def run(self, stop: asyncio.Event) -> None:
        from .domain_policies import refresh_subscriptions
        from .polls import close_ended

        while not stop.is_set():
            try:
                await self.run_once()
                await refresh_subscriptions(self.rt)
                await close_ended(self.rt)
            except Exception:  # keep the job alive; the next pass retries
                log.exception("retention pass failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.rt.settings.retention_interval)
            except TimeoutError:
                pass
