"""GET /api/v2/search: accounts (remote ones through WebFinger when resolve=true), this
instance's public statuses (by content, or by tag for `#tag` from the hashtag index),
hashtags (the index's tags starting with the query, the most used first)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ...errors import NotFound, RemoteError, Unprocessable
from ...remote import resolve_handle
from ...store import hashtags as hashtag_store
from ...store import mastodon as mstore
from ...store import mastodon_residents as rstore
from ...store.mastodon import Page
from ..routes.common import runtime
from .common import actor_uri, json, params, viewer
from .present import Presenter
from .routes_accounts import local_or_known


async def search(request: Request) -> Response:
    who = await viewer(request, "read:search")
    rt = runtime(request)
    q = await params(request)
    text = q.text("q").strip()
    if not text:
        raise Unprocessable("q is required", field="q")
    kind = q.text("type")
    limit = max(1, min(q.int("limit", 20) or 20, 40))
    resolve = q.flag("resolve") and who is not None
    p = Presenter(rt, actor_uri(request, who))
    accounts: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    hashtags: list[dict[str, Any]] = []
    if kind in ("", "accounts"):
        accounts = await _accounts(request, p, text, resolve, limit)
    if kind in ("", "statuses"):
        if text.startswith(("http://", "https://")):
            try:
                statuses = [await p.by_object(text)]
            except NotFound:
                statuses = []
        elif text.startswith("#"):  # statuses by tag, from the hashtag index
            rows = await mstore.tagged(rt.store, text[1:], Page(limit=limit), local_only=False)
            statuses = await p.statuses(rows)
        else:
            statuses = await p.statuses(await mstore.search_statuses(rt.store, text, limit))
    if kind in ("", "hashtags") and not text.startswith("@"):
        name = text.lstrip("#").strip().lower()
        if name.replace("_", "").isalnum():
            found = await hashtag_store.search(rt.store, name, limit)
            hashtags = [_tag(rt.urls.origin, n) for n, _ in found]
    return json(
        {"accounts": accounts, "statuses": statuses, "hashtags": hashtags, "collections": []}
    )


def _tag(origin: str, name: str) -> dict[str, Any]:
    return {"name": name, "url": origin + "/tags/" + name, "history": [], "following": False}


async def _accounts(
    request: Request, p: Presenter, text: str, resolve: bool, limit: int
) -> list[dict[str, Any]]:
    rt = runtime(request)
    handle = text.removeprefix("acct:").lstrip("@")
    if "@" in handle or text.startswith(("http://", "https://")):
        try:
            if text.startswith(("http://", "https://")):
                if not resolve:
                    return []
                uri = await resolve_handle(rt, text)
            else:
                uri = await local_or_known(request, handle, resolve=resolve)
        except (NotFound, RemoteError):
            return []
        return [await p.account(uri)]
    found = await rstore.find_accounts(rt.store, handle, limit)
    uris = [rt.urls.actor(f[5:]) if f.startswith("slug:") else f for f in found]
    return await p.accounts(uris)
