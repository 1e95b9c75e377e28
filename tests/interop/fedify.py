"""Interop helpers: the Fedify peer process and its /_control/ client, and fedivoisin-side
helpers (C2S posts, inbox listings, the durable inbox queue) shared by the interop tests."""

from __future__ import annotations

import asyncio
import select
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.rig import AS2, Instance, wait_for

ROOT = Path(__file__).resolve().parents[2]
PEER_DIR = ROOT / "interop" / "fedify-peer"
NODE = PEER_DIR / "node_modules" / ".bin" / "node"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


class PeerError(AssertionError):
    """A control call answered with an unexpected status."""


class FedifyPeer:
    """One running `peer.mjs` process and an async client for its /_control/ API.

    Async because the fedivoisin instance under test runs in the test's own event loop:
    a blocking call would stall it while Fedify is fetching our actor.
    """

    def __init__(self, log_dir: Path, name: str, **options: str) -> None:
        self.log_path = log_dir / f"{name}.stderr.log"
        args = [str(NODE), "peer.mjs", "--port", "0", "--log-level", "warning"]
        for key, value in options.items():
            args += [f"--{key.replace('_', '-')}", value]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            args, cwd=PEER_DIR, stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL
        )
        self.port = self._read_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.username = options.get("username", "alice")
        self.actor = f"{self.base}/users/{self.username}"
        self.inbox = f"{self.actor}/inbox"
        self.shared_inbox = f"{self.base}/inbox"
        self.handle = f"acct:{self.username}@127.0.0.1:{self.port}"

    def _read_port(self) -> int:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        line = b""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                line = self.proc.stdout.readline()
                if line.startswith(b"LISTENING "):
                    return int(line.split()[1])
        self.stop()
        raise RuntimeError(
            f"the Fedify peer did not print LISTENING within {START_TIMEOUT}s"
            f" (stdout {line!r}); stderr:\n{self.stderr_tail()}"
        )

    def stderr_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()

    # -- the control API ---------------------------------------------------------------

    async def request(
        self,
        method: str,
        route: str,
        body: dict[str, Any] | None = None,
        *,
        params: dict[str, Any] | None = None,
        expect: tuple[int, ...] = (200,),
        timeout: float = 30.0,
    ) -> Any:
        async with httpx.AsyncClient(base_url=self.base, timeout=timeout) as client:
            r = await client.request(method, f"/_control/{route}", json=body, params=params)
        if r.status_code not in expect:
            raise PeerError(
                f"{method} /_control/{route} {body!r} -> {r.status_code}: {r.text[:3000]}"
                f"\n--- peer stderr ---\n{self.stderr_tail()}"
            )
        return r.json()

    async def call(self, route: str, body: dict[str, Any] | None = None, **kw: Any) -> Any:
        return await self.request("POST", route, body or {}, **kw)

    async def get(self, route: str, **params: Any) -> Any:
        return await self.request("GET", route, params=params or None)

    async def health(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.get("health")
        return result

    async def reset(self, *, everything: bool = True) -> None:
        await self.call("reset", {"all": everything})

    async def received(
        self, *, wait: float = 0, min: int = 1, **filters: Any
    ) -> list[dict[str, Any]]:
        """Activities Fedify verified and handed to a listener (see README: received)."""
        params = {k: v for k, v in filters.items() if v is not None}
        if wait:
            params.update(wait=wait, min=min)
        result: list[dict[str, Any]] = await self.request(
            "GET", "received", params=params, timeout=wait + 10
        )
        return result

    async def wait_received(self, timeout: float = 10.0, **filters: Any) -> dict[str, Any]:
        """The first received activity matching `filters`, waiting at most `timeout`.

        The record is returned as soon as the listener ran; Fedify's verdict
        (`verification`) is filled when its span ends, just after: wait for that too.
        """
        got = await self.received(wait=timeout, **filters)
        if not got:
            rejected = await self.get("rejected")
            log = await self.get("inbox-log")
            raise AssertionError(
                f"Fedify received nothing matching {filters} within {timeout}s;"
                f" rejected={rejected!r}; inbox-log={log!r}\n{self.stderr_tail()}"
            )
        rec = got[0]
        deadline = time.monotonic() + 5.0
        while "activityVerified" not in (rec.get("verification") or {}):
            if time.monotonic() > deadline:
                raise AssertionError(f"Fedify recorded no verification verdict for {rec['id']}")
            await asyncio.sleep(0.05)
            rec = (await self.received(id=rec["id"]))[0]
        return rec

    async def inbox_log(self, activity_id: str) -> list[dict[str, Any]]:
        """Fedify's log of inbox POSTs carrying `activity_id` (scheme, verdict, status)."""
        log: list[dict[str, Any]] = await self.get("inbox-log")
        return [e for e in log if e["activityId"] == activity_id]

    async def lookup(self, url: str, **kw: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("lookup", {"url": url, **kw})
        return result

    async def lookup_object(self, url: str, **kw: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("lookup-object", {"url": url, **kw})
        return result


# -- fedivoisin side helpers ---------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": AS2, "Accept": AS2}


async def c2s(inst: Instance, slug: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST to a local actor's outbox (client-to-server); returns the published activity."""
    async with inst.http() as c:
        r = await c.post(f"/actors/{slug}/outbox", json=body, headers=bearer(token))
    assert r.status_code == 201, f"C2S {body.get('type')} by {slug}: {r.status_code} {r.text}"
    result: dict[str, Any] = r.json()
    return result


async def inbox_items(inst: Instance, slug: str, token: str) -> list[dict[str, Any]]:
    async with inst.http() as c:
        r = await c.get(f"/actors/{slug}/inbox?page=1", headers=bearer(token))
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["orderedItems"]
    return items


async def wait_inbox(
    inst: Instance,
    slug: str,
    token: str,
    predicate: Callable[[dict[str, Any]], bool],
    timeout: float = 10.0,
) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        return next((i for i in await inbox_items(inst, slug, token) if predicate(i)), None)

    item: dict[str, Any] = await wait_for(found, timeout=timeout)
    return item


async def received_rows(inst: Instance, actor: str | None = None) -> list[dict[str, Any]]:
    """Rows of our durable inbox queue (state pending|done|failed, error)."""
    store = inst.rt.store
    sql = "SELECT activity_uri, actor_uri, recipient, state, attempts, error FROM received"
    rows = await store.fetchall(
        sql + (" WHERE actor_uri = ?" if actor else ""), (actor,) if actor else ()
    )
    return [dict(r) for r in rows]


async def wait_processed(inst: Instance, activity_id: str, timeout: float = 10.0) -> dict[str, Any]:
    """Wait until our inbox worker finished the row of `activity_id`; return it."""

    async def done() -> dict[str, Any] | None:
        row = await inst.rt.store.fetchone(
            "SELECT activity_uri, state, attempts, error FROM received WHERE activity_uri = ?",
            (activity_id,),
        )
        return dict(row) if row is not None and row["state"] != "pending" else None

    row: dict[str, Any] = await wait_for(done, timeout=timeout)
    return row


@dataclass
class Scene:
    """An instance whose community `les-lilas` the Fedify actor follows (Accept received)."""

    inst: Instance
    fedify: FedifyPeer
    community: str
    token: str
