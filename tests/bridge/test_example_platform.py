"""examples/bridge/platform.py end to end: it registers, is granted, subscribes its own
webhook, posts a garden party; a resident of another instance replies and joins; the
example prints both and exits 0. Forged webhook calls are refused by its verifier."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.kinds.helpers import follow, post

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "bridge" / "platform.py"
SECRET = "s3cret-of-the-jardin-platform"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def signed(event_id: str, stamp: int, body: bytes, secret: str = SECRET) -> dict[str, str]:
    mac = hmac.new(secret.encode(), f"{event_id}.{stamp}.".encode() + body, hashlib.sha256)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": "v1," + base64.b64encode(mac.digest()).decode(),
        "content-type": "application/json",
    }


async def test_example_platform_end_to_end(instance_factory: Any) -> None:
    a = await instance_factory()
    b = await instance_factory()
    jardin = await a.community("jardin", "Jardin partagé")
    await b.person("max")
    max_token = await b.token("max")
    await follow(b, "max", max_token, jardin)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--server",
        a.base_url,
        "--community",
        "jardin",
        "--admin-data-dir",
        str(a.data_dir),
        "--fedivoisin",
        str(Path(sys.executable).parent / "fedivoisin"),
        "--webhook-secret",
        SECRET,
        "--timeout",
        "30",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    lines: list[str] = []

    async def line_with(marker: str) -> str:
        assert proc.stdout is not None
        while True:
            raw = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert raw, f"the example ended early: {lines}"
            lines.append(raw.decode().rstrip())
            if marker in lines[-1]:
                return lines[-1]

    try:
        hook_url = (await line_with("listening on ")).rsplit(" ", 1)[-1]
        event_id = (await line_with("posted event ")).rsplit(" ", 1)[-1]
        body = b'{"id":"evt_forged","type":"rsvp.changed","data":{}}'
        async with httpx.AsyncClient(timeout=5) as c:
            wrong = await c.post(
                hook_url,
                content=body,
                headers=signed("evt_forged", int(time.time()), body, "not-the-secret"),
            )
            stale = await c.post(
                hook_url, content=body, headers=signed("evt_forged", int(time.time()) - 600, body)
            )
        assert wrong.status_code == 401 and stale.status_code == 401
        # A neighbour on another instance answers from the fediverse.
        await post(
            b,
            "max",
            max_token,
            {
                "type": "Note",
                "content": "J'apporte une tarte aux pommes !",
                "inReplyTo": event_id,
                "to": [PUBLIC, jardin],
            },
        )
        await post(b, "max", max_token, {"type": "Join", "object": event_id})
        await line_with("done: ")
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    output = "\n".join(lines)
    assert f"reply from {b.actor('max')}: J'apporte une tarte aux pommes !" in output
    assert f"RSVP: {b.actor('max')} is accepted" in output
    assert output.count("rejected a webhook call") == 2
