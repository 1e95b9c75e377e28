"""Requests forbidden while a database write lock is held (the inbox worker's batches).

Set while the inbox worker processes a batch of activities inside one database
transaction (inbox/worker.py): the transaction holds SQLite's write lock, so waiting on a
peer there would stall every writer. The one outbound client (net/client.py) raises
NetworkNeeded for a request made then, and the activity is processed again alone, after
the batch's COMMIT.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_OFFLINE: ContextVar[bool] = ContextVar("fedivoisin_offline", default=False)


class NetworkNeeded(BaseException):
    """Raised by a network request made inside `offline()`. A BaseException so that a
    handler's `except Exception` around a fetch cannot mistake it for a failed fetch."""


@contextmanager
def offline() -> Iterator[None]:
    token = _OFFLINE.set(True)
    try:
        yield
    finally:
        _OFFLINE.reset(token)


def is_offline() -> bool:
    return _OFFLINE.get()
