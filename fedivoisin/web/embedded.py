"""Run an ASGI app with uvicorn inside the current event loop (demo, test rig, benches).

Several servers then share one loop and one process, and start in milliseconds.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import uvicorn


class _QuickServer(uvicorn.Server):
    """uvicorn.Server without its fixed 100 ms sleeps on each tick and at shutdown.

    Why: the test suite starts and stops hundreds of instances; those sleeps alone cost
    tens of seconds. Same app, same lifespan (workers stopped, store closed), just polled
    more often. Production `fedivoisin serve` uses plain uvicorn.run.
    """

    async def main_loop(self) -> None:
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864_000
            await asyncio.sleep(0.01)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[Any] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        deadline = time.monotonic() + 5.0
        while self.server_state.connections or self.server_state.tasks:
            if time.monotonic() > deadline:
                for task in self.server_state.tasks:
                    task.cancel()
                break
            await asyncio.sleep(0.005)
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()


async def _serve(server: uvicorn.Server) -> None:
    """uvicorn ends a failed start-up with `sys.exit`: in a task that shares the caller's
    loop, SystemExit would escape the loop itself and break every later test or server on
    it. Turned into an ordinary error that `start` reports."""
    try:
        await server.serve()
    except SystemExit as exc:
        raise RuntimeError(f"the app failed to start (uvicorn exit {exc.code})") from None


class EmbeddedServer:
    def __init__(
        self, app: Any, port: int, *, host: str = "127.0.0.1", lifespan: str = "on"
    ) -> None:
        self.config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", lifespan=lifespan, loop="none"
        )
        self.server: _QuickServer | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 10.0) -> None:
        self.server = _QuickServer(self.config)
        self.task = asyncio.create_task(_serve(self.server))
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if self.task.done():
                self.task.result()
                raise RuntimeError("server exited during start")
            if time.monotonic() > deadline:
                raise TimeoutError("server did not start")
            await asyncio.sleep(0.005)

    async def stop(self, timeout: float = 10.0) -> None:
        if self.server is None or self.task is None:
            return
        self.server.should_exit = True
        try:
            await asyncio.wait_for(self.task, timeout)
        except TimeoutError:
            self.task.cancel()
        self.server = None
        self.task = None

    @property
    def running(self) -> bool:
        return self.server is not None
