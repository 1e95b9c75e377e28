"""Remote interaction: "Follow / Join / Take part" for people whose account is elsewhere.

As Mastodon, Mobilizon and GoToSocial do it: ask for the person's handle, look it up with
WebFinger (through the one SSRF-safe outbound client), and send them to their own server's
interaction page, where they are signed in. Templates, best first:

1. a FEP-3b86 intent the server advertises for what the page offers
   (`https://w3id.org/fep/3b86/Follow` for an actor, `…/Join` for an event, `…/Object`
   for anything else), with `{object}` replaced by our id;
2. `http://ostatus.org/schema/1.0/subscribe` (Mastodon, Pleroma, Misskey…), `{uri}`.

The target must be one of our own ids: this is never an open redirect to a URI of choice
(the template comes from the person's server, the object from us).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ...errors import InvalidInput, RemoteError
from ...protocol.vocab import parse_object
from ...remote import webfinger_links
from ...store import activities as activity_store
from ...store import actors as actor_store
from ..routes.common import runtime
from .models import title_of
from .render import gettext_for
from .responses import locale_of, page

OSTATUS = "http://ostatus.org/schema/1.0/subscribe"
FEP_3B86 = "https://w3id.org/fep/3b86/"
MAX_HANDLE = 300
MAX_FORM = 8192


async def _target(request: Request, uri: str) -> tuple[str, str]:
    """(kind, display name) of one of our actors or objects; 400 for anything else."""
    rt = runtime(request)
    if not uri or not rt.urls.is_local(uri):
        raise InvalidInput("uri must be an actor or object of this server", field="uri")
    slug = rt.urls.slug_of(uri)
    if slug is not None and uri == rt.urls.actor(slug):
        actor = await actor_store.get_actor(rt.store, slug)
        if actor is not None:
            return "actor", actor.name or slug
    stored = await activity_store.get_object(rt.store, uri)
    if stored is not None and stored.local and stored.deleted is None and stored.public:
        return stored.kind, title_of(parse_object(stored.document)) or uri
    raise InvalidInput("uri must be an actor or object of this server", field="uri")


def choose_template(links: list[dict[str, Any]], kind: str) -> tuple[str, str] | None:
    """(template, placeholder) for this kind of target, FEP-3b86 first."""
    wanted = {"actor": ("Follow",), "event": ("Join", "Object")}.get(kind, ("Object",))
    by_rel = {
        str(link.get("rel")).lower(): link.get("template")
        for link in links
        if isinstance(link.get("template"), str)
    }
    for intent in wanted:
        template = by_rel.get((FEP_3B86 + intent).lower())
        if template and "{object}" in template:
            return template, "{object}"
    template = by_rel.get(OSTATUS)
    if template and "{uri}" in template:
        return template, "{uri}"
    return None


async def form_fields(request: Request) -> dict[str, str]:
    """A small urlencoded form body (first value of each field); 400 when too large."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise InvalidInput("the form is too large")
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items() if v}


def _safe_redirect(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("https", "http") and bool(parts.netloc)


async def form(request: Request) -> Response:
    uri = request.query_params.get("uri", "")
    kind, name = await _target(request, uri)
    return await _form(request, uri, kind, name)


async def _form(
    request: Request, uri: str, kind: str, name: str, *, handle: str = "", error: str = ""
) -> Response:
    gettext = gettext_for(locale_of(request))
    title = {
        "actor": gettext("Follow or join from your account"),
        "event": gettext("Take part from your account"),
        "poll": gettext("Vote from your account"),
    }.get(kind, gettext("Reply from your account"))
    data = {
        "meta": {"title": title},
        "uri": uri,
        "target_name": name,
        "handle": handle,
        "error": error,
    }
    return await page(request, "interact.html", data, status=400 if error else 200, personal=True)


async def submit(request: Request) -> Response:
    rt = runtime(request)
    fields = await form_fields(request)
    uri = fields.get("uri", "")
    handle = fields.get("handle", "").strip()[:MAX_HANDLE]
    kind, name = await _target(request, uri)
    gettext = gettext_for(locale_of(request))
    try:
        links = await webfinger_links(rt, handle)
    except RemoteError:
        error = gettext("We could not find this account. Check the handle (name@server).")
        return await _form(request, uri, kind, name, handle=handle, error=error)
    chosen = choose_template(links, kind)
    if chosen is None:
        error = gettext(
            "Your server does not offer remote interaction. Copy the address below"
            " and search for it on your server."
        )
        return await _form(request, uri, kind, name, handle=handle, error=error)
    template, placeholder = chosen
    target = template.replace(placeholder, quote(uri, safe=""))
    if not _safe_redirect(target):
        error = gettext("We could not find this account. Check the handle (name@server).")
        return await _form(request, uri, kind, name, handle=handle, error=error)
    return RedirectResponse(target, status_code=303)
