"""Processing received activities that reach many residents, on SQLite and PostgreSQL.

A neighbour (a remote account, or the town hall's) followed by the whole building: each
received `Create` is listed in every following resident's inbox. The inbox worker
(`InboxWorker.run_once`, in this process) empties a queue of ROWS such activities from 20
senders, each followed by M local residents (M = 1 and 50); reported: rows processed per
second, this process's CPU per row, and the listings written (M per row, counted).

    .venv/bin/python bench/inbox_recipients.py [--rows N] [--engine sqlite|postgres]

PostgreSQL: a throw-away cluster from scripts/pg-test-cluster unless FV_BENCH_POSTGRES
names one (as bench/scale_bench.py). Writes bench/results/inbox_recipients.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bench.scale_bench import (  # noqa: E402
    INSERT_RECEIVED,
    cluster,
    fresh,
    received_creates,
    seed_senders,
)
from fedivoisin import admin  # noqa: E402
from fedivoisin.clock import SystemClock  # noqa: E402
from fedivoisin.config import load_settings  # noqa: E402
from fedivoisin.inbox.worker import InboxWorker  # noqa: E402
from fedivoisin.runtime import Runtime  # noqa: E402
from fedivoisin.store.db import Store  # noqa: E402

SENDERS = 20


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def sqlite_runtime() -> Runtime:
    data = Path(tempfile.mkdtemp(prefix="fv-bench-recipients-"))
    settings = load_settings(
        {
            "data_dir": data,
            "allow_private_networks": True,
            "log_level": "warning",
            "run_jobs": False,
        },
        env={},
    )
    store = await Store.open(settings.database)
    return Runtime(settings=settings, store=store, clock=SystemClock())


async def one(rt: Runtime, followers: int, rows: int) -> dict[str, Any]:
    store = rt.store
    await admin.ensure_instance_actor(store, rt.clock, "bench")
    await admin.record_origin(store, rt.settings.origin)
    residents = [rt.urls.actor(f"r{i}") for i in range(followers)]
    senders = await seed_senders(store, SENDERS, residents)
    await store.executemany(INSERT_RECEIVED, received_creates(senders, rows))
    worker = InboxWorker(rt)
    done = 0
    c0, t0 = cpu_s(), time.perf_counter()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        n = await worker.run_once()
        if not n:
            break
        done += n
    seconds, cpu = time.perf_counter() - t0, cpu_s() - c0
    listed = await store.fetchone("SELECT count(*) FROM inbox_items")
    return {
        "followers_per_sender": followers,
        "processed": done,
        "listed": int(listed[0]) if listed else 0,
        "processed_per_s": round(done / seconds, 1),
        "cpu_us_per_row": round(1e6 * cpu / max(done, 1)),
    }


async def main_async(engines: list[str], rows: int, base: str | None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for engine in engines:
        for followers in (1, 50):
            if engine == "sqlite":
                rt = await sqlite_runtime()
            else:
                assert base is not None
                data = Path(tempfile.mkdtemp(prefix="fv-bench-recipients-"))
                _url, rt = await fresh(base, f"bench_recipients_{followers}", data)
            try:
                r = await one(rt, followers, rows)
            finally:
                await rt.store.close()
            results[f"{engine}_{followers}"] = r
            print(
                f"{engine:8s} {followers:3d} followers/sender: {r['processed_per_s']:7.1f}"
                f" rows/s, {r['cpu_us_per_row']} µs CPU/row, {r['listed']} listings",
                flush=True,
            )
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=2000)
    p.add_argument("--engine", choices=["sqlite", "postgres"], action="append")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    engines = args.engine or ["sqlite", "postgres"]
    base, made = cluster() if "postgres" in engines else (None, None)
    try:
        results = asyncio.run(main_async(engines, args.rows, base))
    finally:
        if made:
            subprocess.run(["bash", str(ROOT / "scripts" / "pg-test-cluster"), "stop", made])
    results["rows"] = args.rows
    results["when"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results["cpus"] = os.cpu_count()
    if not args.no_write:
        out = ROOT / "bench" / "results" / "inbox_recipients.json"
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
