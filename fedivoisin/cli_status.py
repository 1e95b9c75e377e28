"""`fedivoisin status`: what /metrics shows, for an admin at a terminal, from the database
(so it works whether the server runs or not): the inbox queue, deliveries by state, the
failing domains and their breaker, when the last activity was processed and delivered."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import orjson

from .cli_commands import opened
from .clock import iso
from .store import ops_stats


def add_commands(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("status", help="queues, deliveries, failing domains (docs/operations.md)")
    common(p)
    p.add_argument("--json", action="store_true", help="one JSON object instead of text")
    p.set_defaults(handler=status)


def ago(then: float | None, now: float) -> str:
    if then is None:
        return "never"
    s = max(0.0, now - then)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s / size:.1f} {unit} ago"
    return f"{s:.0f} s ago"


async def status(args: argparse.Namespace) -> int:
    now = time.time()
    async with opened(args) as (settings, store):
        inbox = await ops_stats.inbox_queue(store)
        outbox = await ops_stats.delivery_queue(store)
        figures: dict[str, Any] = {
            "origin": settings.origin,
            "at": iso(now),
            "inbox": {
                "waiting": inbox.depth,
                "oldest_age_seconds": None if inbox.oldest is None else now - inbox.oldest,
                "by_state": await ops_stats.received_by_state(store),
                "last_processed": await ops_stats.last_processed(store),
            },
            "deliveries": {
                "waiting": outbox.depth,
                "oldest_age_seconds": None if outbox.oldest is None else now - outbox.oldest,
                "by_state": await ops_stats.deliveries_by_state(store),
                "last_delivered": await ops_stats.last_delivered(store),
            },
            "failing_domains": [
                {
                    "domain": d.host,
                    "breaker": "open" if d.unavailable else "closed",
                    "failure_days": d.failure_days,
                    "last_success": d.last_success,
                }
                for d in await ops_stats.failing_domains(store)
            ],
        }
    if args.json:
        print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())
    else:
        print(render(figures, now))
    return 0


def render(f: dict[str, Any], now: float) -> str:
    i, d = f["inbox"], f["deliveries"]
    states = d["by_state"]
    lines = [
        f"fedivoisin status of {f['origin']} at {f['at']}",
        f"inbox queue: {i['waiting']} waiting, oldest "
        + ("none" if i["oldest_age_seconds"] is None else ago(now - i["oldest_age_seconds"], now))
        + f"; processed {i['by_state'].get('done', 0)}, failed {i['by_state'].get('failed', 0)};"
        f" last processed {ago(i['last_processed'], now)}",
        f"deliveries: {states.get('pending', 0)} pending, {states.get('retrying', 0)} retrying,"
        f" {states.get('delivered', 0)} delivered, {states.get('failed', 0)} failed; oldest"
        " waiting "
        + ("none" if d["oldest_age_seconds"] is None else ago(now - d["oldest_age_seconds"], now))
        + f"; last delivered {ago(d['last_delivered'], now)}",
    ]
    failing = f["failing_domains"]
    if not failing:
        lines.append("failing domains: none")
    else:
        lines.append("failing domains (breaker open = unavailable, nothing sent until it talks):")
        for x in failing:
            lines.append(
                f"  {x['domain']}\tbreaker {x['breaker']}\tfailing days {x['failure_days']}"
                f"\tlast success {ago(x['last_success'], now)}"
            )
    return "\n".join(lines)
