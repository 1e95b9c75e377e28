"""Pages benchmark (issue 12): an event's page and a community's page (200 upcoming
events) against the same-run AS2 GET of the same URL.

One `python -m fedivoisin serve` child process (tests/rig ProcessInstance, temp data dir);
the load generator is this process (httpx, `--concurrency` connections, keep-alive), for
`--seconds` per target, targets interleaved over `--rounds` rounds. Targets:
- event, HTML (`Accept: text/html`) vs AS2 (`Accept: application/activity+json`), same URL;
- community, HTML (`/actors/les-lilas` as a browser) vs AS2 (the Group actor document).
The community page lists the 10 next events of 200, plus offers, alerts, news and polls.

Reports requests/s, p50 and p99 latency, and the ratio HTML ÷ AS2 per round (median).
Goal: ≥ 0.5. Figures from a shared 2-core machine are noisy: compare within one run.

    .venv/bin/python bench/pages_bench.py [--quick]

Prints the figures and writes bench/results/pages.json (not with --quick).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pages.world import event_body  # noqa: E402
from tests.rig import ProcessInstance  # noqa: E402

AS2 = "application/activity+json"
HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"


async def setup(inst: ProcessInstance, events: int) -> dict[str, str]:
    await inst.community("les-lilas", "Résidence Les Lilas", summary="Bâtiments A et B")
    await inst.person("alice", name="Alice Martin")
    token = await inst.token("alice")
    lilas = inst.actor("les-lilas")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": AS2}
    first = ""
    async with httpx.AsyncClient(base_url=inst.base_url, timeout=30) as c:
        for i in range(events):
            body = event_body(
                lilas,
                name=f"Événement {i}",
                startTime=f"2031-{1 + i % 12:02d}-{1 + i % 28:02d}T19:00:00+02:00",
            )
            body.pop("endTime")
            r = await c.post("/actors/alice/outbox", json=body, headers=headers)
            r.raise_for_status()
            first = first or r.json()["object"]["id"]
    return {"event": first, "community": lilas}


async def load(url: str, accept: str, seconds: float, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker(c: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            r = await c.get(url, headers={"Accept": accept})
            latencies.append(time.perf_counter() - t0)
            if r.status_code != 200:
                errors += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as c:
        start = time.perf_counter()
        await asyncio.gather(*(worker(c) for _ in range(concurrency)))
        wall = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / wall,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--events", type=int, default=200)
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.events = 1.0, 1, 20
    with tempfile.TemporaryDirectory() as tmp:
        inst = ProcessInstance(Path(tmp) / "server", log_level="warning")
        await inst.start()
        try:
            urls = await setup(inst, args.events)
            rounds: list[dict[str, Any]] = []
            for _ in range(args.rounds):
                result: dict[str, Any] = {}
                for name, url in urls.items():
                    for kind, accept in (("html", HTML), ("as2", AS2)):
                        result[f"{name}_{kind}"] = await load(
                            url, accept, args.seconds, args.concurrency
                        )
                rounds.append(result)
        finally:
            await inst.stop()
    report: dict[str, Any] = {
        "machine": f"{platform.machine()} {platform.python_version()}, shared 2-core machine",
        "events_in_community": args.events,
        "seconds_per_target": args.seconds,
        "concurrency": args.concurrency,
        "rounds": rounds,
    }
    for name in ("event", "community"):
        ratios = [r[f"{name}_html"]["rps"] / r[f"{name}_as2"]["rps"] for r in rounds]
        report[f"{name}_ratio_html_over_as2"] = statistics.median(ratios)
        last = rounds[-1]
        print(
            f"{name:9s} HTML {last[name + '_html']['rps']:7.0f} req/s"
            f" p99 {last[name + '_html']['p99_ms']:6.1f} ms | AS2"
            f" {last[name + '_as2']['rps']:7.0f} req/s p99 {last[name + '_as2']['p99_ms']:6.1f} ms"
            f" | ratio (median of rounds) {report[name + '_ratio_html_over_as2']:.2f}"
        )
    if not args.quick:
        out = ROOT / "bench" / "results" / "pages.json"
        out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {out}")


if __name__ == "__main__":
    asyncio.run(main())
