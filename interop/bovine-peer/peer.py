"""Launch bovine-herd (PyPI, pinned in requirements.txt) on loopback for the interop tests.

This is glue, not a patch: it builds bovine-herd's own Quart app with `BovineHerd(app,
db_url=...)`, its storage on SQLite in a temporary directory (tortoise-orm), registers one
actor with bovine's `BovineAdminStore` under the domain `http://127.0.0.1:PORT` (bovine's
documented way to run end-to-end tests over plain http) and serves it with Hypercorn on
a socket we bound ourselves, so the port is known before the actor is registered.

Settings used, all bovine's own:
- `BUTCHER_ALLOW_HTTP=1`: bovine's WebFinger client retries over http when https fails.
- bovine caches JSON-LD contexts in `bovine_jsonld_cache.sqlite` in the working directory;
  we seed it with the real contexts fedivoisin bundles (file given by `--contexts`), so
  bovine never fetches a context from the Internet (tests use loopback only); an unseeded
  context would go through HTTPS_PROXY=127.0.0.1:9 and fail fast (bovine then uses `[]`).

Our additions live under `/_control/` (never part of the federation surface):
- GET  /_control/health     -> the actor's id, handle, inbox, outbox
- POST /_control/outbox     {activity} -> POSTs it, signed as the actor, to the actor's own
                              outbox endpoint (the C2S path a bovine client uses); answers
                              bovine's status and `location` (the new activity id)
- POST /_control/lookup     {url}  -> `actor.retrieve(url)` (what bovine's proxyUrl endpoint
                              runs: signed GET, then JSON-LD flatten/compact into its store);
                              an `acct:` URI is resolved with bovine's WebFinger client first
- GET  /_control/received   -> every POST bovine's inbox endpoint accepted (bovine answers
                              401 unless the HTTP signature verified) with `signer` = the
                              key owner bovine verified and the signature `scheme`, once
                              bovine has processed it
- GET  /_control/object?id= -> the object as bovine stored it (after its JSON-LD processing)
- GET  /_control/collection?name=followers|following|inbox|outbox -> item ids
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import sqlite3
import sys
from pathlib import Path
from typing import Any


def seed_jsonld_cache(data_dir: Path, contexts_file: Path | None) -> None:
    """Pre-fill bovine's own context cache (bovine.jsonld.cache.JsonLDCache's table)."""
    if contexts_file is None:
        return
    contexts: dict[str, Any] = json.loads(contexts_file.read_text(encoding="utf-8"))
    con = sqlite3.connect(data_dir / "bovine_jsonld_cache.sqlite")
    con.execute("CREATE TABLE IF NOT EXISTS jsonld (url TEXT PRIMARY KEY, context TEXT)")
    con.executemany(
        "INSERT OR REPLACE INTO jsonld VALUES (?, ?)",
        [(url, json.dumps(ctx)) for url, ctx in contexts.items()],
    )
    con.commit()
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--handle", default="milkdrinker")
    parser.add_argument("--contexts", type=Path, default=None)
    args = parser.parse_args()

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    data_dir: Path = args.data.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    seed_jsonld_cache(data_dir, args.contexts)
    os.chdir(data_dir)  # bovine opens its JSON-LD cache relative to the working directory
    os.environ.setdefault("BUTCHER_ALLOW_HTTP", "1")
    os.environ["HTTPS_PROXY"] = "http://127.0.0.1:9"
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    port = sock.getsockname()[1]
    asyncio.run(serve(sock, port, data_dir, args.handle))


async def serve(sock: socket.socket, port: int, data_dir: Path, handle: str) -> None:
    # Imported late: bovine opens its JSON-LD cache at import time (working directory).
    from bovine.clients import lookup_uri_with_webfinger
    from bovine_herd import BovineHerd
    from bovine_process import process_inbox_item
    from bovine_store import BovineAdminStore
    from bovine_store.models import BovineActor, CollectionItem, StoredJsonObject
    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config
    from quart import Quart, current_app, request

    domain = f"http://127.0.0.1:{port}"
    received: list[dict[str, Any]] = []
    state: dict[str, Any] = {}
    app = Quart(__name__)

    async def inbox_task(item: Any, actor: Any) -> None:
        # Called inside the inbox request, after bovine verified its HTTP signature.
        scheme = "rfc9421" if "signature-input" in request.headers else "draft-cavage"

        async def run() -> None:
            raw = json.loads(json.dumps(item.data))
            error = None
            try:
                await process_inbox_item(item, actor)
            except Exception as ex:  # recorded for the test's failure message
                error = repr(ex)
            received.append(
                {
                    "signer": item.submitter,
                    "scheme": scheme,
                    "activity": raw,
                    "actor": actor.actor_id,
                    "error": error,
                }
            )

        app.add_background_task(run)

    BovineHerd(
        app,
        start_background_task_inbox=inbox_task,
        db_url=f"sqlite://{data_dir / 'bovine.sqlite3'}",
    )

    @app.before_serving
    async def register_actor() -> None:
        existing = await BovineActor.get_or_none(handle_name=handle)
        if existing is None:
            admin = BovineAdminStore(domain=domain)
            name = await admin.register(handle)
            await admin.set_properties_for_actor(name, {"name": "Milk Drinker"})
        else:
            name = existing.bovine_name
        actor = await current_app.config["bovine_store"].actor_for_name(name)
        state["actor"] = actor
        print(f"LISTENING {port} {actor.actor_id}", flush=True)

    def actor() -> Any:
        return state["actor"]

    @app.get("/_control/health")
    async def health() -> Any:
        a = actor().actor_object
        return {
            "actor": a.id,
            "handle": f"acct:{handle}@127.0.0.1:{port}",
            "inbox": a.inbox,
            "outbox": a.outbox,
            "followers": a.followers,
            "following": a.following,
        }

    @app.post("/_control/outbox")
    async def outbox() -> Any:
        body = await request.get_json()
        response = await actor().client.post(actor().actor_object.outbox, json.dumps(body))
        return {
            "status": response.status,
            "location": response.headers.get("location"),
            "body": await response.text(),
        }

    @app.post("/_control/lookup")
    async def lookup() -> Any:
        url = (await request.get_json())["url"]
        resolved = url
        if url.startswith("acct:"):
            resolved, _ = await lookup_uri_with_webfinger(actor().session, url)
            if resolved is None:
                return {"error": f"webfinger found no actor for {url}"}, 404
        result = await actor().retrieve(resolved)
        if result is None:
            return {"error": f"bovine could not retrieve {resolved}", "url": resolved}, 404
        stored = await StoredJsonObject.get_or_none(id=resolved)
        return {"url": resolved, "object": result, "stored": stored.content if stored else None}

    @app.get("/_control/received")
    async def get_received() -> Any:
        return received

    @app.get("/_control/object")
    async def get_object() -> Any:
        stored = await StoredJsonObject.get_or_none(id=request.args["id"])
        if stored is None:
            return {"error": "not stored"}, 404
        return stored.content

    @app.get("/_control/collection")
    async def get_collection() -> Any:
        which = request.args["name"]
        collection_id = getattr(actor().actor_object, which)
        items = await CollectionItem.filter(part_of=collection_id).order_by("id").all()
        return [x.object_id for x in items]

    config = Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.accesslog = None
    config.errorlog = "-"
    await hypercorn_serve(app, config)  # type: ignore[arg-type]


if __name__ == "__main__":
    sys.exit(main())
