"""POST to an inbox: cheap checks, authentication, origin rules, blocks, dedup → persist → 202.

Nothing here has side effects beyond one INSERT into the durable `received` queue; the inbox
worker does the rest (store, then process). The order matters: every check that can refuse
happens before the row is written (SECURITY.md rules 3, 4, 5, 14).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request

from ..errors import (
    Forbidden,
    InvalidActivity,
    RemoteError,
    SignatureRejected,
    TooLarge,
    UnsupportedMediaType,
)
from ..http import same_origin as strict_same_origin
from ..protocol.actors import host_of
from ..protocol.addressing import ref
from ..protocol.context import may_hold_unsafe_jsonld, reject_unsafe_jsonld
from ..protocol.signatures_common import LowerHeaders
from ..runtime import Runtime
from ..store import inbox_queue
from .authenticate import folded_headers, request_url, verify

ACCEPTED_TYPES = ("application/activity+json", "application/ld+json")


def check_content_type(value: str) -> None:
    # Repeated Content-Type fields arrive joined by ", ": the first one is the body's type.
    media = value.split(",", 1)[0].split(";", 1)[0].strip().lower()
    if media not in ACCEPTED_TYPES and media != "application/json":
        raise UnsupportedMediaType(
            "inbox accepts application/activity+json or application/ld+json only"
        )


async def read_body(request: Request, limit: int) -> bytes:
    return await read_stream(request.stream(), request.headers.get("content-length"), limit)


async def read_stream(stream: AsyncIterator[bytes], declared: str | None, limit: int) -> bytes:
    """The body, refused past `limit` (declared or streamed: a lying Content-Length is not
    trusted)."""
    if declared is not None:
        try:
            if int(declared) > limit:
                raise TooLarge(f"the body is larger than {limit} bytes")
        except ValueError:
            raise InvalidActivity("Content-Length is not a number") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def json_depth_ok(value: Any, limit: int) -> bool:
    """Depth check: deep nesting is a cheap DoS on naive recursive code downstream.

    Recursion here is bounded by `limit` (32), and visits containers only; it is ~3× faster
    than an explicit stack of tuples on the inbox's hot path."""
    if limit <= 0:
        return False
    t = type(value)
    if t is dict:
        children: Any = value.values()
    elif t is list:
        children = value
    else:
        return True
    for x in children:
        tx = type(x)
        if (tx is dict or tx is list) and not json_depth_ok(x, limit - 1):
            return False
    return True


def parse_activity(body: bytes, max_depth: int) -> dict[str, Any]:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidActivity("the body is not valid JSON") from None
    if not isinstance(doc, dict):
        raise InvalidActivity("an activity must be a JSON object")
    if not json_depth_ok(doc, max_depth):
        raise InvalidActivity(f"the JSON is nested deeper than {max_depth} levels")
    if may_hold_unsafe_jsonld(body):
        try:
            reject_unsafe_jsonld(doc)
        except ValueError as exc:
            raise InvalidActivity(str(exc)) from None
    if not isinstance(doc.get("type"), str):
        raise InvalidActivity("the activity has no type", field="type")
    actor = ref(doc.get("actor"))
    if not actor or not actor.startswith(("https://", "http://")):
        raise InvalidActivity("the activity has no actor", field="actor")
    aid = doc.get("id")
    if aid is not None and not isinstance(aid, str):
        raise InvalidActivity("the activity id must be a string", field="id")
    return doc


def involved_hosts(doc: dict[str, Any]) -> set[str]:
    """Every host an activity involves (actor, object, its author, announced/undone objects):
    blocks apply to all of them (SECURITY.md rule 14)."""
    hosts = set()
    for v in (doc.get("actor"), doc.get("object"), doc.get("target"), doc.get("origin")):
        r = ref(v)
        if r:
            hosts.add(host_of(r))
        if isinstance(v, dict):
            for inner in (v.get("attributedTo"), v.get("actor"), v.get("object")):
                ri = ref(inner)
                if ri:
                    hosts.add(host_of(ri))
    hosts.discard("")
    return hosts


def is_self_delete(doc: dict[str, Any]) -> bool:
    return doc.get("type") == "Delete" and ref(doc.get("object")) == ref(doc.get("actor"))


async def receive(rt: Runtime, request: Request, recipient: str | None) -> bool:
    """Returns True when queued, False when it was a duplicate or quietly dropped."""
    headers = folded_headers(request.headers)
    check_content_type(headers.get("content-type", ""))
    body = await read_body(request, rt.settings.max_body)
    return await accept(rt, request_url(rt, request), headers, body, recipient)


async def accept(
    rt: Runtime, url: str, headers: LowerHeaders, body: bytes, recipient: str | None
) -> bool:
    """Everything after the body is read: parse, authenticate, check, then one INSERT.
    Shared by the Starlette route and the raw-ASGI fast path (web/fast_inbox.py)."""
    doc = parse_activity(body, rt.settings.max_json_depth)
    actor = ref(doc.get("actor"))
    assert actor is not None
    blocked = await rt.blocked_hosts()
    # Only parse the involved URLs when there is a block list to compare them with.
    if blocked and any(rt.is_blocked_cached(h) for h in involved_hosts(doc)):
        raise Forbidden("this domain is blocked here")
    if rt.is_suspended_cached(actor):
        raise Forbidden("this account is suspended here")
    if rt.allowlist is not None and not all(rt.federates_with(h) for h in involved_hosts(doc)):
        raise Forbidden("this instance only federates with the domains it allows")
    try:
        signer = await verify(rt, "POST", url, headers, body)
    except SignatureRejected as exc:
        # A deleted actor's key is gone with it: drop its Delete quietly, no retry storm.
        if is_self_delete(doc) and "could not be fetched" in exc.detail:
            return False
        raise
    if signer != actor:
        raise SignatureRejected(
            "the activity's actor is not the owner of the signing key",
            internal=f"actor {actor} signed by {signer}",
        )
    aid = doc.get("id")
    # Rule 6 (Mastodon CVE-2023-42451): the strict parser's origins, userinfo refused.
    if isinstance(aid, str) and not strict_same_origin(aid, actor):
        raise InvalidActivity("the activity id is not on the actor's origin", field="id")
    if rt.urls.is_local(actor):
        raise InvalidActivity("activities of local actors are not accepted from outside")
    key = aid or "urn:sha256:" + hashlib.sha256(body).hexdigest()
    try:
        return await inbox_queue.enqueue(
            rt.store,
            activity_uri=key,
            signer=signer,
            actor_uri=actor,
            recipient=recipient,
            body=body,
            now=rt.clock.now(),
        )
    except RemoteError:  # pragma: no cover - defensive; enqueue does no remote I/O
        raise
