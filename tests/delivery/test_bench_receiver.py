"""The benchmarks' child-process receiver (bench/receiver.py `_Bare`).

It stands for 1,000 remote servers in the fan-out benchmarks, whose figures come from its
counts: it must count what a real server would accept (signed POSTs, once per activity and
inbox), refuse what one would refuse, and speak enough HTTP/1.1 for aiohttp's client
(keep-alive, bodies arriving in several reads, answers after a delay)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import orjson

from bench.fanout_bench import start_receiver
from bench.receiver import loopback_hosts

FIRST = 0x0A0000  # 127.10.0.x: away from the in-process receivers' addresses


def _activity(i: int, pad: int = 0) -> bytes:
    return orjson.dumps({"id": f"https://sender.example/activities/{i}", "pad": "x" * pad})


async def _post(s: aiohttp.ClientSession, url: str, body: bytes, signed: bool = True) -> int:
    headers = {"Content-Type": "application/activity+json"}
    if signed:
        headers["Signature"] = 'keyId="k",signature="c2ln"'
    async with s.post(url, data=body, headers=headers) as r:
        await r.read()
        return r.status


async def _stats(s: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    async with s.get(f"{base}/_stats") as r:
        return dict(orjson.loads(await r.read()))


async def test_counts_signed_posts_once_per_activity_and_inbox() -> None:
    proc, port = start_receiver(3, FIRST, 0.0)
    try:
        hosts = [f"http://{h}:{port}" for h in loopback_hosts(3, FIRST)]
        async with aiohttp.ClientSession() as s:
            # Keep-alive: several requests on one connection per host.
            statuses = [await _post(s, f"{h}/inbox", _activity(1)) for h in hosts]
            statuses.append(await _post(s, f"{hosts[0]}/users/solo1/inbox", _activity(1)))
            statuses.append(await _post(s, f"{hosts[0]}/inbox", _activity(1)))  # re-sent
            # A body larger than one read (the parser waits for all of it).
            statuses.append(await _post(s, f"{hosts[1]}/inbox", _activity(2, pad=300_000)))
            assert statuses == [202] * 6
            assert await _post(s, f"{hosts[2]}/inbox", _activity(3), signed=False) == 401
            assert await _post(s, f"{hosts[2]}/inbox", b"{not json") == 400
            assert await _post(s, f"{hosts[2]}/elsewhere", _activity(4)) == 404
            stats = await _stats(s, hosts[0])
        assert stats == {
            "posts": 6,
            "unique": 5,  # activity 1 at four inboxes, activity 2 at one
            "duplicates": 1,
            "inboxes": 4,
            "rejected": 1,
        }
    finally:
        proc.kill()
        proc.wait(10)


async def test_answers_after_the_delay() -> None:
    proc, port = start_receiver(1, FIRST + 8, 0.3)
    try:
        url = f"http://{loopback_hosts(1, FIRST + 8)[0]}:{port}/inbox"
        async with aiohttp.ClientSession() as s:
            started = time.monotonic()
            statuses = await asyncio.gather(*(_post(s, url, _activity(i)) for i in range(4)))
            elapsed = time.monotonic() - started
        assert statuses == [202] * 4
        assert 0.3 <= elapsed < 5
    finally:
        proc.kill()
        proc.wait(10)
