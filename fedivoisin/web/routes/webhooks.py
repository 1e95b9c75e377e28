"""/api/v1/webhooks: an app (or a resident's client) subscribes to a community's or an
actor's events. Scope `webhooks`; the token must be allowed to act for the owner."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...errors import Forbidden, InvalidInput, NotFound
from ...outbox import webhooks
from ...store import webhooks as hook_store
from ...store.webhooks import Webhook
from .. import auth
from ..auth import Principal
from .common import runtime

MAX_BODY = 16_384


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if ts else None


def status_of(hook: Webhook) -> str:
    if not hook.enabled:
        return "disabled"
    return "failing" if hook.failing_since is not None else "active"


def hook_json(hook: Webhook, pending: int, secret: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": str(hook.id),
        "url": hook.url,
        "events": sorted(hook.events),
        "community": hook.owner_slug,
        "status": status_of(hook),
        "enabled": hook.enabled,
        "disabled_reason": hook.disabled_reason,
        "failing_since": _iso(hook.failing_since),
        "last_success_at": _iso(hook.last_success_at),
        "last_failure_at": _iso(hook.last_failure_at),
        "last_error": hook.last_error,
        "pending_calls": pending,
        "created_at": _iso(hook.created_at),
        "updated_at": _iso(hook.updated_at),
    }
    if secret is not None:
        doc["secret"] = secret
    return doc


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise InvalidInput("the body is too large")
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise InvalidInput("send application/json")
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidInput("the body is not valid JSON") from None
    if not isinstance(doc, dict):
        raise InvalidInput("the body must be a JSON object")
    return doc


async def _owned(request: Request, principal: Principal) -> Webhook:
    raw = request.path_params["id"]
    hook = await hook_store.get(runtime(request).store, int(raw)) if raw.isdigit() else None
    if hook is None or not _visible(principal, hook):
        raise NotFound("no such webhook")
    return hook


def _visible(principal: Principal, hook: Webhook) -> bool:
    if principal.app_id is not None and str(hook.app_id) != principal.app_id:
        return False
    return principal.may_act_for(hook.owner_slug)


async def _reply(request: Request, hook: Webhook, status: int = 200, **kw: Any) -> Response:
    pending = await hook_store.pending_calls(runtime(request).store, hook.id)
    return JSONResponse(hook_json(hook, pending, **kw), status_code=status)


async def collection(request: Request) -> Response:
    principal = await auth.authenticate(request, "webhooks")
    assert principal is not None
    rt = runtime(request)
    if request.method == "GET":
        hooks = [h for h in await hook_store.list_all(rt.store) if _visible(principal, h)]
        return JSONResponse(
            [hook_json(h, await hook_store.pending_calls(rt.store, h.id)) for h in hooks]
        )
    doc = await _body(request)
    slug = doc.get("community")
    if slug is None and principal.actor is not None:
        slug = principal.actor.slug
    if not isinstance(slug, str) or not slug:
        raise InvalidInput("community: the slug whose events to receive", field="community")
    if not principal.may_act_for(slug):
        raise Forbidden(f"this token may not act for {slug!r}")
    hook, secret = await webhooks.subscribe(
        rt,
        slug,
        doc.get("url"),
        doc.get("events"),
        doc.get("secret"),
        app_id=int(principal.app_id) if principal.app_id is not None else None,
    )
    return await _reply(request, hook, 201, secret=secret)


async def item(request: Request) -> Response:
    principal = await auth.authenticate(request, "webhooks")
    assert principal is not None
    rt = runtime(request)
    hook = await _owned(request, principal)
    if request.method == "GET":
        return await _reply(request, hook)
    if request.method == "DELETE":
        await hook_store.delete(rt.store, hook.id)
        webhooks.forget(rt)
        return Response(status_code=204)
    doc = await _body(request)
    updated, new_secret = await webhooks.modify(rt, hook, doc)
    return await _reply(request, updated, secret=new_secret)


async def test_call(request: Request) -> Response:
    """POST /api/v1/webhooks/{id}/test: queue a `webhook.test` event to this subscription."""
    principal = await auth.authenticate(request, "webhooks")
    assert principal is not None
    rt = runtime(request)
    hook = await _owned(request, principal)
    if not hook.enabled:
        raise InvalidInput("this webhook is disabled; PATCH enabled=true first", field="enabled")
    event_id = await webhooks.emit(
        rt, rt.urls.actor(hook.owner_slug), "webhook.test", {"webhook": str(hook.id)}, only=hook
    )
    return JSONResponse({"event_id": event_id}, status_code=202)
