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
    http_client: HttpClient | None = None
    caches: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.urls = Urls(self.settings.origin)

    async def blocked_hosts(self) -> frozenset[str]:
        """Domain blocks, re-read every few seconds so CLI changes apply to a running server."""
        now = self.clock.now()
        if now - self._blocked_at > BLOCK_REFRESH_SECONDS or now < self._blocked_at:
            self._blocked = await block_store.all_hosts(self.store)
            self._blocked_at = now
        return self._blocked

    def is_blocked_cached(self, host: str) -> bool:
        return block_store.is_blocked_in(self._blocked, host)

    async def is_blocked(self, host: str) -> bool:
        return block_store.is_blocked_in(await self.blocked_hosts(), host)

    def invalidate_blocks(self) -> None:
        self._blocked_at = -1e18
