"""The running instance's shared state: settings, store, clock, URL map, caches, workers.

Created once by web.app.create_app (nothing opens at import), passed to every route and
worker. Tests build one per instance, so several instances live in one process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .clock import Clock, SystemClock
from .config import Settings
from .metrics import Metrics
from .protocol.urls import Urls
from .store import blocks as block_store
from .store.db import Store

if TYPE_CHECKING:
    from .http import HttpClient

log = logging.getLogger("fedivoisin")

BLOCK_REFRESH_SECONDS = 2.0


@dataclass
class Runtime:
    settings: Settings
    store: Store
    clock: Clock = field(default_factory=SystemClock)
    urls: Urls = field(init=False)
    _blocked: frozenset[str] = frozenset()
    _blocked_at: float = -1e18
    _suspended: frozenset[str] = frozenset()
    http_client: HttpClient | None = None
    caches: dict[str, Any] = field(default_factory=dict)
    metrics: Metrics = field(default_factory=Metrics)  # Prometheus (docs/operations.md)

    def __post_init__(self) -> None:
        self.urls = Urls(self.settings.origin)

    async def blocked_hosts(self) -> frozenset[str]:
        """Domain blocks, re-read every few seconds so CLI changes apply to a running server."""
        now = self.clock.now()
        if now - self._blocked_at > BLOCK_REFRESH_SECONDS or now < self._blocked_at:
            self._blocked = await block_store.all_hosts(self.store)
            self._suspended = await block_store.suspended_actors(self.store)
            self._blocked_at = now
        return self._blocked

    def is_suspended_cached(self, actor_uri: str) -> bool:
        """A remote account suspended by a moderator (read with blocked_hosts)."""
        return actor_uri in self._suspended

    def is_blocked_cached(self, host: str) -> bool:
        return block_store.is_blocked_in(self._blocked, host)

    async def is_blocked(self, host: str) -> bool:
        return block_store.is_blocked_in(await self.blocked_hosts(), host)

    @property
    def allowlist(self) -> frozenset[str] | None:
        """Closed federation (setting federation_mode = "allowlist"): the allowed domains;
        None when federation is open."""
        if self.settings.federation_mode != "allowlist":
            return None
        found = self.caches.get("allowlist")
        if found is None:
            found = frozenset(
                block_store.normalise_host(h)
                for h in self.settings.allowed_domains.split(",")
                if h.strip()
            )
            self.caches["allowlist"] = found
        return found  # type: ignore[no-any-return]

    def federates_with(self, host: str) -> bool:
        """False for a domain closed federation leaves out (our own domain always passes).
        Suspensions are separate (is_blocked), so webhooks to an app are not affected."""
        allowed = self.allowlist
        if allowed is None:
            return True
        bare = host.lower().rsplit(":", 1)[0] if host.count(":") == 1 else host.lower()
        own = self.urls.domain.rsplit(":", 1)[0]
        return bare == own or block_store.is_blocked_in(allowed, host)

    def invalidate_blocks(self) -> None:
        self._blocked_at = -1e18
