"""The bovine peer: bovine-herd (PyPI, interop/bovine-peer) on a free loopback port, and an
async client for the /_control/ API of our launcher (interop/bovine-peer/peer.py).

bovine-herd runs in its own virtual environment (interop/bovine-peer/.venv, installed by
scripts/test from the pinned requirements.txt) because its dependencies (Quart, tortoise-orm,
pydantic…) are not ours. Its JSON-LD context cache is seeded with the contexts we bundle, so
it never fetches one from the Internet; everything else is bovine's own code.
"""

from __future__ import annotations

import json
import select
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from fedivoisin.protocol.context import BUNDLED_CONTEXTS, context_document
from tests.rig import wait_for

ROOT = Path(__file__).resolve().parents[2]
PEER_DIR = ROOT / "interop" / "bovine-peer"
PYTHON = PEER_DIR / ".venv" / "bin" / "python"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0

#: bovine ships its own ActivityStreams context (it checks its cache first, so these are
#: left out of the seed to keep bovine's behaviour).
_BOVINE_OWN = {
    "https://www.w3.org/ns/activitystreams",
    "http://www.w3.org/ns/activitystreams",
    "https://www.w3.org/ns/activitystreams.jsonld",
}


class BovineError(AssertionError):
    """A control call answered with an unexpected status."""


def write_contexts(path: Path) -> Path:
    """The real contexts we bundle, as bovine's context cache wants them (url -> @context)."""
    seed = {
        url: json.loads(context_document(name))["@context"]
        for url, name in BUNDLED_CONTEXTS.items()
        if url not in _BOVINE_OWN
    }
    path.write_text(json.dumps(seed), encoding="utf-8")
    return path


class BovinePeer:
    """One running bovine-herd process with one registered actor."""

    def __init__(self, data_dir: Path, handle: str = "milkdrinker") -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        contexts = write_contexts(data_dir / "contexts.json")
        self.log_path = data_dir / "stderr.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [
                str(PYTHON),
                str(PEER_DIR / "peer.py"),
                *("--data", str(data_dir / "bovine")),
                *("--handle", handle, "--contexts", str(contexts)),
            ],
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
        )
        self.port, self.actor = self._read_listening()
        self.base = f"http://127.0.0.1:{self.port}"
        self.username = handle
        self.handle = f"acct:{handle}@127.0.0.1:{self.port}"

    def _read_listening(self) -> tuple[int, str]:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.proc.poll() is None:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                line = self.proc.stdout.readline()
                if line.startswith(b"LISTENING "):
                    _, port, actor = line.decode().split()
                    return int(port), actor
        self.stop()
        raise RuntimeError(f"bovine did not start within {START_TIMEOUT}s:\n{self.stderr_tail()}")

    def stderr_tail(self, lines: int = 40) -> str:
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
        params: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> Any:
        async with httpx.AsyncClient(base_url=self.base, timeout=30.0) as client:
            r = await client.request(method, f"/_control/{route}", json=body, params=params)
        if r.status_code not in expect:
            raise BovineError(
                f"{method} /_control/{route} {body!r} -> {r.status_code}: {r.text[:3000]}"
                f"\n--- bovine stderr ---\n{self.stderr_tail()}"
            )
        return r.json()

    async def health(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("GET", "health")
        return result

    async def lookup(self, url: str, *, expect: tuple[int, ...] = (200,)) -> dict[str, Any]:
        """bovine retrieves `url` (or resolves an acct: URI by WebFinger first)."""
        result: dict[str, Any] = await self.request("POST", "lookup", {"url": url}, expect=expect)
        return result

    async def send(self, activity: dict[str, Any]) -> str:
        """POST `activity` to the actor's outbox as a bovine client does; the new id."""
        result = await self.request("POST", "outbox", activity)
        if result["status"] != 201 or not result["location"]:
            raise BovineError(f"bovine's outbox answered {result}\n{self.stderr_tail()}")
        location: str = result["location"]
        return location

    async def stored(self, object_id: str) -> dict[str, Any] | None:
        async with httpx.AsyncClient(base_url=self.base, timeout=30.0) as client:
            r = await client.get("/_control/object", params={"id": object_id})
        return r.json() if r.status_code == 200 else None

    async def collection(self, name: str) -> list[str]:
        result: list[str] = await self.request("GET", "collection", params={"name": name})
        return result

    async def received(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.request("GET", "received")
        return result

    async def wait_received(self, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        """The first activity bovine's inbox accepted (signature verified) and processed
        whose fields equal `match` (`object_id` matches the object's id)."""

        def fits(rec: dict[str, Any]) -> bool:
            act = rec["activity"]
            for key, value in match.items():
                if key == "object_id":
                    obj = act.get("object")
                    if (obj.get("id") if isinstance(obj, dict) else obj) != value:
                        return False
                elif act.get(key) != value:
                    return False
            return True

        async def found() -> dict[str, Any] | None:
            return next((r for r in await self.received() if fits(r)), None)

        try:
            rec: dict[str, Any] = await wait_for(found, timeout=timeout)
        except Exception as exc:
            raise AssertionError(
                f"bovine received nothing matching {match} within {timeout}s;"
                f" received={await self.received()!r}\n{self.stderr_tail()}"
            ) from exc
        assert rec["error"] is None, rec
        return rec

    async def wait_stored(
        self, object_id: str, predicate: Any = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        async def found() -> dict[str, Any] | None:
            obj = await self.stored(object_id)
            return obj if obj is not None and (predicate is None or predicate(obj)) else None

        result: dict[str, Any] = await wait_for(found, timeout=timeout)
        return result
