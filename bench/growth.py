"""Growth benchmark (issue 16): do reads and the inbox stay flat as the database grows?

One run, three servers on the same machine, each pinned to CPU 0 (the load generator on
CPU 1), so every figure is a ratio within the run (PERFORMANCE.md):

- `static`: a minimal Starlette app answering a static JSON body (bench/static_app.py), the
  ceiling of any GET through uvicorn + starlette;
- `seed`: `fedivoisin serve` on a database holding only a seed (a community, a resident,
  SEED received activities and SEED local objects, so every page is as full as later);
- `big`: the same seed plus N received activities (default 1,000,000) and M local objects
  (default 100,000), written directly in bulk by `fill()` (the rows the inbox worker and
  the outbox would write, with the same encodings, through the same triggers).

Measured on `seed` and `big`: GETs of the actor, the outbox's first page and a deep page
(by its cursor), the owner's inbox page (bearer token), a per-kind collection page
(`/news?page=1`), `followers`, `events.ics`, `feed.atom`, the community's HTML page, and
signed Create(Note) POSTs accepted per second (bench/inbox_bench.py's signed requests).
Bytes per received activity come from `fedivoisin db stats` style accounting (dbstat) of
`big` minus `seed`.

    .venv/bin/python bench/growth.py [--received N] [--local M] [--seconds S] [--keep DIR]

Prints the figures and writes bench/results/growth.json (`--disk-only`: fill, measure
the bytes per received activity, write bench/results/growth-disk.json, stop).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inbox_bench import (  # noqa: E402
    KeyServer,
    _pin,
    actor_document,
    cpu_seconds,
    free_port,
    make_keys,
    run_loadgen,
    sign_all,
    stop,
    wait_listening,
)
from bench.inbox_bench import _public_pem as public_pem  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "growth.json"
RESULTS_DISK = ROOT / "bench" / "results" / "growth-disk.json"
SERVER_CPU, LOADGEN_CPU = 0, 1
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ORIGIN = "http://127.0.0.1:{port}"
REMOTE = "https://remote{n}.example"
SEED = 200  # received activities in the seed database
SEED_LOCAL = 5000  # local objects: 500 events, so the calendar is as full as later
ROUNDS = 3
KINDS = ("note",) * 14 + ("event", "event", "news", "news", "proposal", "alert")
MASTODON_CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    {
        "ostatus": "http://ostatus.org#",
        "atomUri": "ostatus:atomUri",
        "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
        "conversation": "ostatus:conversation",
        "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#",
        "votersCount": "toot:votersCount",
        "Hashtag": "as:Hashtag",
    },
]
TEXT = (
    "Bonjour ! Quelqu'un a trouvé un trousseau de clés près du local vélos ce matin ? "
    "Il y a un porte-clés rouge. Merci de le déposer chez la gardienne. #voisins"
)


# -- the filler ------------------------------------------------------------------------


def received_rows(start: int, stop_: int, owner: str) -> list[tuple[Any, ...]]:
    """Rows for `received`, `activities`, `objects`, `inbox_items` of received Create(Note)
    activities shaped like the Mastodon fixtures (worker process: encodes and compresses)."""
    from fedivoisin.store.activities import encode_document

    out = []
    base = 1_700_000_000.0
    for i in range(start, stop_):
        host = REMOTE.format(n=i % 500)
        actor = f"{host}/users/u{i % 5000}"
        note = f"{actor}/statuses/{10**17 + i}"
        aid = note + "/activity"
        t = base + i
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        obj = {
            "id": note,
            "type": "Note",
            "summary": None,
            "inReplyTo": None,
            "published": stamp,
            "url": f"{host}/@u{i % 5000}/{10**17 + i}",
            "attributedTo": actor,
            "to": [PUBLIC],
            "cc": [actor + "/followers"],
            "sensitive": False,
            "atomUri": note,
            "inReplyToAtomUri": None,
            "conversation": f"tag:{host[8:]},2026-11-30:objectId={i}:objectType=Conversation",
            "content": f"<p>{TEXT} ({i})</p>",
            "contentMap": {"fr": f"<p>{TEXT} ({i})</p>"},
            "attachment": [],
            "tag": [{"type": "Hashtag", "href": f"{host}/tags/voisins", "name": "#voisins"}],
            "replies": {
                "id": note + "/replies",
                "type": "Collection",
                "first": {
                    "type": "CollectionPage",
                    "next": note + "/replies?only_other_accounts=true&page=true",
                    "partOf": note + "/replies",
                    "items": [],
                },
            },
        }
        activity = {
            "@context": MASTODON_CONTEXT,
            "id": aid,
            "type": "Create",
            "actor": actor,
            "published": stamp,
            "to": [PUBLIC],
            "cc": [actor + "/followers"],
            "object": note,  # stored as a reference: the object row holds it (migration 051)
        }
        addressees = orjson.dumps([PUBLIC, actor + "/followers"]).decode()
        out.append(
            (
                (aid, actor, actor, None, b"", t, "done", t),
                (aid, actor, "Create", note, addressees, encode_document(activity), t),
                (note, actor, addressees, encode_document(obj), t),  # as the store does
                (owner, t, aid),
            )
        )
    return out


def local_rows(start: int, stop_: int, origin: str) -> list[tuple[Any, ...]]:
    """Rows of local objects (mixed kinds, in the community) and their Create activities."""
    from fedivoisin.store.activities import encode_document
    from fedivoisin.store.lifecycle import lifecycle_of

    community = f"{origin}/actors/lilas"
    author = f"{origin}/actors/alice"
    out = []
    base = 1_700_000_000.0
    for i in range(start, stop_):
        kind = KINDS[i % len(KINDS)]
        oid = f"{origin}/objects/bulk-{i}"
        t = base + i * 10
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        obj: dict[str, Any] = {
            "id": oid,
            "type": "Event" if kind == "event" else "Note",
            "attributedTo": author,
            "audience": community,
            "published": stamp,
            "to": [PUBLIC],
            "cc": [author + "/followers"],
            "content": f"<p>{TEXT} ({i})</p>",
        }
        start_time = end_time = None
        if kind == "event":
            start_time = 1_950_000_000.0 + i * 3600  # upcoming (2031 on)
            obj["name"] = f"Réunion {i}"
            obj["startTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start_time))
        elif kind != "note":
            obj["kind"] = {"news": "News", "proposal": "Proposal", "alert": "Alert"}[kind]
            obj["name"] = f"{kind} {i}"
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": oid + "/activity",
            "type": "Create",
            "actor": author,
            "published": stamp,
            "to": [PUBLIC],
            "cc": [author + "/followers"],
            "object": obj,
        }
        addressees = orjson.dumps([PUBLIC, author + "/followers", community]).decode()
        out.append(
            (
                (
                    oid,
                    obj["type"],
                    kind,
                    author,
                    addressees,
                    community,
                    orjson.dumps(obj).decode(),
                    t,
                    start_time,
                    end_time,
                    lifecycle_of(kind, obj, None),
                ),
                (oid + "/activity", author, oid, addressees, encode_document(activity), t),
            )
        )
    return out


def _received_job(args: tuple[int, int, str]) -> list[tuple[Any, ...]]:
    return received_rows(*args)


def _local_job(args: tuple[int, int, str]) -> list[tuple[Any, ...]]:
    return local_rows(*args)


def fill(db: Path, origin: str, received: int, local: int, *, offset: int = 0) -> float:
    """Write `received` received activities and `local` local objects directly, in bulk
    (the encodings are those of the store; the triggers keep counters and versions)."""
    started = time.perf_counter()
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-400000")
    chunk = 20_000
    with Pool(2) as pool:
        jobs = [
            (offset + i, offset + min(i + chunk, received), "lilas")
            for i in range(0, received, chunk)
        ]
        for rows in pool.imap(_received_job, jobs):
            con.execute("BEGIN")
            con.executemany(
                "INSERT INTO received (activity_uri, signer, actor_uri, recipient, body,"
                " received_at, state, next_try) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [r[0] for r in rows],
            )
            con.executemany(
                "INSERT INTO activities (uri, actor_uri, type, object_uri, local, public,"
                " addressees, document, published, object_ref) VALUES (?, ?, ?, ?, 0, 1, ?, ?, ?, 1)",
                [r[1] for r in rows],
            )
            con.executemany(
                "INSERT INTO objects (uri, type, kind, attributed_to, local, public, addressees,"
                " document, published) VALUES (?, 'Note', 'note', ?, 0, 1, ?, ?, ?)",
                [r[2] for r in rows],
            )
            con.executemany(  # the store indexes hashtags on insert (store/hashtags.py)
                "INSERT INTO object_hashtags (object_id, tag)"
                " SELECT id, 'voisins' FROM objects WHERE uri = ?",
                [(r[2][0],) for r in rows],
            )
            con.executemany(
                "INSERT INTO inbox_items (owner, activity_id, received_at)"
                " SELECT ?, id, ? FROM activities WHERE uri = ?",
                [r[3] for r in rows],
            )
            con.execute("COMMIT")
        jobs = [
            (offset + i, offset + min(i + chunk, local), origin) for i in range(0, local, chunk)
        ]
        for rows in pool.imap(_local_job, jobs):
            con.execute("BEGIN")
            con.executemany(
                "INSERT INTO objects (uri, type, kind, attributed_to, local, public, addressees,"
                " community_uri, document, published, start_time, end_time, lifecycle)"
                " VALUES (?, ?, ?, ?, 1, 1, ?, ?, ?, ?, ?, ?, ?)",
                [r[0] for r in rows],
            )
            con.executemany(
                "INSERT INTO activities (uri, actor_uri, type, object_uri, local, public,"
                " addressees, document, published) VALUES (?, ?, 'Create', ?, 1, 1, ?, ?, ?)",
                [r[1] for r in rows],
            )
            con.execute("COMMIT")
    # As a server that indexed hashtags on insert from the start: no start-up backfill.
    con.execute(
        "INSERT OR REPLACE INTO instance_settings (key, value) VALUES ('hashtags_backfilled', '1')"
    )
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("ANALYZE")
    con.close()
    return time.perf_counter() - started


def table_bytes(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT coalesce(m.tbl_name, s.name), sum(s.pgsize) FROM dbstat s"
        " LEFT JOIN sqlite_schema m ON m.name = s.name GROUP BY 1"
    ).fetchall()
    con.close()
    return {name: int(size) for name, size in rows}


# -- servers -----------------------------------------------------------------------------


def cli(data_dir: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDIVOISIN_")}
    out = subprocess.run(
        [sys.executable, "-m", "fedivoisin", *args, "--data-dir", str(data_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return out.stdout.strip()


def prepare(data_dir: Path, origin: str) -> str:
    """A community `lilas` and a resident `alice`; returns the community's token."""
    cli(
        data_dir,
        "community",
        "create",
        "lilas",
        "--name",
        "Résidence Les Lilas",
        "--kind",
        "building",
        "--base-url",
        origin,
    )
    cli(
        data_dir,
        "actor",
        "create",
        "alice",
        "--type",
        "Person",
        "--name",
        "Alice",
        "--base-url",
        origin,
    )
    return cli(data_dir, "token", "create", "lilas", "--base-url", origin)


def start_server(data_dir: Path, port: int, origin: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDIVOISIN_")}
    env.update(FEDIVOISIN_ALLOW_PRIVATE_NETWORKS="1", FEDIVOISIN_LOG_LEVEL="warning")
    cmd = [sys.executable, "-m", "fedivoisin", "serve", "--data-dir", str(data_dir)]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--base-url", origin]
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(data_dir.parent / f"{data_dir.name}.log", "ab"),
        preexec_fn=lambda: _pin(SERVER_CPU),
    )


def start_static(port: int, work: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "uvicorn", "bench.static_app:app", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "static.log", "ab"),
        preexec_fn=lambda: _pin(SERVER_CPU),
    )


# -- the GET load generator (child process on the other core) --------------------------


async def _get_load(url: str, headers: dict[str, str], seconds: float, conc: int) -> dict[str, Any]:
    import aiohttp

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=conc, limit_per_host=conc)
    # auto_decompress=False: the gzip variant of a 500-event calendar inflates to ~190 KB;
    # inflating it here made this process the bottleneck (its socket buffers filled and
    # the server paid for partial writes), so the figure measured the load generator.
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                async with session.get(url, headers=headers) as resp:
                    await resp.read()
                    statuses[resp.status] = statuses.get(resp.status, 0) + 1
                latencies.append(time.perf_counter() - t)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    ok = statuses.get(200, 0) + statuses.get(304, 0)
    return {
        "requests": ok,
        "req_per_s": round(ok / elapsed, 1),
        "statuses": {str(k): v for k, v in statuses.items()},
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 2) if latencies else None,
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 2) if latencies else None,
    }


def getload_main(argv: list[str]) -> None:
    import uvloop

    uvloop.install()
    url, headers, seconds, conc = argv[0], orjson.loads(argv[1]), float(argv[2]), int(argv[3])
    print(orjson.dumps(asyncio.run(_get_load(url, headers, seconds, conc))).decode(), flush=True)


async def measured(pid: int, url: str, headers: dict[str, str], seconds: float) -> dict[str, Any]:
    """get_load plus the server's CPU time per answered request."""
    before = cpu_seconds(pid)
    out = await get_load(url, headers, seconds)
    used = cpu_seconds(pid) - before
    out["cpu_us_per_req"] = round(1e6 * used / max(out["requests"], 1), 1)
    return out


async def get_load(
    url: str, headers: dict[str, str], seconds: float, conc: int = 32
) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).resolve()),
        "_getload",
        url,
        orjson.dumps(headers).decode(),
        str(seconds),
        str(conc),
        stdout=asyncio.subprocess.PIPE,
        preexec_fn=lambda: _pin(LOADGEN_CPU),
    )
    out, _ = await asyncio.wait_for(proc.communicate(), seconds + 120)
    result: dict[str, Any] = orjson.loads(out.splitlines()[-1])
    return result


# -- the run -----------------------------------------------------------------------------

AS2 = {"Accept": "application/activity+json"}


def targets(base: str, token: str, deep_max_id: int) -> dict[str, tuple[str, dict[str, str]]]:
    return {
        "actor": (f"{base}/actors/lilas", AS2),
        "outbox_page": (f"{base}/actors/alice/outbox?page=1", AS2),
        "outbox_deep_page": (f"{base}/actors/alice/outbox?max_id={deep_max_id}", AS2),
        "inbox_page": (
            f"{base}/actors/lilas/inbox?page=1",
            {**AS2, "Authorization": f"Bearer {token}"},
        ),
        "news_page": (f"{base}/actors/lilas/news?page=1", AS2),
        "followers": (f"{base}/actors/lilas/followers", AS2),
        "events_ics": (f"{base}/actors/lilas/events.ics", {}),
        "feed_atom": (f"{base}/actors/lilas/feed.atom", {}),
        "community_page": (f"{base}/@lilas", {"Accept": "text/html"}),
    }


def mid_max_id(db: Path) -> int:
    """A cursor half-way down alice's outbox (a deep page, by keyset)."""
    con = sqlite3.connect(db)
    ids = con.execute(
        "SELECT id FROM activities WHERE actor_uri LIKE '%/actors/alice' AND local = 1 ORDER BY id"
    ).fetchall()
    con.close()
    return int(ids[len(ids) // 2][0]) if ids else 1


async def drained(db: Path, timeout: float = 120) -> None:
    """Wait until the server's inbox worker has processed its backlog (it shares CPU 0
    with the next server measured)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        con = sqlite3.connect(db, timeout=10)
        try:
            n = con.execute("SELECT count(*) FROM received WHERE state = 'pending'").fetchone()[0]
        finally:
            con.close()
        if n == 0:
            return
        await asyncio.sleep(0.5)


async def inbox_rate(
    port: int,
    origin: str,
    work: Path,
    keys: list[str],
    key_origin: str,
    n: int,
    conc: int,
    tag: str,
    offset: int = 0,
    warm_up: bool = True,
) -> dict[str, Any]:
    items = [(i % len(keys), offset + i) for i in range(n)]
    signed = sign_all(keys, key_origin, f"127.0.0.1:{port}", items)
    path = work / f"signed-{tag}.json"
    path.write_bytes(orjson.dumps(signed))
    if warm_up:  # one request per sender: the server fetches and caches every key
        warm = [(i, 10**9 + i) for i in range(len(keys))]
        wpath = work / f"warm-{tag}.json"
        wpath.write_bytes(orjson.dumps(sign_all(keys, key_origin, f"127.0.0.1:{port}", warm)))
        await run_loadgen(wpath, f"http://127.0.0.1:{port}/inbox", conc)
    return await run_loadgen(path, f"http://127.0.0.1:{port}/inbox", conc)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--received", type=int, default=1_000_000)
    ap.add_argument("--local", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--posts", type=int, default=4000, help="signed POSTs per inbox round")
    ap.add_argument(
        "--inbox-rounds", type=int, default=5, help="inbox rounds (their spread is the widest)"
    )
    ap.add_argument("--keep", type=Path, help="reuse/keep the databases in this directory")
    ap.add_argument(
        "--disk-only", action="store_true", help="fill, print the bytes per activity, stop"
    )
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="fv-growth-"))
    work.mkdir(parents=True, exist_ok=True)
    port = {"seed": free_port(), "big": free_port()}
    origin = {k: ORIGIN.format(port=p) for k, p in port.items()}
    result: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} CPU, Python {platform.python_version()}",
        "received": args.received,
        "local": args.local,
        "seed": SEED,
        "seed_local": SEED_LOCAL,
    }
    tokens = {}
    for name in ("seed", "big"):
        d = work / name
        if d.exists() and args.keep is None:
            shutil.rmtree(d)
        if not (d / "fedivoisin.sqlite3").exists():
            tokens[name] = prepare(d, origin[name])
            (work / f"{name}.token").write_text(tokens[name])
            fill(d / "fedivoisin.sqlite3", origin[name], SEED, SEED_LOCAL)
            if name == "big":
                db = d / "fedivoisin.sqlite3"
                # Received activities first, measured alone (the issue's "bytes per received
                # activity"), then the local objects; both growths are recorded.
                before = table_bytes(db)
                took = fill(db, origin[name], args.received, 0, offset=SEED_LOCAL)
                mid = table_bytes(db)
                took += fill(db, origin[name], 0, args.local, offset=SEED_LOCAL)
                after = table_bytes(db)
                result["fill_seconds"] = round(took, 1)
                grown = {k: mid[k] - before.get(k, 0) for k in mid}
                result["bytes_by_table_received"] = {k: v for k, v in grown.items() if v}
                result["bytes_per_received_activity"] = round(
                    sum(grown.values()) / args.received, 1
                )
                result["bytes_by_table"] = {k: after[k] - before.get(k, 0) for k in after}
                result["bytes_total_growth"] = sum(result["bytes_by_table"].values())
                result["bytes_per_activity_upper"] = round(
                    result["bytes_total_growth"] / args.received, 1
                )
                print(
                    f"filled in {took:.0f} s; {result['bytes_per_received_activity']} B of"
                    " pages per received activity (received alone: "
                    + ", ".join(
                        f"{k} {v / args.received:.0f}"
                        for k, v in sorted(grown.items(), key=lambda kv: -kv[1])
                        if v
                    )
                    + f"); {result['bytes_per_activity_upper']} B with the local objects",
                    flush=True,
                )
                if args.disk_only:
                    RESULTS_DISK.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
                    print(f"wrote {RESULTS_DISK}")
                    if args.keep is None:
                        shutil.rmtree(work, ignore_errors=True)
                    return
        tokens[name] = (work / f"{name}.token").read_text()

    keys = make_keys(64)
    key_port = free_port()
    key_origin = f"http://127.0.0.1:{key_port}"
    docs = {
        f"/users/s{i}": orjson.dumps(actor_document(key_origin, i, public_pem(k)))
        for i, k in enumerate(keys)
    }
    key_server = KeyServer(docs)
    await key_server.start(key_port)

    static_port = free_port()
    servers = {"static": start_static(static_port, work)}
    for name in ("seed", "big"):
        servers[name] = start_server(work / name, port[name], origin[name])
    static_url = f"http://127.0.0.1:{static_port}/"
    gets: dict[str, dict[str, Any]] = {"seed": {}, "big": {}}
    statics: dict[str, float] = {}
    static_cpu: dict[str, float] = {}
    try:
        await wait_listening(static_port, servers["static"])
        for name in ("seed", "big"):
            await wait_listening(port[name], servers[name], timeout=180)  # a big file
        per = {
            n: targets(origin[n], tokens[n], mid_max_id(work / n / "fedivoisin.sqlite3"))
            for n in ("seed", "big")
        }
        # Interleaved, all servers idle but one: each target is measured on the static app,
        # the seed and the big database back to back, ROUNDS times; medians.
        for what in per["seed"]:
            runs: dict[str, list[dict[str, Any]]] = {"static": [], "seed": [], "big": []}
            for name in ("seed", "big"):
                await get_load(*per[name][what], 0.5)  # warm: first render, caches
            for _ in range(ROUNDS):
                pid = servers["static"].pid
                runs["static"].append(await measured(pid, static_url, {}, args.seconds))
                for name in ("seed", "big"):
                    pid = servers[name].pid
                    runs[name].append(await measured(pid, *per[name][what], args.seconds))
            statics[what] = statistics.median(r["req_per_s"] for r in runs["static"])
            static_cpu[what] = statistics.median(r["cpu_us_per_req"] for r in runs["static"])
            for name in ("seed", "big"):
                best = sorted(runs[name], key=lambda r: r["req_per_s"])[len(runs[name]) // 2]
                best["cpu_us_per_req"] = statistics.median(r["cpu_us_per_req"] for r in runs[name])
                gets[name][what] = best
            print(
                f"{what:18} static {statics[what]:>7.0f}/s {static_cpu[what]:>5.0f} µs"
                f"  seed {gets['seed'][what]['req_per_s']:>7}/s"
                f" {gets['seed'][what]['cpu_us_per_req']:>5.0f} µs"
                f"  big {gets['big'][what]['req_per_s']:>7}/s"
                f" {gets['big'][what]['cpu_us_per_req']:>5.0f} µs",
                flush=True,
            )
        inbox_runs: dict[str, list[dict[str, Any]]] = {"seed": [], "big": []}
        # alternating seed / big; each round new activity ids
        for r in range(args.inbox_rounds):
            for name in ("seed", "big"):
                before = cpu_seconds(servers[name].pid)
                run = await inbox_rate(
                    port[name],
                    origin[name],
                    work,
                    keys,
                    key_origin,
                    args.posts,
                    64,
                    name,
                    offset=r * args.posts,
                    warm_up=r == 0,
                )
                await drained(work / name / "fedivoisin.sqlite3")
                # accept + processing CPU per accepted activity (the worker drains after)
                used = cpu_seconds(servers[name].pid) - before
                run["cpu_us_per_req"] = round(1e6 * used / max(run["accepted"], 1), 1)
                inbox_runs[name].append(run)
                print(
                    f"{name:5} inbox accepted {run['accepted_per_s']:>8}/s,"
                    f" {run['cpu_us_per_req']:.0f} µs CPU per activity (accept + processing)",
                    flush=True,
                )
        for name in ("seed", "big"):
            ordered = sorted(inbox_runs[name], key=lambda x: x["accepted_per_s"])
            gets[name]["inbox_accepted"] = ordered[len(ordered) // 2]
            gets[name]["inbox_accepted"]["cpu_us_per_req"] = statistics.median(
                x["cpu_us_per_req"] for x in inbox_runs[name]
            )
    finally:
        for proc in servers.values():
            stop(proc)
        await key_server.stop()
    static_rate = statistics.median(statics.values())
    ratios: dict[str, Any] = {}
    for what in gets["seed"]:
        seed = gets["seed"][what]
        big = gets["big"][what]
        rate = "accepted_per_s" if what == "inbox_accepted" else "req_per_s"
        ref = statics.get(what)
        cref = static_cpu.get(what)
        ratios[what] = {
            "seed_vs_static": round(seed[rate] / ref, 3) if ref else None,
            "big_vs_static": round(big[rate] / ref, 3) if ref else None,
            "big_vs_seed": round(big[rate] / seed[rate], 3) if seed[rate] else None,
            # per CPU-second of the server (less sensitive to other work on the machine)
            "seed_vs_static_cpu": round(cref / seed["cpu_us_per_req"], 3)
            if cref and what != "inbox_accepted"
            else None,
            "big_vs_static_cpu": round(cref / big["cpu_us_per_req"], 3)
            if cref and what != "inbox_accepted"
            else None,
            "big_vs_seed_cpu": round(seed["cpu_us_per_req"] / big["cpu_us_per_req"], 3)
            if seed.get("cpu_us_per_req")
            else None,
        }
    result.update(
        static_req_per_s=statics, static_cpu_us_per_req=static_cpu, gets=gets, ratios=ratios
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(f"\nstatic JSON app: {static_rate:.0f} req/s (median over targets)")
    print(f"{'wall / cpu':18} {'seed/static':>16} {'big/static':>16} {'big/seed':>16}")
    for what, r in ratios.items():
        print(
            f"{what:18} {r['seed_vs_static']!s:>7} / {r['seed_vs_static_cpu']!s:<7}"
            f" {r['big_vs_static']!s:>7} / {r['big_vs_static_cpu']!s:<7}"
            f" {r['big_vs_seed']!s:>7} / {r['big_vs_seed_cpu']!s:<7}"
        )
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_getload":
        getload_main(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "_loadgen":
        from bench.inbox_bench import loadgen_main

        loadgen_main(sys.argv[2:])
    else:
        asyncio.run(main())
