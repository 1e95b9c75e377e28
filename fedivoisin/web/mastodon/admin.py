"""Mastodon's admin API, the moderation subset (docs/moderation.md): the report queue and
the account actions a moderator needs, over the one moderation queue (outbox/flags.py).

Scopes follow Mastodon (`admin:read:reports`, `admin:write:accounts`…); our `moderate`
scope grants those four (protocol/scopes.py). The token's actor must also moderate: an
instance moderator sees the instance's queue, a community's owner and moderators that
community's; suspending or silencing an account is for instance moderators only.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ...errors import Forbidden, NotFound, Unprocessable
from ...outbox import flags
from ...protocol.actors import host_of
from ...protocol.urls import INSTANCE_SLUG
from ...runtime import Runtime
from ...store import blocks as block_store
from ...store import flags as flag_store
from ...store import mastodon as mstore
from ...store.actors import LocalActor
from ...store.flags import Flag
from ..routes.common import runtime
from .common import json, link_header, me, page, params
from .entities import iso
from .present import Presenter
from .routes_accounts import uri_of

NOT_ALLOWED = "This action is not allowed"
_NO_ROLE = {"id": "-99", "name": "", "permissions": "0", "color": "", "highlighted": False}
_MODERATOR = {
    "id": "2",
    "name": "Moderator",
    "permissions": str(1 << 4 | 1 << 10),  # manage_reports | manage_users
    "color": "",
    "highlighted": True,
}


async def _moderator(request: Request, scope: str) -> tuple[LocalActor, bool, list[str]]:
    """The token's actor and the queues it moderates; 403 when it moderates none."""
    actor = await me(request, scope)
    instance, communities = await flags.moderated_queues(runtime(request), actor.slug)
    if not instance and not communities:
        raise Forbidden(NOT_ALLOWED)
    return actor, instance, communities


async def _report(request: Request, actor: LocalActor) -> Flag:
    raw = request.path_params["id"]
    rt = runtime(request)
    flag = await flag_store.get(rt.store, int(raw)) if raw.isdigit() else None
    if flag is None or not await flags.may_handle(rt, flag, actor.slug):
        raise NotFound("Record not found")
    return flag


async def _role(rt: Runtime, uri: str) -> dict[str, Any]:
    slug = rt.urls.slug_of(uri)
    if slug is None or uri != rt.urls.actor(slug):
        return {**_NO_ROLE, "collection_limit": 0}
    instance, communities = await flags.moderated_queues(rt, slug)
    role = _MODERATOR if instance or communities else _NO_ROLE
    return {**role, "collection_limit": 0}


async def admin_account(p: Presenter, uri: str) -> dict[str, Any]:
    """Mastodon's Admin::Account; it also carries the Account's own fields, so clients that
    read a report's `account` as either entity (Mastodon.py types it as Account) parse it."""
    rt = p.rt
    account = await p.account(uri)
    local = rt.urls.is_local(uri)
    return {
        **account,
        "domain": None if local else host_of(uri),
        "email": "",
        "ip": None,
        "ips": [],
        "locale": "",
        "invite_request": None,
        "role": await _role(rt, uri),
        "confirmed": True,
        "approved": True,
        "disabled": False,
        "sensitized": False,
        "suspended": await block_store.actor_suspended(rt.store, uri),
        "silenced": await block_store.actor_silenced(rt.store, uri),
        "created_by_application_id": None,
        "invited_by_account_id": None,
        "account": account,
    }


async def _statuses(p: Presenter, uris: list[str]) -> list[dict[str, Any]]:
    ids = await mstore.original_ids(p.rt.store, uris)
    rows = [await mstore.status(p.rt.store, ids[u]) for u in uris if u in ids]
    return await p.statuses([r for r in rows if r is not None])


async def report_entity(p: Presenter, flag: Flag) -> dict[str, Any]:
    """Mastodon's Admin::Report. A report naming no account (only posts we never stored)
    shows the instance actor as its target: Mastodon requires one."""
    rt = p.rt
    instance = rt.urls.actor(INSTANCE_SLUG)
    reporter = flag.reporter or instance
    resolved = flag.state == "resolved"
    return {
        "id": str(flag.id),
        "action_taken": resolved,
        "action_taken_at": iso(flag.resolved_at) if resolved and flag.resolved_at else None,
        "category": "other",
        "comment": flag.comment,
        "forwarded": not rt.urls.is_local(reporter),
        "created_at": iso(flag.created_at),
        "updated_at": iso(flag.resolved_at or flag.created_at),
        "account": await admin_account(p, reporter),
        "target_account": await admin_account(p, flag.account or instance),
        "assigned_account": (
            await admin_account(p, rt.urls.actor(flag.assignee)) if flag.assignee else None
        ),
        "action_taken_by_account": None,
        "statuses": await _statuses(p, flag.objects),
        "rules": [],
    }


async def _one(request: Request, actor: LocalActor, flag: Flag) -> Response:
    rt = runtime(request)
    return json(await report_entity(Presenter(rt, rt.urls.actor(actor.slug)), flag))


async def reports(request: Request) -> Response:
    """GET ?resolved=&account_id=&target_account_id=&max_id=&since_id=&min_id=&limit="""
    actor, instance, communities = await _moderator(request, "admin:read:reports")
    rt = runtime(request)
    p = await params(request)
    bounds = page(p, 100)
    filters: dict[str, str | None] = {}
    for key in ("account_id", "target_account_id"):
        raw = p.text(key)
        if not raw:
            filters[key] = None
            continue
        uri = await mstore.account_uri(rt.store, int(raw)) if raw.isdigit() else None
        if uri is None:
            return json([])
        filters[key] = uri
    rows = await flag_store.admin_page(
        rt.store,
        instance_queue=instance,
        communities=communities,
        resolved=p.flag("resolved"),
        reporter=filters["account_id"],
        account=filters["target_account_id"],
        max_id=bounds.max_id,
        lower=bounds.min_id if bounds.min_id is not None else bounds.since_id,
        ascending=bounds.min_id is not None,
        limit=bounds.limit,
    )
    presenter = Presenter(rt, rt.urls.actor(actor.slug))
    out = [await report_entity(presenter, f) for f in rows]
    return json(out, headers=link_header(request, [f.id for f in rows]))


async def report(request: Request) -> Response:
    actor, _, _ = await _moderator(request, "admin:read:reports")
    return await _one(request, actor, await _report(request, actor))


async def report_action(request: Request) -> Response:
    """assign_to_self, unassign, resolve (closing with no action), reopen."""
    actor, _, _ = await _moderator(request, "admin:write:reports")
    rt = runtime(request)
    flag = await _report(request, actor)
    verb = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    if verb == "assign_to_self":
        flag = await flags.assign(rt, flag, actor.slug)
    elif verb == "unassign":
        flag = await flags.assign(rt, flag, None)
    elif verb == "resolve":
        if flag.state == "open":
            flag = await flags.resolve(rt, flag, "none", by=actor.slug)
    else:
        flag = await flags.reopen(rt, flag)
    return await _one(request, actor, flag)


async def account(request: Request) -> Response:
    actor, _, _ = await _moderator(request, "admin:read:accounts")
    rt = runtime(request)
    uri = await uri_of(request, request.path_params["id"])
    return json(await admin_account(Presenter(rt, rt.urls.actor(actor.slug)), uri))


async def account_action(request: Request) -> Response:
    """type=none|suspend|silence, optional report_id (closed with that action) and text."""
    actor, instance, _ = await _moderator(request, "admin:write:accounts")
    rt = runtime(request)
    uri = await uri_of(request, request.path_params["id"])
    p = await params(request)
    kind = p.text("type", "none")
    flag = None
    report_id = p.text("report_id")
    if report_id:
        flag = await flag_store.get(rt.store, int(report_id)) if report_id.isdigit() else None
        if flag is None or not await flags.may_handle(rt, flag, actor.slug):
            raise NotFound("Record not found")
    if kind not in flags.ACCOUNT_ACTIONS:
        raise Unprocessable(f"type must be one of {', '.join(flags.ACCOUNT_ACTIONS)}", field="type")
    if kind != "none" and not instance:
        raise Forbidden(NOT_ALLOWED)
    if kind != "none" and rt.urls.is_local(uri):
        raise Unprocessable(f"a local account is deleted, not {kind}d", field="type")
    await flags.act_on_account(rt, uri, kind, by=actor.slug, flag=flag, note=p.text("text"))
    return json({})
