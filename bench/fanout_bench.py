"""Fan-out benchmark: one activity to many followers, through the real delivery path.

Case "shared": 10,000 followers spread over 1,000 hosts, each advertising a shared inbox,
so fan-out folds them to 1,000 deliveries. Goal: drained in under 3 s.
Case "personal": 2,000 followers with 2,000 distinct personal inboxes (no shared inbox),
2 per host on the same 1,000 hosts. Goal: deliveries/s ≥ 50 % of the raw RSA-2048
signing rate measured in the same run on one core.

Sender: the real code path in this process (one core) — `publish()` stores the activity
and queues one row per inbox (fanout.py, SQLite), and `DeliveryWorker.run()` (the loop
`fedivoisin serve` runs) signs each POST (draft-cavage, RSA-2048, a fresh signature per
request), sends it with the aiohttp client (net/client.py) and records outcomes. Same
event loop as `serve` (uvloop). Receiver: bench/receiver.py in a child process (the other
core), listening on 1,000 loopback addresses 127.x.y.z × one port, so each is a distinct
host to the sender, as 1,000 servers would be (one address with 1,000 paths would put
every delivery behind the one per-domain limit, delivery_per_domain = 8, and measure that
limit instead).

"drain" = from the start of publish() to the moment the queue has no pending row left
(every outcome recorded); deliveries/s = deliveries / (drain − publish time).

    .venv/bin/python bench/fanout_bench.py [--quick]

Prints the figures and writes bench/results/fanout.json.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.receiver import loopback_hosts  # noqa: E402
from fedivoisin import admin  # noqa: E402
from fedivoisin.clock import SystemClock  # noqa: E402
from fedivoisin.config import load_settings  # noqa: E402
from fedivoisin.outbox.delivery import DeliveryWorker  # noqa: E402
from fedivoisin.outbox.publish import publish  # noqa: E402
from fedivoisin.runtime import Runtime  # noqa: E402
from fedivoisin.store import actors as actor_store  # noqa: E402
from fedivoisin.store import deliveries as dstore  # noqa: E402
from fedivoisin.store.db import Store  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "fanout.json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
N_HOSTS = 1000


def signing_rate(seconds: float = 1.5) -> dict[str, float]:
    """Raw RSA-2048 PKCS#1 v1.5 SHA-256 signs/s on this core, and full cavage-header signs/s."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from fedivoisin.protocol import keys
    from fedivoisin.protocol.signatures import sign_cavage

    key = keys.generate_rsa_key()
    text = (
        b"(request-target): post /inbox\nhost: 127.0.3.7:40000\n"
        b"date: Tue, 10 Jun 2025 08:00:00 GMT\ndigest: SHA-256=" + b"x" * 44
    )
    pad, alg = padding.PKCS1v15(), hashes.SHA256()
    n, t0 = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - t0) < seconds:
        for _ in range(50):
            key.sign(text, pad, alg)
        n += 50
    raw = n / elapsed
    body = b"{" + b'"x": 1, ' * 250 + b"}"
    hdrs = {"Content-Type": "application/activity+json", "Accept": "application/activity+json"}
    n, t0 = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - t0) < seconds:
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
        n += 50
    return {"raw_rsa2048_signs_per_s": round(raw), "sign_cavage_per_s": round(n / elapsed)}


def start_receiver(n_hosts: int) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "receiver.py"), "--hosts", str(n_hosts)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if not line or line[0] != "ready":
        proc.kill()
        raise RuntimeError("receiver did not start")
    # Pin sender and receiver to different cores when there are two.
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() >= 2:  # type: ignore[operator]
        os.sched_setaffinity(proc.pid, {1})
        os.sched_setaffinity(0, {0})
    return proc, int(line[1])


def stats(host: str, port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://{host}:{port}/_stats", timeout=10) as r:
        return dict(json.load(r))


async def seed_followers(
    store: Store, followee: str, hosts: list[str], port: int, n: int, *, shared: bool, tag: str
) -> None:
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
    worker = DeliveryWorker(rt)
    stop = asyncio.Event()
    actor = await actor_store.get_actor(rt.store, slug)
    assert actor is not None
    t0 = time.perf_counter()
    doc = await publish(
        rt,
        actor,
        {
            "type": "Create",
            "to": [PUBLIC],
            "cc": [rt.urls.followers(slug)],
            "object": {
                "id": rt.urls.object(content[:8].encode().hex()),
                "type": "Note",
                "attributedTo": rt.urls.actor(slug),
                "content": content,
                "to": [PUBLIC],
                "cc": [rt.urls.followers(slug)],
            },
        },
    )
    t1 = time.perf_counter()
    task = asyncio.create_task(worker.run(stop))
    while await dstore.pending_count(rt.store):
        await asyncio.sleep(0.005)
    t2 = time.perf_counter()
    stop.set()
    await task
    rows = await rt.store.fetchall(
        "SELECT state, count(*) AS n FROM deliveries WHERE activity_uri = ? GROUP BY state",
        (doc["id"],),
    )
    states = {r["state"]: r["n"] for r in rows}
    n = sum(states.values())
    return {
        "deliveries": n,
        "delivered": states.get("delivered", 0),
        "publish_s": round(t1 - t0, 4),
        "drain_s": round(t2 - t0, 4),
        "deliveries_per_s": round(n / (t2 - t1)),
    }


async def main_async(quick: bool) -> dict[str, Any]:
    n_hosts = 100 if quick else N_HOSTS
    n_shared, n_personal = (1000, 200) if quick else (10_000, 2000)
    hosts = loopback_hosts(n_hosts)
    proc, port = start_receiver(n_hosts)
    sign_before = signing_rate()
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
            clock = SystemClock()
            await admin.create_community(store, clock, "les-lilas", name="Lilas", kind="building")
            await admin.create_community(store, clock, "voisins", name="Voisins", kind="quartier")
            await seed_followers(
                store, rt.urls.actor("les-lilas"), hosts, port, n_shared, shared=True, tag="u"
            )
            await seed_followers(
                store, rt.urls.actor("voisins"), hosts, port, n_personal, shared=False, tag="p"
            )
            shared = await drain(rt, "les-lilas", "<p>shared inboxes</p>")
            after_shared = stats(hosts[0], port)
            personal = await drain(rt, "voisins", "<p>personal inboxes</p>")
            after_personal = stats(hosts[0], port)
            if rt.http_client is not None:
                await rt.http_client.close()
            await store.close()
    finally:
        proc.terminate()
        proc.wait(10)
    sign_after = signing_rate()
    raw = (sign_before["raw_rsa2048_signs_per_s"] + sign_after["raw_rsa2048_signs_per_s"]) / 2
    shared.update(
        followers=n_shared,
        inboxes=n_hosts,
        received_unique=after_shared["unique"],
        goal="drain < 3 s",
        met=shared["drain_s"] < 3.0 and after_shared["unique"] == n_hosts,
    )
    personal.update(
        followers=n_personal,
        inboxes=n_personal,
        received_unique=after_personal["unique"] - after_shared["unique"],
        fraction_of_signing_limit=round(personal["deliveries_per_s"] / raw, 3),
        goal="deliveries/s >= 50 % of raw signs/s",
        met=personal["deliveries_per_s"] >= 0.5 * raw,
    )
    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "quick": quick,
        "sender": "in-process DeliveryWorker.run() on uvloop, aiohttp client, SQLite queue",
        "receiver": f"bench/receiver.py child process, {n_hosts} loopback hosts x 1 port",
        "signing_before": sign_before,
        "signing_after": sign_after,
        "shared": shared,
        "personal": personal,
        "duplicates_at_receiver": after_personal["duplicates"],
    }


def main() -> None:
    p = argparse.ArgumentParser(description="fan-out benchmark")
    p.add_argument("--quick", action="store_true", help="10x smaller, for a smoke run")
    args = p.parse_args()
    import uvloop

    result = uvloop.run(main_async(args.quick))
    s, q = result["shared"], result["personal"]
    print(
        f"signing (one core): raw RSA-2048 {result['signing_before']['raw_rsa2048_signs_per_s']}"
        f" / {result['signing_after']['raw_rsa2048_signs_per_s']} signs/s (before / after);"
        f" full cavage headers {result['signing_before']['sign_cavage_per_s']}/s"
    )
    print(
        f"shared:   {s['followers']} followers -> {s['deliveries']} inboxes:"
        f" publish {s['publish_s']:.3f} s, drained in {s['drain_s']:.3f} s,"
        f" {s['deliveries_per_s']} deliveries/s  [{'met' if s['met'] else 'MISSED'}: {s['goal']}]"
    )
    print(
        f"personal: {q['followers']} followers -> {q['deliveries']} inboxes:"
        f" publish {q['publish_s']:.3f} s, drained in {q['drain_s']:.3f} s,"
        f" {q['deliveries_per_s']} deliveries/s = {q['fraction_of_signing_limit']:.0%} of signing"
        f"  [{'met' if q['met'] else 'MISSED'}: {q['goal']}]"
    )
    if not args.quick:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
