"""Prometheus /metrics on its own small server (issue 17 item 5), never on the public port.

Why a separate listener: the public port is reached by the whole fediverse; queue depths
and peer domains are for the operator. The server is aiohttp's (already the outbound
client; no new dependency) in the same event loop, so scrape-time gauges are read from the
database with the same store. Off unless `metrics_bind` is set (`serve --metrics-port`).
"""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..config import metrics_address
from ..runtime import Runtime
from ..store import ops_stats

log = logging.getLogger("fedivoisin.metrics")


async def refresh(rt: Runtime) -> None:
    """Set the gauges that describe the database's state (called on each scrape)."""
    m, now = rt.metrics, rt.clock.now()
    for queue, depth, oldest in (
        (await ops_stats.inbox_queue(rt.store), m.inbox_queue_depth, m.inbox_queue_oldest),
        (await ops_stats.delivery_queue(rt.store), m.delivery_queue_depth, m.delivery_queue_oldest),
    ):
        depth.set(queue.depth)
        oldest.set(max(0.0, now - queue.oldest) if queue.oldest is not None else 0.0)
    failing = await ops_stats.failing_domains(rt.store)
    m.breaker_open.clear()  # a domain that recovered disappears from the series
    m.failing_days.clear()
    for d in failing:
        m.breaker_open.labels(d.host).set(1 if d.unavailable else 0)
        m.failing_days.labels(d.host).set(d.failure_days)


async def exposition(rt: Runtime) -> bytes:
    await refresh(rt)
    return generate_latest(rt.metrics.registry)


async def start(rt: Runtime) -> web.AppRunner:
    host, port = metrics_address(rt.settings.metrics_bind)

    async def metrics(request: web.Request) -> web.Response:
        body = await exposition(rt)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    if host not in ("127.0.0.1", "::1", "localhost"):
        log.warning("metrics are served on %s:%d, beyond loopback: firewall it", host, port)
    return runner
