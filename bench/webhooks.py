"""Webhook fan-out benchmark: 10,000 events to 10 subscribers, against the same run's
federation delivery rate.

Sender: the real code path in this process (one core): `webhooks.emit()` writes each
event and its 10 calls to the durable queue (one transaction per event, as the inbox
worker does when an activity arrives), and `DeliveryWorker.run()` — the loop `fedivoisin
serve` runs — signs each call (HMAC-SHA256, Standard Webhooks), sends it with the one
aiohttp client and records outcomes. Events are raised as fast as the store takes them,
while the worker drains: a burst, the worst case for the delay.

Receiver: a child process (the other core) listening on 10 loopback addresses (one per
subscriber, so each has its own per-host limit, as 10 platforms would), answering 200 at
once and measuring, for every call, the delay from the event's `timestamp` (set when it
was raised: the activity's receipt) to the call's arrival.

Federation in the same run: one Note from another community to 2,000 followers with
personal inboxes on 100 hosts (bench/receiver.py, RSA-signed deliveries), as in
bench/fanout_bench.py's `personal_2000_inboxes_100_hosts`.

    .venv/bin/python bench/webhooks.py [--quick]     # --quick: 1,000 events

Prints the figures and writes bench/results/webhooks.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fanout_bench import drain, seed_followers, start_receiver  # noqa: E402
from bench.receiver import loopback_hosts  # noqa: E402
from fedivoisin import admin  # noqa: E402
from fedivoisin.clock import SystemClock  # noqa: E402
from fedivoisin.config import load_settings  # noqa: E402
from fedivoisin.outbox import webhooks  # noqa: E402
from fedivoisin.outbox.delivery import DeliveryWorker  # noqa: E402
from fedivoisin.runtime import Runtime  # noqa: E402
from fedivoisin.store.db import Store  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "webhooks.json"
FIRST_HOST = 2 + 8192  # loopback addresses of the webhook receiver (127.0.32.x)


# -- the receiver (child process)


def serve_receiver(n_hosts: int) -> None:
    from aiohttp import web

    delays: list[float] = []
    seen: set[tuple[str, str]] = set()
    stats = {"posts": 0, "duplicates": 0, "first": 0.0, "last": 0.0}

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        now = time.time()
        doc = json.loads(body)
        key = (request.host, request.headers.get("webhook-id", ""))
        stats["posts"] += 1
        if key in seen:
            stats["duplicates"] += 1
        seen.add(key)
        delays.append(now - datetime.fromisoformat(doc["timestamp"]).timestamp())
        stats["first"] = stats["first"] or now
        stats["last"] = now
        return web.Response(status=200)

    async def report(request: web.Request) -> web.Response:
        ordered = sorted(delays)

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0

        return web.json_response(
            {
                **stats,
                "unique": len(seen),
                "delay_p50_s": pct(0.50),
                "delay_p99_s": pct(0.99),
                "delay_max_s": ordered[-1] if ordered else 0.0,
            }
        )

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/hook", hook)
        app.router.add_get("/_stats", report)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        hosts = loopback_hosts(n_hosts, FIRST_HOST)
        first = web.TCPSite(runner, hosts[0], 0)
        await first.start()
        port = first._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        for host in hosts[1:]:
            await web.TCPSite(runner, host, port).start()
        print(f"ready {port}", flush=True)
        await asyncio.Event().wait()

    import uvloop

    uvloop.run(main())


def receiver_stats(port: int) -> dict[str, Any]:
    host = loopback_hosts(1, FIRST_HOST)[0]
    with urllib.request.urlopen(f"http://{host}:{port}/_stats", timeout=30) as r:
        return dict(json.load(r))


# -- the sender (this process)


async def webhook_case(rt: Runtime, events: int, subscribers: int, port: int) -> dict[str, Any]:
    await admin.create_community(rt.store, rt.clock, "cour", name="Cour", kind="building")
    for host in loopback_hosts(subscribers, FIRST_HOST):
        await webhooks.subscribe(rt, "cour", f"http://{host}:{port}/hook", ["activity.received"])
    owner = rt.urls.actor("cour")
    worker = DeliveryWorker(rt)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    cpu0, t0 = time.process_time(), time.time()
    for i in range(events):
        activity = {
            "id": f"https://remote.example/activities/{i}",
            "type": "Create",
            "actor": "https://remote.example/users/max",
            "object": {"type": "Note", "content": f"<p>Bonjour n°{i}</p>"},
        }
        await webhooks.emit(rt, owner, "activity.received", {"activity": activity}, key=str(i))
    raised = time.time() - t0
    expected = events * subscribers
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        got = await asyncio.to_thread(receiver_stats, port)
        if got["unique"] >= expected:
            break
        await asyncio.sleep(0.5)
    cpu = time.process_time() - cpu0
    stop.set()
    await task
    elapsed = got["last"] - t0
    return {
        "events": events,
        "subscribers": subscribers,
        "calls": expected,
        "calls_received_unique": got["unique"],
        "duplicates": got["duplicates"],
        "raise_s": round(raised, 3),
        "drain_s": round(elapsed, 3),
        "events_per_s": round(events / elapsed),
        "calls_per_s": round(expected / elapsed),
        "delay_p50_s": round(got["delay_p50_s"], 3),
        "delay_p99_s": round(got["delay_p99_s"], 3),
        "delay_max_s": round(got["delay_max_s"], 3),
        "sender_cpu_us_per_call": round(cpu / expected * 1e6),
    }


async def federation_case(
    rt: Runtime, hosts: list[str], port: int, followers: int
) -> dict[str, Any]:
    await admin.create_community(rt.store, rt.clock, "voisins", name="Voisins", kind="quartier")
    await seed_followers(
        rt.store, rt.urls.actor("voisins"), hosts, port, followers, shared=False, tag="wh"
    )
    r = await drain(rt, "voisins", "<p>Réunion jeudi</p>")
    return {k: round(v, 4) for k, v in r.items()}


async def main_async(quick: bool) -> dict[str, Any]:
    events = 1000 if quick else 10_000
    subscribers = 10
    followers = 200 if quick else 2000
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    wh_proc = subprocess.Popen(
        [sys.executable, __file__, "--serve-receiver", str(subscribers)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert wh_proc.stdout is not None
    line = wh_proc.stdout.readline().split()
    if not line or line[0] != "ready":
        wh_proc.kill()
        raise RuntimeError("webhook receiver did not start")
    wh_port = int(line[1])
    fed_hosts = loopback_hosts(100, 2)
    fed_proc, fed_port = start_receiver(100, 2, 0.0)
    try:
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
            rt = Runtime(settings=settings, store=store, clock=SystemClock())
            hooks = await webhook_case(rt, events, subscribers, wh_port)
            fed = await federation_case(rt, fed_hosts, fed_port, followers)
            if rt.http_client is not None:
                await rt.http_client.close()
            await store.close()
    finally:
        for proc in (wh_proc, fed_proc):
            proc.terminate()
            proc.wait(10)
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
            "note": "2 cores shared with other work: figures are noisy",
        },
        "quick": quick,
        "webhooks": hooks,
        "federation_same_run": fed,
        "webhook_calls_per_federation_delivery": round(
            hooks["calls_per_s"] / fed["deliveries_per_s"], 2
        ),
    }


def report(r: dict[str, Any]) -> None:
    h, f = r["webhooks"], r["federation_same_run"]
    print(
        f"webhooks: {h['events']} events x {h['subscribers']} subscribers = {h['calls']} calls"
        f" ({h['calls_received_unique']} received, {h['duplicates']} duplicates);"
        f" raised in {h['raise_s']} s, drained in {h['drain_s']} s:"
        f" {h['events_per_s']} events/s, {h['calls_per_s']} calls/s;"
        f" receipt->call delay p50 {h['delay_p50_s']} s, p99 {h['delay_p99_s']} s,"
        f" max {h['delay_max_s']} s; {h['sender_cpu_us_per_call']} µs sender CPU per call"
    )
    print(
        f"federation, same run: {int(f['deliveries'])} signed deliveries at"
        f" {round(f['deliveries_per_s'])}/s ({round(f['cpu_us_per_delivery'])} µs CPU each);"
        f" webhook calls/s = {r['webhook_calls_per_federation_delivery']} x federation deliveries/s"
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-receiver":
        serve_receiver(int(sys.argv[2]))
        return
    p = argparse.ArgumentParser(description="webhook fan-out benchmark")
    p.add_argument("--quick", action="store_true", help="1,000 events, for a smoke run")
    args = p.parse_args()
    import uvloop

    result = uvloop.run(main_async(args.quick))
    report(result)
    if not args.quick:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
