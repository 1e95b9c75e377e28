"""One server, and one job runner, per data directory: exclusive advisory locks held for
the process's life.

Two servers on one SQLite file would each run delivery workers over the same queue and
send every activity twice; the second one must refuse to start, at once and saying who
holds the directory. The jobs have a lock of their own (`jobs.lock`): on SQLite they run
either inside `serve` or in one `fedivoisin worker` beside a `serve --no-jobs` (issue 14:
the worker processes on a core of its own), never in both. `fcntl.flock` is released by
the kernel when the holder dies, so a SIGKILLed process never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ..errors import ConfigError

LOCK_NAME = "serve.lock"
JOBS_LOCK_NAME = "jobs.lock"


class DataDirLock:
    """Held while the object lives (or until release())."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd = fd
        self.path = path

    @classmethod
    def acquire(cls, data_dir: Path, name: str = LOCK_NAME) -> DataDirLock:
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / name
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            if name == JOBS_LOCK_NAME:
                raise ConfigError(
                    f"the jobs of data directory {data_dir} already run in process {holder}"
                    " (one job-running process on SQLite: `serve` runs them, unless started"
                    " with --no-jobs beside one `fedivoisin worker`)"
                ) from None
            raise ConfigError(
                f"data directory {data_dir} is already served by process {holder}"
                " (one server per data directory; stop it first)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(fd, path)

    @classmethod
    def acquire_all(cls, data_dir: Path, names: list[str]) -> list[DataDirLock]:
        """Each lock in order, or none: a refusal releases those already taken."""
        held: list[DataDirLock] = []
        try:
            for name in names:
                held.append(cls.acquire(data_dir, name))
        except BaseException:
            for lock in held:
                lock.release()
            raise
        return held

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
