"""Client API benchmark (issue 11): `GET /api/v1/timelines/home` with 1,000 statuses from
200 followed accounts, against a minimal Starlette endpoint returning the same JSON (and
Link header) in the same run. Goal: ≥ 0.3× the minimal endpoint's requests per second.

Both servers are uvicorn (uvloop + httptools) child processes pinned to CPU 0, the load
generator (aiohttp, CONCURRENCY connections, GETs with the resident's bearer token) to
CPU 1, one after the other, so the figure is a ratio measured in one run. The machine is
shared: run it once, short, and read the ratio rather than the absolute numbers.

    .venv/bin/python bench/mastodon_home.py [--seconds S] [--statuses N] [--accounts A]

Prints the figures and writes bench/results/mastodon_home.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inbox_bench import _pin, free_port, stop, wait_listening  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "mastodon_home.json"
SERVER_CPU, LOADGEN_CPU = 0, 1
CONCURRENCY = 16
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def seed(data_dir: Path, origin: str, statuses: int, accounts: int) -> str:
    """The resident, `accounts` followed residents and `statuses` public statuses by them,
    written through the store functions the server uses (objects rows → status ids by the
    same triggers). Returns the resident's token."""
    from fedivoisin import admin
    from fedivoisin.clock import SystemClock
    from fedivoisin.protocol.urls import Urls
    from fedivoisin.store import activities as activity_store
    from fedivoisin.store import follows as follow_store
    from fedivoisin.store.db import Store

    urls = Urls(origin)
    clock = SystemClock()
    store = await Store.open(data_dir / "fedivoisin.sqlite3")
    try:
        await admin.create_actor(store, clock, "alice", type_="Person", name="Alice")
        me = urls.actor("alice")
        now = clock.now() - statuses
        for i in range(accounts):
            slug = f"voisin{i}"
            await admin.create_actor(store, clock, slug, type_="Person", name=f"Voisin {i}")
            await follow_store.upsert(store, me, urls.actor(slug), "accepted", None, now)
        for n in range(statuses):
            author = urls.actor(f"voisin{n % accounts}")
            uri = urls.object(f"bench{n}")
            doc = {
                "id": uri,
                "type": "Note",
                "attributedTo": author,
                "content": f"<p>Message n°{n} : réunion jeudi, salle commune. #lilas</p>",
                "to": [PUBLIC],
                "cc": [author + "/followers"],
                "published": "2026-12-01T10:00:00Z",
                "tag": [{"type": "Hashtag", "name": "#lilas", "href": origin + "/tags/lilas"}],
            }
            await activity_store.upsert_object(
                store,
                uri=uri,
                type_="Note",
                kind="note",
                attributed_to=author,
                local=True,
                public=True,
                addressees=[PUBLIC, author + "/followers"],
                community_uri=None,
                in_reply_to=None,
                document=doc,
                published=now + n,
            )
        return await admin.create_token(store, clock, "alice")
    finally:
        await store.close()


def start_server(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: _pin(SERVER_CPU),
    )


async def _loadgen(url: str, token: str, seconds: float) -> dict[str, Any]:
    import aiohttp

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with session.get(url, headers=headers) as resp:
                    await resp.read()
                    statuses[resp.status] = statuses.get(resp.status, 0) + 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "statuses": {str(k): v for k, v in statuses.items()},
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 2),
        "p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
    }


async def measure(url: str, token: str, seconds: float) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).resolve()),
        "_loadgen",
        url,
        token,
        str(seconds),
        stdout=asyncio.subprocess.PIPE,
        preexec_fn=lambda: _pin(LOADGEN_CPU),
    )
    out, _ = await asyncio.wait_for(proc.communicate(), seconds + 120)
    result: dict[str, Any] = orjson.loads(out.splitlines()[-1])
    return result


MINIMAL_APP = """
import os, orjson
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
BODY = open(os.environ["BENCH_BODY"], "rb").read()
LINK = os.environ["BENCH_LINK"]
async def home(request):
    return Response(BODY, media_type="application/json", headers={"Link": LINK})
app = Starlette(routes=[Route("/api/v1/timelines/home", home)])
"""


async def main(seconds: float, statuses: int, accounts: int) -> dict[str, Any]:
    import httpx

    with tempfile.TemporaryDirectory(prefix="bench-mastodon-") as tmp:
        data_dir = Path(tmp) / "data"
        port = free_port()
        origin = f"http://127.0.0.1:{port}"
        token = await seed(data_dir, origin, statuses, accounts)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEDIVOISIN_")}
        server = start_server(
            [
                sys.executable, "-m", "fedivoisin", "serve", "--data-dir", str(data_dir),
                "--port", str(port), "--host", "127.0.0.1", "--base-url", origin,
            ],
            {**env, "FEDIVOISIN_LOG_LEVEL": "warning"},
        )  # fmt: skip
        try:
            await wait_listening(port, server)
            url = origin + "/api/v1/timelines/home"
            async with httpx.AsyncClient() as c:
                r = await c.get(url, headers={"Authorization": f"Bearer {token}"})
                r.raise_for_status()
                body, link = r.content, r.headers["link"]
            ours = await measure(url, token, seconds)
        finally:
            stop(server)
        (Path(tmp) / "body.json").write_bytes(body)
        (Path(tmp) / "minimal.py").write_text(MINIMAL_APP)
        mport = free_port()
        minimal = start_server(
            [
                sys.executable, "-m", "uvicorn", "minimal:app", "--app-dir", tmp,
                "--port", str(mport), "--log-level", "warning", "--no-access-log",
                "--loop", "uvloop", "--http", "httptools",
            ],
            {**env, "BENCH_BODY": str(Path(tmp) / "body.json"), "BENCH_LINK": link},
        )  # fmt: skip
        try:
            await wait_listening(mport, minimal)
            baseline = await measure(
                f"http://127.0.0.1:{mport}/api/v1/timelines/home", token, seconds
            )
        finally:
            stop(minimal)
    return {
        "what": "GET /api/v1/timelines/home (20 statuses), same JSON from a minimal endpoint",
        "statuses": statuses,
        "followed_accounts": accounts,
        "body_bytes": len(body),
        "concurrency": CONCURRENCY,
        "seconds": seconds,
        "fedivoisin": ours,
        "minimal_starlette": baseline,
        "ratio": round(ours["req_per_s"] / baseline["req_per_s"], 3),
        "goal": 0.3,
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs (shared: figures are noisy)",
    }


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_loadgen":
        import uvloop

        uvloop.install()
        out = asyncio.run(_loadgen(sys.argv[2], sys.argv[3], float(sys.argv[4])))
        print(orjson.dumps(out).decode(), flush=True)
        sys.exit(0)
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--statuses", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=200)
    a = parser.parse_args()
    result = asyncio.run(main(a.seconds, a.statuses, a.accounts))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    for name in ("fedivoisin", "minimal_starlette"):
        r = result[name]
        print(f"{name:18} {r['req_per_s']:8} req/s  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms")
    print(f"ratio {result['ratio']} (goal ≥ {result['goal']})")
