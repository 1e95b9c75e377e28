"""Taking turns at SQLite's write lock between processes (issue 14 item 3).

Why: SQLite has no queue for its write lock; a process that finds it busy retries later
(store/db.py, `Store._run`). A `fedivoisin worker` beside a `serve --no-jobs` writes
nearly all the time during a burst, one batch transaction after another, and the web
process, whose event loop is busy verifying signatures, rarely retried within the few
milliseconds between two batches: measured, it waited ~30 ms for each of its group
commits (bench/inbox_bench.py, docs/performance.md), so the web process accepted at half
its own rate.

How: a process waiting for the write lock holds a shared `flock` on `<db>.turns` while it
waits; the inbox worker checks for one between the rows of a batch (`wanted`: an exclusive
flock tried and dropped, two system calls of a microsecond) and then commits early, and
before it begins the next batch it gives way while anyone still waits (`give_way`). The
web's writes are short group commits; the worker's batches resume as soon as they are
done. Within one process
the asyncio lock of `Store` already orders writers, and a process's own shared lock never
blocks its own exclusive attempt (one open file), so this costs nothing there.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The longest a batch gives way: a waiter stuck behind a long transaction of a third
#: process (a backup, a migration) must not stop the worker for long.
GIVE_WAY_AT_MOST = 0.1
_POLL = 0.0005


class WriteTurns:
    def __init__(self, db_path: Path | None) -> None:
        """db_path None: no file to share (PostgreSQL's store, which never waits so)."""
        self._fd = (
            -1
            if db_path is None
            else os.open(db_path.with_name(db_path.name + ".turns"), os.O_RDWR | os.O_CREAT, 0o600)
        )
        self._waiters = 0

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """Announce a wait for the write lock, for as long as it lasts."""
        if self._waiters == 0:
            _try_flock(self._fd, fcntl.LOCK_SH)
        self._waiters += 1
        try:
            yield
        finally:
            self._waiters -= 1
            if self._waiters == 0:
                _try_flock(self._fd, fcntl.LOCK_UN)

    def wanted(self) -> bool:
        """Whether another process waits for the write lock now (a batch in progress
        then commits early)."""
        if self._fd < 0 or self._waiters:
            return False
        if _try_flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB):
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            return False
        return True

    async def give_way(self) -> None:
        """Return once no other process is waiting for the write lock (or after
        GIVE_WAY_AT_MOST)."""
        if self._fd < 0 or self._waiters:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GIVE_WAY_AT_MOST
        while not _try_flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB):
            if loop.time() >= deadline:
                return
            await asyncio.sleep(_POLL)
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _try_flock(fd: int, op: int) -> bool:
    if fd < 0:
        return True
    try:
        fcntl.flock(fd, op if op & fcntl.LOCK_UN else op | fcntl.LOCK_NB)
    except (BlockingIOError, OSError):
        return False
    return True
