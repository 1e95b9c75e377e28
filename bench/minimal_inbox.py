"""The limit figure for the inbox benchmark: the least an ActivityPub inbox must do.

A raw ASGI app (run by uvicorn, one worker, uvloop + httptools, as `fedivoisin serve`):
read the body, check the draft-cavage signature (SHA-256 `Digest` of the body, the signing
string over the covered headers, RSA-2048 PKCS#1 v1.5 verify with the sender's key, already
in memory), `orjson.loads` the JSON, commit one row to SQLite through aiosqlite (WAL,
synchronous=NORMAL, autocommit: one transaction per request), answer 202.

No date window, no actor binding, no dedup beyond the UNIQUE id, no routing: what is left
when every rule is removed. bench/inbox_bench.py starts it with

    MINIMAL_INBOX_KEYS=keys.json MINIMAL_INBOX_DB=limit.sqlite3 \\
        python -m uvicorn bench.minimal_inbox:app --port P --log-level warning
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import time
from typing import Any

import aiosqlite
import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

_PARAM = re.compile(r'(\w+)="([^"]*)"')
_KEYS: dict[str, Any] = {}
_DB: aiosqlite.Connection | None = None


async def _startup() -> None:
    global _DB
    with open(os.environ["MINIMAL_INBOX_KEYS"], "rb") as f:
        for key_id, pem in orjson.loads(f.read()).items():
            _KEYS[key_id] = serialization.load_pem_public_key(pem.encode())
    _DB = await aiosqlite.connect(os.environ["MINIMAL_INBOX_DB"], isolation_level=None)
    for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"):
        await _DB.execute(pragma)
    await _DB.execute(
        "CREATE TABLE IF NOT EXISTS received (id INTEGER PRIMARY KEY,"
        " activity_uri TEXT NOT NULL UNIQUE, actor_uri TEXT NOT NULL, body BLOB NOT NULL,"
        " received_at REAL NOT NULL)"
    )


def _verified(method: str, path: str, headers: dict[str, str], body: bytes) -> bool:
    params = dict(_PARAM.findall(headers.get("signature", "")))
    key = _KEYS.get(params.get("keyId", ""))
    if key is None:
        return False
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    if headers.get("digest") != digest:
        return False
    lines = []
    for name in params.get("headers", "").split():
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {path}")
        else:
            lines.append(f"{name}: {headers.get(name, '')}")
    try:
        key.verify(
            base64.b64decode(params.get("signature", "")),
            "\n".join(lines).encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


async def _respond(send: Any, status: int) -> None:
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await _startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if _DB is not None:
                    await _DB.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    if not _verified(scope["method"], scope["path"], headers, body):
        await _respond(send, 401)
        return
    doc = orjson.loads(body)
    assert _DB is not None
    await _DB.execute(
        "INSERT OR IGNORE INTO received (activity_uri, actor_uri, body, received_at)"
        " VALUES (?, ?, ?, ?)",
        (doc["id"], doc["actor"], body, time.time()),
    )
    await _respond(send, 202)
