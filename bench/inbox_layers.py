"""Where an inbox POST's time goes: the same signed requests through each layer, in one
process on one core, without sockets (the ASGI app is called directly, 64 at a time).

Companion of bench/inbox_bench.py (which measures over HTTP). Each variant runs in a fresh
interpreter so they do not share caches:

    minimal          bench/minimal_inbox.py: parse, verify the signature, one INSERT
    starlette-noop   fedivoisin's route table and exception handlers, a POST /inbox that
                     only reads the body and answers 202
    real             fedivoisin's app, inbox worker paused (the accept path)
    real-no-verify   …with authenticate.verify replaced by "the actor signed it"
    real-no-db       …with the durable INSERT replaced by a no-op
    process          the inbox worker alone: the queue the accept path filled, processed
                     (handler + storage) until empty; CPU µs per activity. A local
                     resident follows every sender, so each Create is also listed in
                     her inbox. INBOX_LAYERS_PROFILE=file writes a cProfile of it.

    .venv/bin/python bench/inbox_layers.py [variant …]
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

VARIANTS = ["minimal", "starlette-noop", "real", "real-no-verify", "real-no-db", "process"]
SENDERS, REQUESTS, CONCURRENCY = 32, 6000, 64
KEY_ORIGIN, TARGET = "http://127.0.0.1:5555", "127.0.0.1:8080"


def _scope(request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    body = request["body"].encode()
    headers = [(k.lower().encode(), v.encode()) for k, v in request["headers"].items()]
    headers += [(b"content-length", str(len(body)).encode()), (b"user-agent", b"bench")]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/inbox",
        "raw_path": b"/inbox",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8080),
    }
    return scope, body


async def _call(app: Any, request: dict[str, Any]) -> int:
    scope, body = _scope(request)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


async def _batch(app: Any, requests: list[dict[str, Any]]) -> tuple[float, dict[int, int]]:
    """CPU µs per request (this process, both threads) and the statuses."""
    statuses: dict[int, int] = {}
    started = time.process_time()
    for i in range(0, len(requests), CONCURRENCY):
        chunk = requests[i : i + CONCURRENCY]
        for status in await asyncio.gather(*(_call(app, r) for r in chunk)):
            statuses[status] = statuses.get(status, 0) + 1
    return (time.process_time() - started) / len(requests) * 1e6, statuses


async def _run(variant: str, work: Path) -> tuple[float, dict[int, int]]:
    import orjson

    warm = orjson.loads((work / "warm.json").read_bytes())
    timed = orjson.loads((work / "timed.json").read_bytes())
    if variant == "minimal":
        os.environ["MINIMAL_INBOX_KEYS"] = str(work / "keys.json")
        os.environ["MINIMAL_INBOX_DB"] = str(work / "minimal.sqlite3")
        import minimal_inbox

        await minimal_inbox._startup()
        await _batch(minimal_inbox.app, warm)
        result = await _batch(minimal_inbox.app, timed)
        assert minimal_inbox._DB is not None
        await minimal_inbox._DB.close()
        return result
    if variant == "starlette-noop":
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        from fedivoisin.web.app import routes
        from fedivoisin.web.problems import EXCEPTION_HANDLERS

        async def noop(request: Request) -> Response:
            await request.body()
            return Response(status_code=202)

        table = [
            r if r.path != "/inbox" else Route("/inbox", noop, methods=["POST"]) for r in routes()
        ]
        app = Starlette(routes=table, exception_handlers=EXCEPTION_HANDLERS)
        return await _batch(app, timed)
    return await _run_real(variant, work, warm, timed)


async def _run_real(
    variant: str, work: Path, warm: list[dict[str, Any]], timed: list[dict[str, Any]]
) -> tuple[float, dict[int, int]]:
    import orjson

    import fedivoisin.inbox.receive as receive_module
    from fedivoisin.config import load_settings
    from fedivoisin.inbox import worker
    from fedivoisin.protocol.addressing import ref
    from fedivoisin.store import remote_actors
    from fedivoisin.store.remote_actors import RemoteActor
    from fedivoisin.web.app import create_app

    async def paused(self: Any, stop: asyncio.Event) -> None:
        await stop.wait()

    worker.InboxWorker.run = paused  # type: ignore[method-assign]
    if variant == "real-no-verify":

        async def signed_by_actor(rt: Any, m: str, u: str, h: Any, body: bytes) -> str:
            actor = ref(orjson.loads(body)["actor"])
            assert actor is not None
            return actor

        receive_module.verify = signed_by_actor  # type: ignore[assignment]
    if variant == "real-no-db":

        async def no_insert(store: Any, **row: Any) -> bool:
            return True

        receive_module.inbox_queue.enqueue = no_insert  # type: ignore[assignment]
    settings = load_settings(
        {
            "data_dir": work / f"{variant}-{os.getpid()}",
            "base_url": f"http://{TARGET}",
            "allow_private_networks": True,
            "log_level": "error",
        },
        env={},
    )
    app = create_app(settings)
    publics = orjson.loads((work / "keys.json").read_bytes())
    async with app.router.lifespan_context(app):
        rt = app.state.runtime
        for key_id, pem in publics.items():
            uri = key_id.split("#")[0]
            await remote_actors.save(
                rt.store,
                RemoteActor(
                    uri=uri,
                    type="Person",
                    host="127.0.0.1",
                    preferred_username=None,
                    name=None,
                    inbox=uri + "/inbox",
                    shared_inbox=None,
                    followers=None,
                    key_id=key_id,
                    public_key_pem=pem,
                    document={},
                    fetched_at=time.time(),
                ),
            )
        if variant == "process":
            await _follow_every_sender(rt, publics)
        await _batch(app, warm)
        if variant == "process":  # the warm-up activities, processed before the timing
            while await app.state.workers[0].run_once():
                pass
        accepted = await _batch(app, timed)
        if variant != "process":
            return accepted
        return await _drain(rt, app.state.workers[0], len(timed))


async def _follow_every_sender(rt: Any, publics: dict[str, str]) -> None:
    from fedivoisin import admin
    from fedivoisin.store import follows

    await admin.create_actor(rt.store, rt.clock, "amelie", type_="Person", name="Amélie")
    for key_id in publics:
        sender = key_id.split("#")[0]
        await follows.upsert(rt.store, rt.urls.actor("amelie"), sender, "accepted", None, 0.0)


async def _drain(rt: Any, worker: Any, expected: int) -> tuple[float, dict[int, int]]:
    """CPU µs per activity for the worker to empty the queue (warm-up rows first)."""
    import cProfile

    from fedivoisin.store import inbox_queue

    before = await inbox_queue.counts(rt.store)
    profile_to = os.environ.get("INBOX_LAYERS_PROFILE")
    profiler = cProfile.Profile() if profile_to else None
    statements: dict[str, int] = {}
    trace = os.environ.get("INBOX_LAYERS_SQL")  # print the statements run per activity
    if trace:

        def count(sql: str) -> None:
            key = re.sub(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b|X'[0-9A-F]*'", "?", sql)
            key = " ".join(key.split())[:120]
            statements[key] = statements.get(key, 0) + 1

        rt.store.db.set_trace_callback(count)
    started = time.process_time()
    if profiler is not None:
        profiler.enable()
    processed = 0
    while n := await worker.run_once():
        processed += n
    cpu = (time.process_time() - started) / max(processed, 1) * 1e6
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile_to)
    if trace:
        rt.store.db.set_trace_callback(None)
        print(f"{sum(statements.values()) / max(processed, 1):.1f} statements per activity")
        for sql, n in sorted(statements.items(), key=lambda kv: -kv[1])[:40]:
            print(f"{n / max(processed, 1):6.2f}  {sql}")
    after = await inbox_queue.counts(rt.store)
    assert processed == expected, (processed, expected, before, after)
    return cpu, {0: processed}


def _prepare(work: Path) -> None:
    import orjson
    from inbox_bench import _public_pem, make_keys, sign_all

    keys = make_keys(SENDERS)
    publics = {f"{KEY_ORIGIN}/users/s{i}#main-key": _public_pem(k) for i, k in enumerate(keys)}
    (work / "keys.json").write_bytes(orjson.dumps(publics))
    warm = sign_all(keys, KEY_ORIGIN, TARGET, [(i, 0) for i in range(SENDERS)])
    timed_items = [(i % SENDERS, 1 + i // SENDERS) for i in range(REQUESTS)]
    (work / "warm.json").write_bytes(orjson.dumps(warm))
    (work / "timed.json").write_bytes(orjson.dumps(sign_all(keys, KEY_ORIGIN, TARGET, timed_items)))


def main(argv: list[str]) -> None:
    if argv and argv[0] == "_one":
        os.sched_setaffinity(0, {0})
        import uvloop

        uvloop.install()
        cpu, statuses = asyncio.run(_run(argv[1], Path(argv[2])))
        print(f"{argv[1]:16s} {cpu:7.1f} µs CPU per request   statuses {statuses}", flush=True)
        return
    work = Path(tempfile.mkdtemp(prefix="inbox-layers-"))
    try:
        _prepare(work)
        for variant in argv or VARIANTS:
            subprocess.run([sys.executable, __file__, "_one", variant, str(work)], check=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # signed requests and databases: ~100 MB


if __name__ == "__main__":
    main(sys.argv[1:])
