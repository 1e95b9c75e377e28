"""Accounts: credentials, profiles, their statuses, follows, follow requests, blocks, mutes.

A community (Group) is an account with `group: true`; following it joins the community
(FEP-1b12), through the same `outbox.follows.follow` as the C2S API and the CLI.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ...errors import NotFound, RemoteError, Unprocessable
from ...outbox import c2s, follows
from ...outbox.profile import update_profile
from ...remote import resolve_handle
from ...store import actors as actor_store
from ...store import follows as follow_store
from ...store import mastodon as mstore
from ...store import mastodon_residents as rstore
from ...store import pins as pin_store
from ...store.actors import LocalActor
from ..routes.common import runtime
from . import entities
from .common import actor_uri, json, link_header, me, page, params, viewer
from .present import Presenter, forget_account


async def uri_of(request: Request, id_: str) -> str:
    try:
        n = int(id_)
    except ValueError:
        raise NotFound("Record not found") from None
    uri = await mstore.account_uri(runtime(request).store, n)
    if uri is None:
        raise NotFound("Record not found")
    return uri


async def verify_credentials(request: Request) -> Response:
    actor = await me(request, "read:accounts")
    p = Presenter(runtime(request), actor_uri(request, actor))
    info = await p.account_info(runtime(request).urls.actor(actor.slug))
    return json(entities.account(info, source=True))


async def update_credentials(request: Request) -> Response:
    actor = await me(request, "write:accounts")
    rt = runtime(request)
    q = await params(request)
    changes: dict[str, Any] = {}
    if q.get("display_name") is not None:
        if not q.text("display_name").strip():
            raise Unprocessable("display_name cannot be blank", field="display_name")
        changes["name"] = q.text("display_name")
    if q.get("note") is not None:
        changes["summary"] = q.text("note")
    if q.get("locked") is not None:
        changes["manuallyApprovesFollowers"] = q.flag("locked")
    if changes:
        await update_profile(rt, actor, {"id": rt.urls.actor(actor.slug), **changes})
        forget_account(rt, rt.urls.actor(actor.slug))
    return await verify_credentials(request)


async def get_account(request: Request) -> Response:
    uri = await uri_of(request, request.path_params["id"])
    who = await viewer(request)
    return json(await Presenter(runtime(request), actor_uri(request, who)).account(uri))


async def lookup(request: Request) -> Response:
    rt = runtime(request)
    q = await params(request)
    acct = q.text("acct").strip().removeprefix("acct:").lstrip("@")
    if not acct:
        raise Unprocessable("acct is required", field="acct")
    uri = await local_or_known(request, acct, resolve=False)
    return json(await Presenter(rt, None).account(uri))


async def local_or_known(request: Request, acct: str, *, resolve: bool) -> str:
    """`user` or `user@host` → actor URI: local actors, cached remote ones, or WebFinger."""
    rt = runtime(request)
    user, _, host = acct.partition("@")
    if not host or host.lower() == rt.urls.domain:
        local = await actor_store.get_actor(rt.store, user)
        if local is None:
            raise NotFound("Record not found")
        return rt.urls.actor(local.slug)
    row = await rt.store.fetchone(
        "SELECT uri FROM remote_actors WHERE lower(preferred_username) = ? AND gone = 0"
        " AND (host = ? OR uri LIKE ?)",
        (user.lower(), host.lower().split(":")[0], f"%://{host.lower()}/%"),
    )
    if row is not None:
        return str(row["uri"])
    if not resolve:
        raise NotFound("Record not found")
    try:
        return await resolve_handle(rt, acct)
    except RemoteError:
        raise NotFound("Record not found") from None


async def account_statuses(request: Request) -> Response:
    uri = await uri_of(request, request.path_params["id"])
    who = await viewer(request)
    q = await params(request)
    rt = runtime(request)
    if q.flag("pinned"):
        pinned = await pin_store.pinned_rows(rt.store, uri)
        return json(await Presenter(rt, actor_uri(request, who)).statuses(pinned))
    pg = page(q)
    rows = await mstore.by_account(
        rt.store,
        uri,
        pg,
        exclude_replies=q.flag("exclude_replies"),
        exclude_reblogs=q.flag("exclude_reblogs"),
    )
    shown = await Presenter(rt, actor_uri(request, who)).statuses(rows)
    return json(shown, headers=link_header(request, [r.id for r in rows]))


async def relationship_of(request: Request, actor: LocalActor, other: str) -> dict[str, Any]:
    rt = runtime(request)
    mine = rt.urls.actor(actor.slug)
    out_f = await follow_store.get(rt.store, mine, other)
    in_f = await follow_store.get(rt.store, other, mine)
    blocks = await rstore.blocks_between(rt.store, mine, other)
    return entities.relationship(
        await mstore.account_id(rt.store, other),
        following=out_f is not None and out_f.state == "accepted",
        requested=out_f is not None and out_f.state == "pending",
        followed_by=in_f is not None and in_f.state == "accepted",
        requested_by=in_f is not None and in_f.state == "pending",
        blocking=(mine, "block") in blocks,
        blocked_by=(other, "block") in blocks,
        muting=(mine, "mute") in blocks,
    )


async def relationships(request: Request) -> Response:
    actor = await me(request, "read:follows")
    q = await params(request)
    out = []
    for raw in q.list("id"):
        try:
            uri = await uri_of(request, str(raw))
        except NotFound:
            continue
        out.append(await relationship_of(request, actor, uri))
    return json(out)


async def follow(request: Request) -> Response:
    actor = await me(request, "write:follows")
    uri = await uri_of(request, request.path_params["id"])
    rt = runtime(request)
    existing = await follow_store.get(rt.store, rt.urls.actor(actor.slug), uri)
    if existing is None:
        await follows.follow(rt, actor, uri)
    return json(await relationship_of(request, actor, uri))


async def unfollow(request: Request) -> Response:
    actor = await me(request, "write:follows")
    uri = await uri_of(request, request.path_params["id"])
    rt = runtime(request)
    if await follow_store.get(rt.store, rt.urls.actor(actor.slug), uri) is not None:
        await follows.unfollow(rt, actor, uri)
    return json(await relationship_of(request, actor, uri))


async def _follow_list(request: Request, *, followers: bool) -> Response:
    uri = await uri_of(request, request.path_params["id"])
    rt = runtime(request)
    q = await params(request)
    rows = await rstore.follow_page(
        rt.store,
        followee=uri if followers else None,
        follower=None if followers else uri,
        state="accepted",
        page=page(q),
    )
    accounts = await Presenter(rt, None).accounts([other for _, other in rows])
    return json(accounts, headers=link_header(request, [i for i, _ in rows]))


async def followers(request: Request) -> Response:
    return await _follow_list(request, followers=True)


async def following(request: Request) -> Response:
    return await _follow_list(request, followers=False)


async def follow_requests(request: Request) -> Response:
    actor = await me(request, "read:follows")
    rt = runtime(request)
    q = await params(request)
    rows = await rstore.follow_page(
        rt.store,
        followee=rt.urls.actor(actor.slug),
        follower=None,
        state="pending",
        page=page(q),
    )
    accounts = await Presenter(rt, None).accounts([other for _, other in rows])
    return json(accounts, headers=link_header(request, [i for i, _ in rows]))


async def answer_request(request: Request) -> Response:
    actor = await me(request, "write:follows")
    uri = await uri_of(request, request.path_params["id"])
    accept = request.url.path.endswith("/authorize")
    await follows.answer(runtime(request), actor, uri, accept=accept)
    return json(await relationship_of(request, actor, uri))


async def block_or_mute(request: Request) -> Response:
    """block/unblock/mute/unmute: a block is federated (Block, Undo(Block)); a mute is ours."""
    action = request.url.path.rsplit("/", 1)[-1]
    actor = await me(request, "write:blocks" if "block" in action else "write:mutes")
    uri = await uri_of(request, request.path_params["id"])
    rt = runtime(request)
    mine = rt.urls.actor(actor.slug)
    kind = "block" if "block" in action else "mute"
    on = not action.startswith("un")
    if kind == "block" and on:
        await c2s.handle(rt, actor, {"type": "Block", "object": uri})
    elif kind == "block":
        blocked = await rstore.last_activity(rt.store, mine, "Block", uri)
        if blocked is not None:
            await c2s.handle(rt, actor, {"type": "Undo", "object": blocked})
    await rstore.set_block(rt.store, mine, uri, kind, on, rt.clock.now())
    return json(await relationship_of(request, actor, uri))


async def _blocked_list(request: Request, kind: str) -> Response:
    actor = await me(request, "read:blocks" if kind == "block" else "read:mutes")
    rt = runtime(request)
    uris = await rstore.blocked(rt.store, rt.urls.actor(actor.slug), kind)
    return json(await Presenter(rt, None).accounts(uris))


async def blocks(request: Request) -> Response:
    return await _blocked_list(request, "block")


async def mutes(request: Request) -> Response:
    return await _blocked_list(request, "mute")
