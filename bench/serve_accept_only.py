"""`fedivoisin serve` with the inbox worker paused: a DIAGNOSTIC for bench/inbox_bench.py.

It measures the accept path alone (authenticate + durable INSERT + 202), to separate its
cost from the processing the worker does in the same process. Not a way to run a server:
nothing received is processed while it runs (the rows stay queued, durable, for later).

    python bench/serve_accept_only.py serve --data-dir D --port P
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fedivoisin.cli import main
from fedivoisin.inbox import worker


async def _paused(self: worker.InboxWorker, stop: asyncio.Event) -> None:
    await stop.wait()


worker.InboxWorker.run = _paused  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
