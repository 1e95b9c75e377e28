"""Moderation API (docs/moderation.md): the report queues for moderators (scope `moderate`),
a resident's report (scope `write:reports`), and the public list of domain policies.

A token acting as a local actor sees the queues that actor moderates (the instance's for
instance moderators, a community's for its owner and moderators); an app token granted a
community acts as that community, so it sees that community's queue.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ...errors import Forbidden, InvalidInput, NotFound
from ...outbox import flags
from ...store import blocks as block_store
from ...store import flags as flag_store
from ...store.flags import Flag
from .. import auth
from ..auth import Principal
from .common import runtime
from .webhooks import _body


async def _may(request: Request, principal: Principal, flag: Flag) -> bool:
    rt = runtime(request)
    if principal.actor is not None and await flags.may_handle(rt, flag, principal.actor.slug):
        return True
    if flag.community is not None:
        slug = rt.urls.slug_of(flag.community)
        return slug is not None and slug in principal.communities
    return False


async def _flag(request: Request, principal: Principal) -> Flag:
    raw = request.path_params["id"]
    rt = runtime(request)
    flag = await flag_store.get(rt.store, int(raw)) if raw.isdigit() else None
    if flag is None or not await _may(request, principal, flag):
        raise NotFound("no such report")
    return flag


async def reports(request: Request) -> Response:
    """GET ?community=SLUG&state=open|resolved|all: one queue."""
    principal = await auth.authenticate(request, "moderate")
    assert principal is not None
    rt = runtime(request)
    slug = request.query_params.get("community")
    state = request.query_params.get("state", "open")
    if state not in ("open", "resolved", "all"):
        raise InvalidInput("state must be open, resolved or all", field="state")
    cid = rt.urls.actor(slug) if slug else None
    rows = await flag_store.listing(
        rt.store, community=cid, state=None if state == "all" else state
    )
    if rows and not await _may(request, principal, rows[0]):
        raise Forbidden("this token does not moderate that queue")
    if not rows:
        probe = Flag(0, "", "in", None, None, [], cid, "", "open", None, None, "", 0.0, None)
        if not await _may(request, principal, probe):
            raise Forbidden("this token does not moderate that queue")
    return JSONResponse([f.as_json() for f in rows])


async def report(request: Request) -> Response:
    principal = await auth.authenticate(request, "moderate")
    assert principal is not None
    return JSONResponse((await _flag(request, principal)).as_json())


def _actor_slug(principal: Principal, flag: Flag, request: Request) -> str:
    if principal.actor is not None:
        return principal.actor.slug
    slug = runtime(request).urls.slug_of(flag.community or "")
    assert slug is not None
    return slug


async def assign(request: Request) -> Response:
    principal = await auth.authenticate(request, "moderate")
    assert principal is not None
    flag = await _flag(request, principal)
    body = await _body(request)
    who = body.get("assignee", _actor_slug(principal, flag, request))
    if who is not None and not isinstance(who, str):
        raise InvalidInput("assignee must be a slug or null", field="assignee")
    return JSONResponse((await flags.assign(runtime(request), flag, who)).as_json())


async def resolve(request: Request) -> Response:
    principal = await auth.authenticate(request, "moderate")
    assert principal is not None
    flag = await _flag(request, principal)
    body = await _body(request)
    action, note = body.get("action", "none"), body.get("note", "")
    if not isinstance(action, str) or not isinstance(note, str):
        raise InvalidInput("action and note are strings", field="action")
    done = await flags.resolve(
        runtime(request), flag, action, note, by=_actor_slug(principal, flag, request)
    )
    return JSONResponse(done.as_json())


def _uris(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{field} must be a list of URIs", field=field)
    return list(value[:50])


async def create_report(request: Request) -> Response:
    """A resident reports posts/an account: {account, objects, comment, forward, anonymous}."""
    principal = await auth.authenticate(request, "write:reports")
    assert principal is not None
    if principal.actor is None:
        raise Forbidden("a report is made by a resident's token")
    body = await _body(request)
    account = body.get("account")
    if account is not None and not isinstance(account, str):
        raise InvalidInput("account must be a URI", field="account")
    comment = body.get("comment", "")
    if not isinstance(comment, str):
        raise InvalidInput("comment must be a string", field="comment")
    flag = await flags.report(
        runtime(request),
        principal.actor,
        _uris(body.get("objects"), "objects"),
        account=account,
        comment=comment,
        forward=bool(body.get("forward", False)),
        anonymous=bool(body.get("anonymous", True)),
    )
    return JSONResponse(flag.as_json(), status_code=201)


def _obfuscated(host: str) -> str:
    """Mastodon's style: every other character of the first label hidden."""
    head, _, rest = host.partition(".")
    masked = "".join(c if i % 2 == 0 else "*" for i, c in enumerate(head))
    return f"{masked}.{rest}" if rest else masked


async def public_domain_blocks(request: Request) -> Response:
    """Mastodon's /api/v1/instance/domain_blocks shape, public policies only."""
    rt = runtime(request)
    out = []
    for p in await block_store.policies(rt.store, public_only=True):
        host = str(p["host"])
        out.append(
            {
                "domain": _obfuscated(host) if p["obfuscate"] else host,
                "severity": p["severity"],
                "comment": p["public_comment"],
            }
        )
    return JSONResponse(out)


ROUTES = [
    Route("/api/v1/moderation/reports", reports),
    Route("/api/v1/moderation/reports/{id}", report),
    Route("/api/v1/moderation/reports/{id}/assign", assign, methods=["POST"]),
    Route("/api/v1/moderation/reports/{id}/resolve", resolve, methods=["POST"]),
    Route("/api/v1/reports", create_report, methods=["POST"]),
    Route("/api/v1/instance/domain_blocks", public_domain_blocks),
]
