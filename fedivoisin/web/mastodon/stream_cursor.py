"""The keyset cursor of one streamed timeline: what it has sent, and from where it reads.

Why not just `id > last sent`: on PostgreSQL an id is taken at INSERT and becomes visible
at COMMIT, so with several processes (or one long transaction) a row with a lower id can
appear after a higher one was streamed; a plain cursor would have skipped it for good.
The cursor therefore re-reads the ids of the last `OVERLAP` seconds and sends only those
it has not sent yet; ids older than that are settled and never read again.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from ...store.mastodon import Page

#: How long a row may take from its id to its COMMIT and still be streamed. The inbox
#: worker and the API commit each row in milliseconds; batches last at most 25 ms.
OVERLAP = 2.0
#: Pages read per look, so a flood is caught up on without an unbounded loop.
MAX_PAGES = 10
PAGE = 40

_T = TypeVar("_T")


@dataclass
class StreamCursor:
    settled: int = 0
    clock: Callable[[], float] = time.monotonic
    sent: set[int] = field(default_factory=set)
    top: int = 0
    _marks: deque[tuple[float, int]] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.top = max(self.top, self.settled)

    async def unsent(
        self, fetch: Callable[[Page], Awaitable[list[_T]]], key: Callable[[_T], int]
    ) -> list[_T]:
        """The rows past the settled id not sent yet, oldest pages first; marks them sent."""
        out: list[_T] = []
        low = self.settled
        for _ in range(MAX_PAGES):
            rows = await fetch(Page(min_id=low, limit=PAGE))
            out += [r for r in rows if key(r) not in self.sent]
            if len(rows) < PAGE:
                break
            low = max(key(r) for r in rows)
        self.saw(key(r) for r in out)
        return out

    def saw(self, ids: Iterable[int]) -> None:
        """Record ids as sent (or read and left out) and let the settled id move on."""
        for i in ids:
            self.sent.add(i)
            self.top = max(self.top, i)
        now = self.clock()
        self._marks.append((now, self.top))
        while self._marks and now - self._marks[0][0] >= OVERLAP:
            self.settled = max(self.settled, self._marks.popleft()[1])
        self.sent = {i for i in self.sent if i > self.settled}
