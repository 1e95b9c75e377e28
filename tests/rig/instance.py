"""The one federation test rig: real fedivoisin instances on 127.0.0.1 free ports.

`Instance` runs uvicorn in-process (fast; several instances share the test's event loop);
`ProcessInstance` runs `python -m fedivoisin serve` as a child process (for restarts and
SIGKILL). Both expose the same helpers: `base_url`, `actor(slug)`, `http`, `admin(...)`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from fedivoisin import admin
from fedivoisin.clock import Clock, SystemClock
from fedivoisin.config import Settings, load_settings
from fedivoisin.protocol.urls import Urls
from fedivoisin.web.app import create_app
from fedivoisin.web.embedded import EmbeddedServer

AS2 = "application/activity+json"

# Fast defaults for tests: short retries, fast polling. Tests override per case.
TEST_SETTINGS: dict[str, Any] = {
    "allow_private_networks": True,
    "retry_base_delay": 0.2,
    "retry_max_delay": 2.0,
    "worker_poll_interval": 0.05,
    "log_level": "warning",
    # Shutdown drain of sends in flight: short, tests stop instances with peers that never
    # answer (tests/delivery/test_leases.py sets its own).
    "delivery_drain": 1.0,
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_for(
    condition: Callable[[], Awaitable[Any]], timeout: float = 10.0, interval: float = 0.05
) -> Any:
    """Poll an async condition until truthy; fail loudly after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await condition()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


class _Base:
    settings: Settings

    @property
    def base_url(self) -> str:
        return self.settings.origin

    @property
    def urls(self) -> Urls:
        return Urls(self.settings.origin)

    @property
    def domain(self) -> str:
        return self.urls.domain

    def actor(self, slug: str) -> str:
        return self.urls.actor(slug)

    def handle(self, slug: str) -> str:
        return f"acct:{slug}@{self.domain}"

    def http(self, **kw: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=10.0, **kw)

    async def admin(self, fn: Callable[..., Awaitable[Any]], *args: Any, **kw: Any) -> Any:
        """Run an admin operation against this instance's data dir, like the CLI does."""
        from fedivoisin.store.db import Store

        store = await Store.open(self.settings.database)
        try:
            return await fn(store, SystemClock(), *args, **kw)
        finally:
            await store.close()

    async def community(
        self, slug: str, name: str | None = None, kind: str = "building", **kw: Any
    ) -> str:
        await self.admin(admin.create_community, slug, name=name or slug.title(), kind=kind, **kw)
        return self.actor(slug)

    async def person(self, slug: str, type_: str = "Person", **kw: Any) -> str:
        await self.admin(
            admin.create_actor, slug, type_=type_, name=kw.pop("name", slug.title()), **kw
        )
        return self.actor(slug)

    async def token(self, slug: str) -> str:
        token: str = await self.admin(admin.create_token, slug)
        return token

    async def get_json(self, url: str, **headers: str) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10.0) as c:
            return await c.get(url, headers={"Accept": AS2, **headers})


def make_settings(data_dir: Path, port: int, **overrides: Any) -> Settings:
    flags = {**TEST_SETTINGS, **overrides, "data_dir": data_dir, "port": port}
    flags.setdefault("base_url", f"http://127.0.0.1:{port}")
    return load_settings(flags, env={})


class Instance(_Base):
    """An in-process instance. `async with Instance(tmp_path / "a") as a: ...`"""

    def __init__(self, data_dir: Path, *, clock: Clock | None = None, **overrides: Any) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.settings = make_settings(data_dir, self.port, **overrides)
        self.clock = clock
        self._server: EmbeddedServer | None = None

    @property
    def rt(self) -> Any:
        """The live Runtime of the running app (same loop as the test)."""
        assert self._server is not None
        return self._app.state.runtime

    async def local(self, slug: str) -> Any:
        from fedivoisin.store import actors as actor_store

        return await actor_store.require_actor(self.rt.store, slug)

    async def c2s(self, slug: str, token: str, body: dict[str, Any]) -> httpx.Response:
        async with self.http() as c:
            return await c.post(
                f"/actors/{slug}/outbox",
                json=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": AS2},
            )

    async def inbox(self, slug: str, token: str) -> list[dict[str, Any]]:
        async with self.http() as c:
            r = await c.get(
                f"/actors/{slug}/inbox?page=1",
                headers={"Authorization": f"Bearer {token}", "Accept": AS2},
            )
            r.raise_for_status()
            items: list[dict[str, Any]] = r.json()["orderedItems"]
            return items

    async def start(self) -> Instance:
        self._app = create_app(self.settings, clock=self.clock)
        self._server = EmbeddedServer(self._app, self.port)
        await self._server.start()
        return self

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop()
            self._server = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def __aenter__(self) -> Instance:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class _Child:
    """A child process of the test (a server or a worker): SIGTERM, or SIGKILL."""

    proc: subprocess.Popen[bytes] | None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    async def terminate(self) -> None:
        """SIGTERM, then SIGKILL after 10 s. Waits without blocking the loop: peers served
        by this test process (receivers) must still answer the sends the child drains on
        its way out."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            deadline = time.monotonic() + 10
            while self.proc.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            self.kill()


class ProcessInstance(_Base, _Child):
    """A child process running `python -m fedivoisin serve`, for restarts and SIGKILL."""

    def __init__(self, data_dir: Path, *, port: int | None = None, **overrides: Any) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.settings = make_settings(data_dir, self.port, **overrides)
        self.overrides = overrides
        self.proc: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEDIVOISIN_")}
        for f in dataclasses.fields(Settings):
            if f.name in ("extra", "data_dir", "port", "host"):
                continue
            value = getattr(self.settings, f.name)
            env["FEDIVOISIN_" + f.name.upper()] = (
                ("1" if value else "0") if isinstance(value, bool) else str(value)
            )
        return env

    async def start(self) -> ProcessInstance:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(self.data_dir / "server.log", "ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fedivoisin",
                "serve",
                "--data-dir",
                str(self.data_dir),
                "--port",
                str(self.port),
                "--host",
                "127.0.0.1",
            ],
            env=self.env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

        async def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited: {(self.data_dir / 'server.log').read_text()[-2000:]}"
                )
            try:
                async with httpx.AsyncClient(timeout=1.0) as c:
                    r = await c.get(self.base_url + "/.well-known/nodeinfo")
                    return r.status_code == 200
            except httpx.HTTPError:
                return False

        try:
            await wait_for(up, timeout=20, interval=0.1)
        except BaseException:
            self.kill()  # never leave a server behind when its start-up is not seen
            raise
        return self

    async def stop(self) -> None:
        await self.terminate()
        self.proc = None
        if hasattr(self, "log"):
            self.log.close()

    async def __aenter__(self) -> ProcessInstance:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class WorkerProcess(_Child):
    """`python -m fedivoisin worker` with the settings of a ProcessInstance (its data
    directory and database): the job-running process beside a `serve --no-jobs`."""

    def __init__(self, like: ProcessInstance) -> None:
        self.like = like
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> WorkerProcess:
        self.like.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.like.data_dir / f"worker-{id(self)}.log", "ab")
        self.log_path = Path(log.name)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fedivoisin", "worker", "--data-dir", str(self.like.data_dir)],
            env=self.like.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

        async def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_path.read_text()[-2000:]}")
            return "fedivoisin worker" in self.log_path.read_text()

        await wait_for(up, timeout=20, interval=0.05)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def stop(self) -> None:
        await self.terminate()
