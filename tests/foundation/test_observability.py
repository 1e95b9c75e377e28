"""Issue 17 item 5: Prometheus /metrics on its own loopback port (never the public one),
whose counters move as an instance accepts, refuses and delivers activities; `fedivoisin
status` naming the same figures; `serve --log-format json` writing one JSON object a line.

Two real instances: rose on `b` follows lilou on `a` (a signed Follow accepted by `a`, an
Accept delivered to `b`), a POST with a bad signature is refused, then `b` goes away and
`a`'s next delivery to it fails (a retry, a failing domain)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from prometheus_client.parser import text_string_to_metric_families

from tests.rig import AS2, Instance, wait_for
from tests.rig.instance import free_port

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(inst: Instance) -> Samples:
    async with httpx.AsyncClient(timeout=10) as c:
        r = await c.get(f"http://{inst.settings.metrics_bind}/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def host(inst: Instance) -> str:
    """Deliveries are counted by host name (no port), as domain blocks and health are."""
    return str(urlsplit(inst.base_url).hostname)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def c2s(inst: Instance, slug: str, token: str, body: dict[str, Any]) -> None:
    async with inst.http() as c:
        r = await c.post(
            f"/actors/{slug}/outbox",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": AS2},
        )
    assert r.status_code == 201, r.text


async def scenario(
    instance_factory: Callable[..., Any], **settings: Any
) -> tuple[Instance, Instance]:
    """An accepted Follow, a refused forgery, a delivered Accept, then a failing delivery."""
    a: Instance = await instance_factory(**settings)
    b: Instance = await instance_factory()
    await a.person("lilou", manually_approves=False)
    await b.person("rose")
    lilou, rose = await a.token("lilou"), await b.token("rose")
    await c2s(b, "rose", rose, {"type": "Follow", "object": a.actor("lilou")})

    async def accepted() -> Any:
        return await b.rt.store.fetchone(
            "SELECT 1 FROM follows WHERE follower = ? AND state = 'accepted'", (b.actor("rose"),)
        )

    await wait_for(accepted, timeout=10)
    forged = orjson.dumps(
        {"id": b.actor("rose") + "#x", "type": "Like", "actor": b.actor("rose"), "object": "x"}
    )
    async with a.http() as c:
        r = await c.post(
            "/inbox",
            content=forged,
            headers={
                "Content-Type": AS2,
                "Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
                "Signature": f'keyId="{b.actor("rose")}#main-key",algorithm="rsa-sha256",'
                'headers="(request-target) host date",signature="Zm9yZ2Vk"',
            },
        )
        assert r.status_code == 401, r.text
        assert (await c.get("/actors/lilou", headers={"Accept": AS2})).status_code == 200
    await b.stop()
    await c2s(
        a,
        "lilou",
        lilou,
        {"type": "Note", "content": "<p>Bonjour</p>", "to": [a.actor("lilou") + "/followers"]},
    )

    async def failed_once() -> Any:
        # The retry is recorded, then the cycle notes the failing day: wait for both.
        return await a.rt.store.fetchone(
            "SELECT 1 FROM deliveries WHERE host = ? AND attempts > 0 AND state = 'pending'"
            " AND EXISTS (SELECT 1 FROM domain_health WHERE host = ? AND failure_days <> '[]')",
            (host(b), host(b)),
        )

    await wait_for(failed_once, timeout=10)
    return a, b


async def test_metrics_move_as_activities_are_accepted_refused_and_delivered(
    instance_factory: Callable[..., Any],
) -> None:
    a, b = await scenario(instance_factory, metrics_bind=f"127.0.0.1:{free_port()}")
    s = await scrape(a)
    assert value(s, "fedivoisin_inbox_accepted_total") >= 1
    assert value(s, "fedivoisin_inbox_refused_total", reason="signature_rejected") == 1
    assert value(s, "fedivoisin_inbox_processed_total", outcome="done") >= 1
    assert value(s, "fedivoisin_inbox_processing_lag_seconds_count") >= 1
    assert value(s, "fedivoisin_inbox_last_processed_timestamp_seconds") > 0
    assert value(s, "fedivoisin_deliveries_total", outcome="delivered", domain=host(b)) >= 1
    assert value(s, "fedivoisin_deliveries_total", outcome="retry", domain=host(b)) >= 1
    # The domain that stopped answering: failing on one day, still tried (breaker closed).
    assert value(s, "fedivoisin_delivery_breaker_open", domain=host(b)) == 0
    assert value(s, "fedivoisin_delivery_failing_days", domain=host(b)) == 1
    assert value(s, "fedivoisin_delivery_queue_depth") >= 1
    assert value(s, "fedivoisin_delivery_queue_oldest_age_seconds") >= 0
    assert ("fedivoisin_inbox_queue_depth", ()) in s
    # Latency by route template (low cardinality); inbox POSTs take the fast path, unmeasured.
    get_actor = {"method": "GET", "route": "/actors/{slug}", "status": "2xx"}
    assert value(s, "fedivoisin_http_request_duration_seconds_count", **get_actor) >= 1
    assert not any("inbox" in dict(labels).get("route", "") for _, labels in s)
    # Counters move: one more refusal is one more in the next scrape.
    async with a.http() as c:
        assert (await c.post("/inbox", content=b"{}", headers={"Content-Type": AS2})).status_code
        # Never on the public port.
        assert (await c.get("/metrics")).status_code == 404
    after = await scrape(a)
    refused = sum(v for (n, _), v in after.items() if n == "fedivoisin_inbox_refused_total")
    assert refused == sum(v for (n, _), v in s.items() if n == "fedivoisin_inbox_refused_total") + 1


async def test_metrics_are_off_by_default(instance: Instance) -> None:
    assert instance.settings.metrics_bind == ""
    async with instance.http() as c:
        assert (await c.get("/metrics")).status_code == 404


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDIVOISIN_")}
    return subprocess.run(
        [sys.executable, "-m", "fedivoisin", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


async def test_status_names_queues_deliveries_and_failing_domains(
    instance_factory: Callable[..., Any],
) -> None:
    a, b = await scenario(instance_factory)
    done = await asyncio.to_thread(cli, a.data_dir, "status")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert f"fedivoisin status of {a.base_url}" in text
    assert "inbox queue: 0 waiting" in text and "last processed" in text
    assert "last processed never" not in text
    assert "1 retrying" in text and "delivered" in text and "last delivered" in text
    assert f"{host(b)}\tbreaker closed\tfailing days 1" in text
    as_json = await asyncio.to_thread(cli, a.data_dir, "status", "--json")
    figures = orjson.loads(as_json.stdout)
    assert figures["deliveries"]["by_state"]["retrying"] == 1
    assert figures["deliveries"]["by_state"]["delivered"] >= 1
    assert figures["failing_domains"][0]["domain"] == host(b)
    assert figures["inbox"]["last_processed"] is not None


async def test_serve_writes_json_log_lines_and_serves_metrics_on_its_flag(tmp_path: Path) -> None:
    data, port, metrics = tmp_path / "data", free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDIVOISIN_")}
    env["FEDIVOISIN_LOG_LEVEL"] = "info"
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "fedivoisin", "serve", "--data-dir", str(data)),
            *("--port", str(port), "--log-format", "json", "--metrics-port", str(metrics)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:

        async def up() -> bool:
            try:
                async with httpx.AsyncClient(timeout=1) as c:
                    r = await c.get(f"http://127.0.0.1:{metrics}/metrics")
                    return r.status_code == 200 and "fedivoisin_inbox_accepted_total" in r.text
            except httpx.HTTPError:
                return False

        await wait_for(up, timeout=20, interval=0.1)
    finally:
        proc.terminate()
        out, _ = await asyncio.to_thread(proc.communicate, timeout=15)
    lines = [orjson.loads(line) for line in out.decode().splitlines() if line.strip()]
    assert lines, out
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line), line
    banner = next(x for x in lines if x["message"].startswith("fedivoisin serving"))
    assert banner["metrics_bind"] == f"127.0.0.1:{metrics}"  # an extra field, as a key
    assert any(x["logger"].startswith("uvicorn") for x in lines)
