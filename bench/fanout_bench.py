"""Fan-out benchmark: one activity to many followers, through the real delivery path.

Cases (each run `--reps` times with a fresh activity and cold connections):
- shared_1000_inboxes: 10,000 followers on 1,000 hosts, each host advertising a shared
  inbox, so fan-out folds them to 1,000 deliveries. Goal: drained in under 3 s.
- personal_2000_inboxes_100_hosts: 2,000 followers with 2,000 distinct personal inboxes
  (no shared inbox: members-only posts, or servers without one), 20 per host on 100 hosts.
  Goal: deliveries/s ≥ 50 % of the raw RSA-2048 signing rate measured in the same run.
- personal_2000_inboxes_1000_hosts: the same over 1,000 hosts (2 per host), so half the
  deliveries also open a TCP connection: reported, not a goal.

Sender: the real code path in this process (one core) — `publish()` stores the activity
and queues one row per inbox (fanout.py, SQLite), and `DeliveryWorker.run()` (the loop
`fedivoisin serve` runs) signs each POST (draft-cavage, RSA-2048, a fresh signature per
request), sends it with the aiohttp client (net/client.py) and records outcomes. Same
event loop as `serve` (uvloop). Receiver: bench/receiver.py in a child process (the other
core), listening on 1,000 loopback addresses 127.x.y.z × one port, so each is a distinct
host to the sender, as 1,000 servers would be (one address with 1,000 paths would put
every delivery behind the one per-domain limit, delivery_per_domain = 8, and measure that
limit instead).

Signing is measured between the runs (raw `sign()` in a tight loop, wall clock and per
CPU-second). The fraction is reported twice: deliveries/s ÷ signs/s (wall clock, as asked)
and per CPU-second (less sensitive to other processes taking the core).

"drain" = from the start of publish() to the last delivery's 2xx (its `delivered_at`);
deliveries/s = deliveries / (drain − publish time).

    .venv/bin/python bench/fanout_bench.py [--quick] [--reps N]

Prints the figures and writes bench/results/fanout.json.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.receiver import loopback_hosts  # noqa: E402
from fedivoisin import admin  # noqa: E402
from fedivoisin.clock import SystemClock  # noqa: E402
from fedivoisin.config import load_settings  # noqa: E402
from fedivoisin.outbox.delivery import DeliveryWorker  # noqa: E402
from fedivoisin.outbox.publish import new_id, publish  # noqa: E402
from fedivoisin.runtime import Runtime  # noqa: E402
from fedivoisin.store import actors as actor_store  # noqa: E402
from fedivoisin.store import deliveries as dstore  # noqa: E402
from fedivoisin.store.db import Store  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "fanout.json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
N_HOSTS = 1000


def signing_rate(seconds: float = 0.6) -> dict[str, float]:
    """RSA-2048 PKCS#1 v1.5 SHA-256 signs per second on this core: wall clock and per CPU
    second (the latter is immune to other processes taking the core), raw and through
    sign_cavage (digest, signing string, headers)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from fedivoisin.protocol import keys
    from fedivoisin.protocol.signatures import sign_cavage

    key = _key(keys)
    text = (
        b"(request-target): post /inbox\nhost: 127.0.3.7:40000\n"
        b"date: Tue, 10 Jun 2025 08:00:00 GMT\ndigest: SHA-256=" + b"x" * 44
    )
    pad, alg = padding.PKCS1v15(), hashes.SHA256()
    n, w0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - w0 < seconds:
        for _ in range(50):
            key.sign(text, pad, alg)
        n += 50
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    body = b"{" + b'"x": 1, ' * 250 + b"}"
    hdrs = {"Content-Type": "application/activity+json", "Accept": "application/activity+json"}
    m, w1 = 0, time.perf_counter()
    while time.perf_counter() - w1 < seconds / 2:
        for i in range(50):
            sign_cavage(
                "POST",
                f"http://127.0.{i}.7:40000/inbox",
                hdrs,
                body,
                key_id="http://127.0.0.1:1/actors/x#main-key",
                private_key=key,
                now=time.time(),
            )
        m += 50
    return {
        "raw_per_s": n / wall,
        "raw_per_cpu_s": n / cpu,
        "cavage_per_s": m / (time.perf_counter() - w1),
    }


_KEYS: list[Any] = []


def _key(keys: Any) -> Any:
    if not _KEYS:
        _KEYS.append(keys.generate_rsa_key())
    return _KEYS[0]


def start_receiver(n: int, first: int, delay: float) -> tuple[subprocess.Popen[str], int]:
    """bench/receiver.py on loopback_hosts(n, first), answering after `delay` seconds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = ["--hosts", str(n), "--first", str(first), "--delay", str(delay)]
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "receiver.py"), *args],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if not line or line[0] != "ready":
        proc.kill()
        raise RuntimeError("receiver did not start")
    return proc, int(line[1])


def stats(host: str, port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://{host}:{port}/_stats", timeout=10) as r:
        return dict(json.load(r))


async def seed_followers(
    store: Store, followee: str, hosts: list[str], port: int, n: int, *, shared: bool, tag: str
) -> None:
    """n accepted followers of `followee`, round-robin over `hosts` (written straight to the
    follows table; the receiver serves their actor documents)."""
    rows = []
    for i in range(n):
        host = hosts[i % len(hosts)]
        name = f"{tag}{i}" if shared else f"solo{tag}{i}"
        actor = f"http://{host}:{port}/users/{name}"
        rows.append(
            (
                actor,
                followee,
                "accepted",
                f"{actor}/inbox",
                f"http://{host}:{port}/inbox" if shared else None,
                time.time(),
            )
        )
    await store.executemany(
        "INSERT INTO follows (follower, followee, state, inbox, shared_inbox, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )


async def drain(rt: Runtime, slug: str, content: str) -> dict[str, float]:
    """publish() then let the worker's run() loop deliver until nothing is pending."""
    if rt.http_client is not None:  # cold connections for every run
        await rt.http_client.close()
        rt.http_client = None
    worker = DeliveryWorker(rt)
    stop = asyncio.Event()
    actor = await actor_store.get_actor(rt.store, slug)
    assert actor is not None
    cpu0, t0, w0 = time.process_time(), time.time(), time.perf_counter()
    doc = await publish(
        rt,
        actor,
        {
            "type": "Create",
            "to": [PUBLIC],
            "cc": [rt.urls.followers(slug)],
            "object": {
                "id": new_id(rt, "object"),
                "type": "Note",
                "attributedTo": rt.urls.actor(slug),
                "content": content,
                "to": [PUBLIC],
                "cc": [rt.urls.followers(slug)],
            },
        },
    )
    publish_s = time.perf_counter() - w0
    task = asyncio.create_task(worker.run(stop))
    # Poll slowly (polling costs the sender CPU); the drain time comes from the rows.
    while await dstore.pending_count(rt.store):  # noqa: ASYNC110 - the queue is the signal
        await asyncio.sleep(0.05)
    cpu1 = time.process_time()
    stop.set()
    await task
    rows = await rt.store.fetchall(
        "SELECT state, count(*) AS n, max(delivered_at) AS last FROM deliveries"
        " WHERE activity_uri = ? GROUP BY state",
        (doc["id"],),
    )
    states = {r["state"]: r["n"] for r in rows}
    last = max(r["last"] or 0.0 for r in rows)  # the worker's clock is time.time()
    n = sum(states.values())
    return {
        "deliveries": n,
        "delivered": states.get("delivered", 0),
        "publish_s": publish_s,
        "drain_s": last - t0,
        "deliveries_per_s": n / (last - t0 - publish_s),
        "cpu_us_per_delivery": (cpu1 - cpu0) / n * 1e6,
    }


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


async def run_case(
    rt: Runtime, slug: str, reps: int, hosts: list[str], port: int
) -> dict[str, Any]:
    """`reps` fan-outs of a fresh activity, each bracketed by signing-rate measurements."""
    runs, signs = [], [signing_rate()]
    before = stats(hosts[0], port)["unique"]
    for i in range(reps):
        runs.append(await drain(rt, slug, f"<p>{slug} run {i}</p>"))
        signs.append(signing_rate())
    received = stats(hosts[0], port)["unique"] - before
    raw = _median([s["raw_per_s"] for s in signs])
    raw_cpu = _median([s["raw_per_cpu_s"] for s in signs])
    dps = _median([r["deliveries_per_s"] for r in runs])
    cpu_us = _median([r["cpu_us_per_delivery"] for r in runs])
    return {
        "deliveries": runs[0]["deliveries"],
        "all_delivered": all(r["delivered"] == r["deliveries"] for r in runs),
        "received_unique": received,
        "runs": [{k: round(v, 4) for k, v in r.items()} for r in runs],
        "drain_s_median": round(_median([r["drain_s"] for r in runs]), 3),
        "drain_s_best": round(min(r["drain_s"] for r in runs), 3),
        "publish_s_median": round(_median([r["publish_s"] for r in runs]), 3),
        "deliveries_per_s_median": round(dps),
        "deliveries_per_s_best": round(max(r["deliveries_per_s"] for r in runs)),
        "sender_cpu_us_per_delivery_median": round(cpu_us),
        "raw_signs_per_s_median": round(raw),
        "raw_signs_per_cpu_s_median": round(raw_cpu),
        "cavage_signs_per_s_median": round(_median([s["cavage_per_s"] for s in signs])),
        "fraction_of_signing_wall": round(dps / raw, 3),
        "fraction_of_signing_cpu": round(1e6 / cpu_us / raw_cpu, 3),
    }


@dataclass(frozen=True)
class Case:
    slug: str
    followers: int
    hosts: int
    shared: bool  # do the followers' servers advertise a shared inbox?
    goal: str = ""  # "drain" (< 3 s), "signing" (>= 50 %) or "" (reported only)
    delay: float = 0.0  # receiver's answer time, emulating a remote server's latency
    workers: int | None = None  # delivery_workers; None = the default setting


CASES = {
    "shared_1000_inboxes": Case("les-lilas", 10_000, 1000, True, goal="drain"),
    "personal_2000_inboxes_100_hosts": Case("voisins", 2000, 100, False, goal="signing"),
    "personal_2000_inboxes_1000_hosts": Case("rue", 2000, 1000, False),
    # Not loopback-fast peers: every answer takes 100 ms, as a distant server would.
    "shared_1000_inboxes_100ms_answers": Case("quartier", 10_000, 1000, True, delay=0.1),
    "shared_1000_inboxes_100ms_answers_128_workers": Case(
        "quartier", 10_000, 1000, True, delay=0.1, workers=128
    ),
}


async def main_async(quick: bool, reps: int) -> dict[str, Any]:
    scale = 10 if quick else 1
    n_hosts = N_HOSTS // scale
    receivers: dict[float, tuple[subprocess.Popen[str], int, list[str]]] = {}
    results: dict[str, Any] = {}
    try:
        for i, delay in enumerate(sorted({c.delay for c in CASES.values()})):
            first = 2 + 4096 * i
            hosts = loopback_hosts(n_hosts, first)
            proc, port = start_receiver(n_hosts, first, delay)
            receivers[delay] = (proc, port, hosts)
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(
                {
                    "data_dir": Path(tmp),
                    "port": 1,
                    "allow_private_networks": True,
                    "log_level": "warning",
                },
                env={},
            )
            store = await Store.open(settings.db_path)
            runtimes = {None: Runtime(settings=settings, store=store, clock=SystemClock())}
            clock = SystemClock()
            seeded = set()
            for name, case in CASES.items():
                rt = runtimes[None]
                _proc, port, hosts = receivers[case.delay]
                if case.slug not in seeded:
                    seeded.add(case.slug)
                    await admin.create_community(
                        store, clock, case.slug, name=case.slug, kind="quartier"
                    )
                    await seed_followers(
                        store,
                        rt.urls.actor(case.slug),
                        hosts[: max(1, case.hosts // scale)],
                        port,
                        case.followers // scale,
                        shared=case.shared,
                        tag=f"{name[:2]}{case.slug[:2]}",
                    )
                if case.workers not in runtimes:
                    runtimes[case.workers] = Runtime(
                        settings=dataclasses.replace(settings, delivery_workers=case.workers),
                        store=store,
                        clock=SystemClock(),
                    )
            for name, case in CASES.items():
                _proc, port, hosts = receivers[case.delay]
                rt = runtimes[case.workers]
                r = await run_case(rt, case.slug, reps, hosts, port)
                r.update(
                    followers=case.followers // scale,
                    hosts=max(1, case.hosts // scale),
                    answer_delay_s=case.delay,
                    delivery_workers=rt.settings.delivery_workers,
                )
                if case.goal == "drain":
                    r["goal"] = "drain < 3 s"
                    r["met"] = (
                        r["drain_s_median"] < 3.0
                        and r["received_unique"] == reps * (r["deliveries"])
                    )
                elif case.goal == "signing":
                    r["goal"] = ">= 50 % of the signing limit"
                    r["met_wall"] = r["fraction_of_signing_wall"] >= 0.5
                    r["met_cpu"] = r["fraction_of_signing_cpu"] >= 0.5
                results[name] = r
            for rt in runtimes.values():
                if rt.http_client is not None:
                    await rt.http_client.close()
            await store.close()
    finally:
        for proc, _port, _hosts in receivers.values():
            proc.terminate()
            proc.wait(10)
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "quick": quick,
        "reps": reps,
        "sender": "in-process publish() + DeliveryWorker.run() on uvloop, aiohttp client"
        " (net/client.py), cold connections every run, one process = one core",
        "receiver": f"bench/receiver.py child process per answer delay, {n_hosts} loopback"
        " hosts x 1 port each",
        "cases": results,
    }


def report(result: dict[str, Any]) -> None:
    for name, c in result["cases"].items():
        goal = c.get("goal", "reported only")
        if "met" in c:
            verdict = "met" if c["met"] else "MISSED"
        elif "met_wall" in c:
            verdict = (
                f"wall {'met' if c['met_wall'] else 'MISSED'},"
                f" CPU {'met' if c['met_cpu'] else 'MISSED'}"
            )
        else:
            verdict = "info"
        print(
            f"{name}: {c['followers']} followers on {c['hosts']} hosts -> {c['deliveries']}"
            f" deliveries, {c['delivery_workers']} workers, answers after"
            f" {c['answer_delay_s'] * 1000:.0f} ms;"
            f" drain {c['drain_s_median']:.2f} s (best {c['drain_s_best']:.2f},"
            f" publish {c['publish_s_median']:.3f}); {c['deliveries_per_s_median']}/s"
            f" (best {c['deliveries_per_s_best']}); sender {c['sender_cpu_us_per_delivery_median']}"
            f" µs CPU/delivery"
        )
        print(
            f"    signing in the same run: raw {c['raw_signs_per_s_median']}/s wall,"
            f" {c['raw_signs_per_cpu_s_median']}/CPU-s, sign_cavage {c['cavage_signs_per_s_median']}/s;"
            f" deliveries = {c['fraction_of_signing_wall']:.0%} (wall) /"
            f" {c['fraction_of_signing_cpu']:.0%} (CPU) of signing  [{verdict}: {goal}]"
        )


def main() -> None:
    p = argparse.ArgumentParser(description="fan-out benchmark")
    p.add_argument("--quick", action="store_true", help="10x smaller, for a smoke run")
    p.add_argument("--reps", type=int, default=3)
    args = p.parse_args()
    import uvloop

    result = uvloop.run(main_async(args.quick, args.reps))
    report(result)
    if not args.quick:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
