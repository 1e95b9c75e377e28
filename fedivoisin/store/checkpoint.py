"""WAL checkpoints in a thread of their own, for the server's SQLite database.

Why: SQLite copies its write-ahead log back into the database file (a checkpoint) inside
the COMMIT that takes the log past 1,000 pages, and with `synchronous=NORMAL` that copy
ends in two fsyncs. The server's one connection commits on the event loop's thread, so
every few hundred inbox activities one COMMIT stalled the whole loop for ~20 ms: about a
fifth of the wall time of an inbox burst went to waiting for the disk
(docs/performance.md, "Inbox processing"). Here a second connection checkpoints from its
own thread (sqlite3 releases the GIL), PASSIVE so that it never blocks a writer or reader.

The loop's connection keeps an automatic checkpoint, at a much larger log
(`WAL_BOUND_PAGES`), as a bound: a passive checkpoint cannot restart the log while
commits keep arriving, so under a long flood the log would otherwise grow without end.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger("fedivoisin.store")

#: How often the thread looks at the log. A checkpoint with nothing to copy costs a few
#: microseconds and no fsync.
INTERVAL = 0.05
#: The loop's connection checkpoints itself past this many log pages (~32 MB): only when
#: the thread cannot keep up.
WAL_BOUND_PAGES = 8000


class Checkpointer:
    def __init__(self, path: Path, *, interval: float = INTERVAL) -> None:
        self.path = path
        self.interval = interval
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"sqlite-checkpoint:{path.name}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        try:
            db = sqlite3.connect(str(self.path), isolation_level=None, timeout=0)
        except sqlite3.Error as exc:  # the file went away before the thread started
            log.warning("background checkpoints off for %s: %s", self.path, exc)
            return
        try:
            while not self._stop.wait(self.interval):
                if not self.path.exists():
                    return
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.runs += 1
                except sqlite3.Error as exc:
                    # Busy (another process's checkpoint) or gone: the next turn retries,
                    # and the loop's own bound still holds the log.
                    log.debug("background checkpoint of %s: %s", self.path, exc)
        finally:
            db.close()
