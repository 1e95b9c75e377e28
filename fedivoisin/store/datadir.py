"""One server per data directory: an exclusive advisory lock held for the process's life.

Two servers on one SQLite file would each run delivery workers over the same queue and
send every activity twice; the second one must refuse to start, at once and saying who
holds the directory. `fcntl.flock` is released by the kernel when the holder dies, so a
SIGKILLed server never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ..errors import ConfigError

LOCK_NAME = "serve.lock"


class DataDirLock:
    """Held while the object lives (or until release())."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd = fd
        self.path = path

    @classmethod
    def acquire(cls, data_dir: Path) -> DataDirLock:
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise ConfigError(
                f"data directory {data_dir} is already served by process {holder}"
                " (one server per data directory; stop it first)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(fd, path)

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
