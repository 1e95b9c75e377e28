"""Signed webhooks: events for a community or actor, queued as calls in the durable
delivery queue, sent by the delivery worker through the one SSRF-safe client.

`await emit(rt, owner_uri, event_type, data, key=...)` is the one way to raise an event.
It costs nothing when nobody subscribed (subscriptions are cached per runtime for a few
seconds and refreshed at once after an API change). With `key` (e.g. the activity id) the
event id is derived from it, so re-processing the same thing after a crash queues no
second event.

Each call is `POST url` with a JSON body
`{"id", "type", "timestamp", "owner", "data"}` and Standard Webhooks headers:
`webhook-id` (the event id), `webhook-timestamp` (Unix seconds) and `webhook-signature`
= `v1,` + base64(HMAC-SHA256(key, f"{id}.{timestamp}." + body)); during a secret rotation
both signatures are sent, space separated. The key is the secret's UTF-8 bytes, or, for a
Standard Webhooks `whsec_…` secret, the base64 it carries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from ..errors import InvalidInput
from ..net.urls import is_public_address, parse_url
from ..runtime import Runtime
from ..store import webhooks as store
from ..store.deliveries import Delivery, Result
from ..store.webhooks import SENDER_PREFIX, Webhook
from .publish import wake_delivery

log = logging.getLogger("fedivoisin.webhooks")

EVENT_TYPES = frozenset(
    {
        "activity.received",
        "delivery.delivered",
        "delivery.failed",
        "membership.changed",
        "rsvp.changed",
        "report.status_changed",
        "webhook.test",
    }
)
CACHE_KEY = "webhooks_by_owner"
CACHE_TTL = 2.0
DISABLE_AFTER = 3 * 24 * 3600.0
ROTATION_GRACE = 24 * 3600.0
MIN_SECRET = 16


# -- signing (pure)


def secret_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except ValueError:
            pass
    return secret.encode()


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret_key(secret), f"{event_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def verify(
    secrets_: list[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: float = 300.0,
) -> bool:
    """The receiver's check (used by examples/bridge and tests): a signature made with one
    of `secrets_`, and a timestamp within `tolerance` seconds of now."""
    event_id = headers.get("webhook-id", "")
    try:
        ts = int(headers.get("webhook-timestamp", ""))
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - ts) > tolerance:
        return False
    sent = headers.get("webhook-signature", "").split()
    return any(
        hmac.compare_digest(sign(s, event_id, ts, body), sig) for s in secrets_ for sig in sent
    )


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


# -- subscriptions


async def subscriptions(rt: Runtime) -> dict[str, list[Webhook]]:
    cached = rt.caches.get(CACHE_KEY)
    now = rt.clock.now()
    if cached is None or not (0 <= now - cached[0] < CACHE_TTL):
        cached = (now, await store.enabled_by_owner(rt.store))
        rt.caches[CACHE_KEY] = cached
    hooks: dict[str, list[Webhook]] = cached[1]
    return hooks


def forget(rt: Runtime) -> None:
    """Drop the cached subscriptions (after a create, update or delete)."""
    rt.caches.pop(CACHE_KEY, None)
    rt.caches.pop("webhook_signers", None)


async def check_target(rt: Runtime, url: str) -> tuple[str, str]:
    """(normalised url, host) or 400: https (http only with private networks allowed),
    a public address, not a blocked domain."""
    import asyncio
    import ipaddress

    from ..errors import RemoteRefused

    allow = rt.settings.allow_private_networks
    try:
        checked = parse_url(url, allow_private_networks=allow)
    except RemoteRefused as exc:
        raise InvalidInput(f"url: {exc}", field="url") from None
    if await rt.is_blocked(checked.host):
        raise InvalidInput(f"url: {checked.host} is a blocked domain", field="url")
    if not allow and checked.ip is None:
        try:
            infos = await asyncio.wait_for(
                asyncio.get_running_loop().getaddrinfo(checked.host, checked.port), 5.0
            )
        except (OSError, TimeoutError):
            raise InvalidInput(f"url: {checked.host} does not resolve", field="url") from None
        for info in infos:
            ip = ipaddress.ip_address(info[4][0])
            if not is_public_address(ip):
                raise InvalidInput(
                    f"url: {checked.host} resolves to a private address", field="url"
                )
    return checked.url, checked.host


def check_events(events: Any) -> list[str]:
    if isinstance(events, str):
        events = events.replace(",", " ").split()
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise InvalidInput("events: a non-empty list of event types", field="events")
    unknown = sorted(set(events) - EVENT_TYPES - {"*"})
    if unknown:
        raise InvalidInput(
            f"events: unknown {', '.join(unknown)} (known: {', '.join(sorted(EVENT_TYPES))}, *)",
            field="events",
        )
    return sorted(set(events))


def check_secret(secret: Any) -> str:
    if secret is None:
        return new_secret()
    if not isinstance(secret, str) or len(secret) < MIN_SECRET or len(secret) > 500:
        raise InvalidInput(f"secret: {MIN_SECRET} to 500 characters", field="secret")
    return secret


def rotation(hook: Webhook, new: str, now: float) -> dict[str, Any]:
    """Fields for a new secret: the old one stays valid (signed with too) for 24 h."""
    return {"secret": new, "previous_secret": hook.secret, "previous_until": now + ROTATION_GRACE}


# -- raising events


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_id_for(owner_id: int, event_type: str, key: str | None) -> str:
    if key is None:
        return "evt_" + secrets.token_hex(16)
    digest = hashlib.sha256(f"{owner_id}|{event_type}|{key}".encode()).hexdigest()
    return "evt_" + digest[:32]


def _wanting(hooks: Mapping[str, list[Webhook]], slug: str, event_type: str) -> list[Webhook]:
    return [h for h in hooks.get(slug, ()) if h.wants(event_type)]


async def _listening(rt: Runtime, owner_uri: str, event_type: str) -> list[Webhook]:
    slug = rt.urls.slug_of(owner_uri)
    if slug is None:
        return []
    return _wanting(await subscriptions(rt), slug, event_type)


async def listening(rt: Runtime, slugs: Iterable[str], event_type: str) -> list[str]:
    """The local actors among `slugs` for whom emit() would queue anything: the inbox
    worker builds a payload only for them (most received activities: nobody)."""
    hooks = await subscriptions(rt)
    if not hooks:
        return []
    return [s for s in slugs if _wanting(hooks, s, event_type)]


async def emit(
    rt: Runtime,
    owner_uri: str,
    event_type: str,
    data: dict[str, Any],
    *,
    key: str | None = None,
    only: Webhook | None = None,
) -> str | None:
    """Queue `event_type` for every subscription of the local actor `owner_uri` that wants
    it; returns the event id (None when nobody listens or it was already queued)."""
    hooks = [only] if only is not None else await _listening(rt, owner_uri, event_type)
    if not hooks:
        return None
    now = rt.clock.now()
    event_id = event_id_for(hooks[0].owner_id, event_type, key)
    body = orjson.dumps(
        {
            "id": event_id,
            "type": event_type,
            "timestamp": _iso(now),
            "owner": owner_uri,
            "data": data,
        }
    )
    queued = await store.queue_event(
        rt.store,
        event_id=event_id,
        event_type=event_type,
        owner_id=hooks[0].owner_id,
        body=body,
        hooks=hooks,
        now=now,
    )
    if not queued:
        return None
    wake_delivery(rt)
    return event_id


# -- the delivery worker's side


def is_webhook(sender: str) -> bool:
    return sender.startswith(SENDER_PREFIX)


def _event_of(activity_uri: str) -> str:
    return activity_uri.rsplit(":", 1)[-1]


async def body_for(rt: Runtime, activity_uri: str) -> bytes | None:
    return await store.event_body(rt.store, _event_of(activity_uri))


async def signers_for(rt: Runtime, sender: str) -> dict[str, Any] | None:
    """The signing hook of one subscription (None when deleted or disabled), cached for a
    few seconds so a rotation made elsewhere (CLI) is picked up."""
    cache: dict[str, tuple[float, dict[str, Any] | None]] = rt.caches.setdefault(
        "webhook_signers", {}
    )
    now = rt.clock.now()
    hit = cache.get(sender)
    if hit is not None and 0 <= now - hit[0] < CACHE_TTL:
        return hit[1]
    hook = await store.get(rt.store, int(sender[len(SENDER_PREFIX) :]))
    hooks = None if hook is None or not hook.enabled else {"webhook": _signer(rt, hook)}
    cache[sender] = (now, hooks)
    return hooks


def _signer(rt: Runtime, hook: Webhook) -> Any:
    def webhook(
        method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, str]:
        payload = body or b""
        event_id = str(orjson.loads(payload).get("id", "")) if payload else ""
        now = rt.clock.now()
        ts = int(now)
        sigs = [sign(hook.secret, event_id, ts, payload)]
        if hook.previous_secret and hook.previous_until and now < hook.previous_until:
            sigs.append(sign(hook.previous_secret, event_id, ts, payload))
        return {
            "Content-Type": "application/json",
            "Accept": "*/*",
            "webhook-id": event_id,
            "webhook-timestamp": str(ts),
            "webhook-signature": " ".join(sigs),
        }

    return webhook


async def after_outcomes(rt: Runtime, rows: Mapping[int, Delivery], results: list[Result]) -> None:
    """After the worker recorded a batch: the health of each subscription (disabled after
    failing for 3 days) and `delivery.*` events for what local actors sent."""
    ok: dict[int, float] = {}
    bad: dict[int, tuple[float, str]] = {}
    outcomes: list[tuple[Delivery, Result]] = []
    for r in results:
        d = rows.get(r.id)
        if d is None:
            continue
        if is_webhook(d.sender):
            wid = int(d.sender[len(SENDER_PREFIX) :])
            if r.state == "delivered":
                ok[wid] = r.at
                bad.pop(wid, None)
            elif wid not in ok:
                bad[wid] = (r.at, r.error or f"HTTP {r.status}")
        elif r.state in ("delivered", "failed"):
            outcomes.append((d, r))
    if ok or bad:
        await store.record_outcomes(rt.store, ok, bad)
        if bad:
            now = rt.clock.now()
            disabled = await store.disable_failing(rt.store, now - DISABLE_AFTER, now)
            if disabled:
                log.warning("webhooks %s failed for 3 days: disabled", disabled)
                forget(rt)
    if outcomes and await subscriptions(rt):
        for d, r in outcomes:
            await emit(
                rt,
                rt.urls.actor(d.sender),
                f"delivery.{r.state}",
                {
                    "activity": d.activity_uri,
                    "inbox": d.inbox,
                    "status": r.status,
                    "error": r.error,
                    "attempts": d.attempts + 1,
                },
                key=f"{d.activity_uri}|{d.inbox}",
            )


# -- managing subscriptions (the API and the CLI share these)


async def subscribe(
    rt: Runtime,
    owner_slug: str,
    url: Any,
    events: Any,
    secret: Any = None,
    *,
    app_id: int | None = None,
) -> tuple[Webhook, str]:
    """A new subscription and its secret (generated when none is given)."""
    from ..store import actors as actor_store

    owner = await actor_store.get_actor(rt.store, owner_slug)
    if owner is None:
        raise InvalidInput(f"community: no local actor {owner_slug!r}", field="community")
    if not isinstance(url, str):
        raise InvalidInput("url: the https URL to call", field="url")
    checked, host = await check_target(rt, url)
    chosen = check_secret(secret)
    hook = await store.create(
        rt.store,
        app_id=app_id,
        owner_id=owner.id,
        url=checked,
        host=host,
        events=check_events(events),
        secret=chosen,
        now=rt.clock.now(),
    )
    forget(rt)
    return hook, chosen


async def modify(rt: Runtime, hook: Webhook, doc: dict[str, Any]) -> tuple[Webhook, str | None]:
    """Apply `url`, `events`, `secret` / `rotate_secret`, `enabled`; returns the webhook and
    the new secret when it was rotated."""
    now = rt.clock.now()
    fields: dict[str, Any] = {}
    new: str | None = None
    if "url" in doc:
        if not isinstance(doc["url"], str):
            raise InvalidInput("url: the https URL to call", field="url")
        fields["url"], fields["host"] = await check_target(rt, doc["url"])
    if "events" in doc:
        fields["events"] = " ".join(check_events(doc["events"]))
    if doc.get("rotate_secret") is True or "secret" in doc:
        new = check_secret(doc.get("secret"))
        fields.update(rotation(hook, new, now))
    if "enabled" in doc:
        if not isinstance(doc["enabled"], bool):
            raise InvalidInput("enabled: true or false", field="enabled")
        fields["enabled"] = int(doc["enabled"])
        if doc["enabled"]:
            fields |= {"failing_since": None, "disabled_reason": None}
        else:
            fields["disabled_reason"] = "disabled by its owner"
    updated = await store.update(rt.store, hook.id, now, **fields)
    assert updated is not None
    forget(rt)
    return updated, new
