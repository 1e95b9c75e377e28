"""Scale-out benchmark (issue 14): worker processes on one PostgreSQL.

Cases, each on a fresh schema of one PostgreSQL cluster (a throw-away one made by
scripts/pg-test-cluster unless FV_BENCH_POSTGRES names one):

- fanout: one post of a community with 10,000 followers on 1,000 shared inboxes (1,000
  loopback hosts served by bench/receiver.py in a child process), delivered by N
  `fedivoisin worker` processes (N = 1, 2). The post is published in this process
  (publish(): resolve followers, store, queue 1,000 rows in one transaction, NOTIFY); the
  drain runs from the start of publish() to the last delivery's recorded 2xx
  (`delivered_at`). Goal (2 workers): < 1.5 s.
- inbox: 4,000 received Create(Note) rows from 100 known remote actors (a local resident
  follows them all, so each is also listed in her inbox) are written to the queue in one
  transaction and NOTIFYed; N worker processes (already started and idle) process them;
  processed/s from the NOTIFY to the last row done. Goal: 2 workers ≥ 1.7× of 1 (the
  machine has 2 cores; this process and PostgreSQL share them). Then 1 worker again with
  it, PostgreSQL and this process pinned to CPU 0: the per-core rate, against which two
  workers on two cores show how the work scales per core (a lone worker on two cores also
  gets its PostgreSQL backend's core for free: docs/performance.md, session 16).
- RSS of each worker process after the run (VmRSS), and of PostgreSQL's backends is not
  counted.

    .venv/bin/python bench/scale_bench.py [--reps N] [--case fanout|inbox] [--durable]

The throw-away cluster runs without fsync (as the test suite's); --durable makes one with
PostgreSQL's defaults, where every commit waits for its WAL flush as in production.

Prints the figures and writes bench/results/scale.json. Medians of --reps runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fanout_bench import seed_followers, start_receiver  # noqa: E402
from bench.receiver import loopback_hosts  # noqa: E402
from fedivoisin import admin  # noqa: E402
from fedivoisin.clock import SystemClock  # noqa: E402
from fedivoisin.config import load_settings  # noqa: E402
from fedivoisin.outbox.publish import new_id, publish  # noqa: E402
from fedivoisin.runtime import Runtime  # noqa: E402
from fedivoisin.store import actors as actor_store  # noqa: E402
from fedivoisin.store.db import Store  # noqa: E402
from fedivoisin.store.pg import PgStore  # noqa: E402

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
INBOX_ROWS, SENDERS = 4000, 100


def cluster(durable: bool = False) -> tuple[str, str | None]:
    url = os.environ.get("FV_BENCH_POSTGRES")
    if url:
        return url, None
    d = tempfile.mkdtemp(prefix="fv-bench-pg.")
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "pg-test-cluster"), "start", d],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PG_TEST_DURABLE": "1" if durable else ""},
    )
    return out.stdout.strip(), d


def schema_url(base: str, schema: str) -> str:
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"


async def fresh(base: str, name: str, data: Path) -> tuple[str, Runtime]:
    import psycopg

    async with await psycopg.AsyncConnection.connect(base, autocommit=True) as conn:
        await conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        await conn.execute(f"CREATE SCHEMA {name}")
    url = schema_url(base, name)
    settings = load_settings(
        {
            "data_dir": data,
            "database_url": url,
            "allow_private_networks": True,
            "log_level": "warning",
            "run_jobs": False,
        },
        env={},
    )
    store = await PgStore.connect(url)
    return url, Runtime(settings=settings, store=store, clock=SystemClock())


def start_workers(n: int, data: Path, url: str, origin: str) -> list[subprocess.Popen[bytes]]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FEDIVOISIN_")},
        "FEDIVOISIN_DATABASE_URL": url,
        "FEDIVOISIN_BASE_URL": origin,
        "FEDIVOISIN_ALLOW_PRIVATE_NETWORKS": "1",
        "FEDIVOISIN_LOG_LEVEL": "warning",
        "FEDIVOISIN_WORKER_POLL_INTERVAL": "1.0",
    }
    procs = []
    for i in range(n):
        log = open(data / f"worker{i}.log", "wb")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "fedivoisin", "worker", "--data-dir", str(data)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    deadline = time.monotonic() + 30
    for i in range(n):
        while "fedivoisin worker" not in (data / f"worker{i}.log").read_text():
            if time.monotonic() > deadline or procs[i].poll() is not None:
                raise RuntimeError((data / f"worker{i}.log").read_text()[-2000:])
            time.sleep(0.05)
    time.sleep(0.5)  # LISTEN connections up, first heartbeat written
    return procs


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """Every `postgres` process of the machine (the cluster's postmaster and backends)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().startswith("postgres"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def postgres_cpu_s() -> float:
    """CPU seconds of every `postgres` process of the machine (the cluster's backends)."""
    return sum(cpu_s(pid) for pid in postgres_pids())


def pin_postgres(cpus: set[int]) -> None:
    """Every PostgreSQL process, and so the backends it forks next, on `cpus`."""
    for pid in postgres_pids():
        try:
            os.sched_setaffinity(pid, cpus)
        except OSError:
            continue


def cpu_snapshot(workers: list[subprocess.Popen[bytes]], receiver: int) -> dict[str, Any]:
    return {
        "workers": [cpu_s(p.pid) for p in workers],
        "postgres": postgres_cpu_s(),
        "receiver": cpu_s(receiver),
        "bench": cpu_s(os.getpid()),
    }


def cpu_used(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Where the two cores went during a run: the fan-out is CPU-bound, so its drain time
    is about the sum of these over 2 (docs/performance.md, "Scale-out on PostgreSQL")."""
    out: dict[str, Any] = {
        "workers": [
            round(b - a, 2) for a, b in zip(before["workers"], after["workers"], strict=True)
        ]
    }
    for name in ("postgres", "receiver", "bench"):
        out[name] = round(after[name] - before[name], 2)
    out["total"] = round(sum(out["workers"]) + out["postgres"] + out["receiver"] + out["bench"], 2)
    return out


def stop(procs: list[subprocess.Popen[bytes]]) -> list[float]:
    sizes = [rss_mb(p.pid) for p in procs if p.poll() is None]
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
    return sizes


async def fanout(
    base: str, workers: int, rep: int, hosts: list[str], port: int, receiver: int
) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="fv-bench-"))
    url, rt = await fresh(base, f"bench_fanout_{workers}_{rep}", data)
    try:
        await admin.ensure_instance_actor(rt.store, rt.clock, "bench")
        await admin.record_origin(rt.store, rt.settings.origin)
        await admin.create_community(rt.store, rt.clock, "lilas", name="Lilas", kind="building")
        followee = rt.urls.actor("lilas")
        await seed_followers(rt.store, followee, hosts, port, 10_000, shared=True, tag="f")
        procs = start_workers(workers, data, url, rt.settings.origin)
        try:
            actor = await actor_store.get_actor(rt.store, "lilas")
            assert actor is not None
            cpu_before = cpu_snapshot(procs, receiver)
            t0 = time.time()
            doc = await publish(
                rt,
                actor,
                {
                    "type": "Create",
                    "to": [PUBLIC],
                    "cc": [rt.urls.followers("lilas")],
                    "object": {
                        "id": new_id(rt, "object"),
                        "type": "Note",
                        "attributedTo": followee,
                        "content": "<p>Fête des voisins</p>",
                        "to": [PUBLIC],
                        "cc": [rt.urls.followers("lilas")],
                    },
                },
            )
            publish_s = time.time() - t0
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                r = await rt.store.fetchone(
                    "SELECT count(*) FROM deliveries WHERE activity_uri = ? AND state <> 'delivered'",
                    (doc["id"],),
                )
                if r and int(r[0]) == 0:
                    break
                # The drain is read from `delivered_at` below, not from this loop: polling
                # seldom leaves the two cores to the workers being measured.
                await asyncio.sleep(0.25)
            r = await rt.store.fetchone(
                "SELECT count(*), max(delivered_at) FROM deliveries WHERE activity_uri = ?"
                " AND state = 'delivered'",
                (doc["id"],),
            )
            assert r is not None
            delivered, last = int(r[0]), float(r[1] or 0)
            cpu = cpu_used(cpu_before, cpu_snapshot(procs, receiver))
        finally:
            sizes = stop(procs)
        return {
            "workers": workers,
            "deliveries": delivered,
            "drain_s": round(last - t0, 3),
            "publish_s": round(publish_s, 3),
            "cpu_s": cpu,
            "worker_rss_mb": [round(s, 1) for s in sizes],
        }
    finally:
        await rt.store.close()


async def seed_senders(store: Store, n: int, followers: list[str]) -> list[str]:
    """n known remote actors (no network needed to process what they send), each followed
    by every one of `followers` (local actor URIs)."""
    senders = [f"http://127.0.0.1:9/users/s{i}" for i in range(n)]
    now = time.time()
    await store.executemany(
        "INSERT INTO remote_actors (uri, type, host, preferred_username, inbox, followers,"
        " key_id, public_key_pem, document, fetched_at)"
        " VALUES (?, 'Person', '127.0.0.1:9', ?, ?, ?, ?, '', ?, ?)",
        [
            (
                s,
                s.rsplit("/", 1)[1],
                s + "/inbox",
                s + "/followers",
                s + "#main-key",
                orjson.dumps({"id": s, "type": "Person", "inbox": s + "/inbox"}).decode(),
                now,
            )
            for s in senders
        ],
    )
    await store.executemany(
        "INSERT INTO follows (follower, followee, state, created_at) VALUES (?, ?, 'accepted', ?)",
        [(f, s, now) for f in followers for s in senders],
    )
    return senders


def received_creates(senders: list[str], n: int) -> list[tuple[Any, ...]]:
    """n `received` rows (INSERT_RECEIVED's columns): public Create(Note)s, round-robin."""
    now = time.time()
    rows = []
    for i in range(n):
        s = senders[i % len(senders)]
        aid = f"{s}/activities/{i}"
        body = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": aid,
            "type": "Create",
            "actor": s,
            "to": [PUBLIC],
            "cc": [s + "/followers"],
            "object": {
                "id": f"{s}/notes/{i}",
                "type": "Note",
                "attributedTo": s,
                "content": f"<p>Message {i} du voisinage</p>",
                "to": [PUBLIC],
                "cc": [s + "/followers"],
                "published": "2026-12-03T10:00:00Z",
            },
        }
        rows.append((aid, s, s, None, orjson.dumps(body), now, now))
    return rows


INSERT_RECEIVED = (
    "INSERT INTO received (activity_uri, signer, actor_uri, recipient, body,"
    " received_at, next_try) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


async def inbox(
    base: str, workers: int, rep: int, receiver: int, *, one_core: bool = False
) -> dict[str, Any]:
    """`one_core`: the worker, PostgreSQL and this process all on CPU 0 (the per-core
    figure that two workers on two cores are compared with)."""
    data = Path(tempfile.mkdtemp(prefix="fv-bench-"))
    url, rt = await fresh(base, f"bench_inbox_{workers}{'c' if one_core else ''}_{rep}", data)
    everywhere = os.sched_getaffinity(0)
    if one_core:
        pin_postgres({0})
        os.sched_setaffinity(0, {0})  # the worker process it starts inherits it
    try:
        await admin.ensure_instance_actor(rt.store, rt.clock, "bench")
        await admin.record_origin(rt.store, rt.settings.origin)
        await admin.create_actor(rt.store, rt.clock, "amelie", type_="Person", name="Amélie")
        senders = await seed_senders(rt.store, SENDERS, [rt.urls.actor("amelie")])
        rows = received_creates(senders, INBOX_ROWS)
        procs = start_workers(workers, data, url, rt.settings.origin)
        try:
            await rt.store.executemany(INSERT_RECEIVED, rows)
            cpu_before = cpu_snapshot(procs, receiver)
            t0 = time.time()  # from the NOTIFY: writing the 4,000 rows is not processing
            await rt.store.execute("SELECT pg_notify('fv_inbox', '')")
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                r = await rt.store.fetchone(
                    "SELECT count(*), max(processed_at) FROM received WHERE state <> 'pending'"
                )
                if r and int(r[0]) >= INBOX_ROWS:
                    break
                # As for the fan-out: the end is read from `processed_at`; each poll (a
                # count over the queue) takes PostgreSQL and benchmark CPU from the two
                # workers being measured, not from one worker, which leaves a core idle.
                await asyncio.sleep(0.25)
            assert r is not None
            done, last = int(r[0]), float(r[1] or 0)
            cpu = cpu_used(cpu_before, cpu_snapshot(procs, receiver))
            listed = await rt.store.fetchone("SELECT count(*) FROM inbox_items")
        finally:
            sizes = stop(procs)
        elapsed = last - t0
        return {
            "workers": workers,
            "processed": done,
            "listed_in_inbox": int(listed[0]) if listed else 0,
            "seconds": round(elapsed, 3),
            "processed_per_s": round(done / elapsed, 1) if elapsed > 0 else 0,
            "cpu_s": cpu,
            "worker_rss_mb": [round(s, 1) for s in sizes],
            "one_core": one_core,
        }
    finally:
        if one_core:
            pin_postgres(everywhere)
            os.sched_setaffinity(0, everywhere)
        await rt.store.close()


async def main_async(base: str, reps: int, cases: set[str]) -> dict[str, Any]:
    hosts = loopback_hosts(1000, 0x090000)
    recv, port = start_receiver(1000, 0x090000, 0.0)
    try:
        results: dict[str, Any] = {"fanout": {}, "inbox": {}}
        for workers in (1, 2) if "fanout" in cases else ():
            runs = [await fanout(base, workers, rep, hosts, port, recv.pid) for rep in range(reps)]
            results["fanout"][str(workers)] = {
                "median_drain_s": statistics.median(r["drain_s"] for r in runs),
                "median_cpu_s": statistics.median(r["cpu_s"]["total"] for r in runs),
                "runs": runs,
            }
            print(
                f"fanout  workers={workers}: drain {[r['drain_s'] for r in runs]} s;"
                f" CPU {[r['cpu_s'] for r in runs]}",
                flush=True,
            )
        # Then one worker with PostgreSQL and this process on CPU 0: the per-core figure.
        variants = ((1, False, "1"), (2, False, "2"), (1, True, "1-one-core"))
        for workers, one_core, key in variants if "inbox" in cases else ():
            runs = [
                await inbox(base, workers, rep, recv.pid, one_core=one_core) for rep in range(reps)
            ]
            results["inbox"][key] = {
                "median_processed_per_s": statistics.median(r["processed_per_s"] for r in runs),
                "runs": runs,
            }
            print(
                f"inbox   workers={workers}{', PostgreSQL on the same one core' if one_core else ''}:"
                f" {[r['processed_per_s'] for r in runs]} processed/s;"
                f" CPU {[r['cpu_s'] for r in runs]}",
                flush=True,
            )
        if "inbox" in cases:
            one = results["inbox"]["1"]["median_processed_per_s"]
            two = results["inbox"]["2"]["median_processed_per_s"]
            core = results["inbox"]["1-one-core"]["median_processed_per_s"]
            results["inbox_ratio_2_over_1"] = round(two / one, 2) if one else None
            results["inbox_ratio_2_over_one_core"] = round(two / core, 2) if core else None
            print(
                f"inbox 2 workers / 1 worker: {results['inbox_ratio_2_over_1']}×;"
                " 2 workers on 2 cores / 1 worker and PostgreSQL on 1 core:"
                f" {results['inbox_ratio_2_over_one_core']}×"
            )
        return results
    finally:
        recv.kill()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument(
        "--case",
        choices=["fanout", "inbox"],
        action="append",
        help="run only this case (repeatable; default: both)",
    )
    p.add_argument("--no-write", action="store_true", help="print only (trying a change)")
    p.add_argument(
        "--durable",
        action="store_true",
        help="a cluster with PostgreSQL's durable defaults (fsync, synchronous commits);"
        " writes bench/results/scale-durable.json",
    )
    args = p.parse_args()
    base, made = cluster(args.durable)
    try:
        results = asyncio.run(main_async(base, args.reps, set(args.case or ["fanout", "inbox"])))
    finally:
        if made:
            subprocess.run(["bash", str(ROOT / "scripts" / "pg-test-cluster"), "stop", made])
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    results["when"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results["durable_cluster"] = args.durable
    if args.no_write:
        return
    out = ROOT / "bench" / "results" / ("scale-durable.json" if args.durable else "scale.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
