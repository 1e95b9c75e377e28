"""From a Mastodon status form to our AS2 object: visibility → addressing, mentions,
hashtags, replies in a community, polls as Question (FEP-9967), attached media.

The result is POSTed through `outbox.c2s.handle`, the path every C2S client uses.
"""

from __future__ import annotations

from typing import Any

from ...errors import RemoteError, Unprocessable
from ...protocol.addressing import first_ref
from ...remote import resolve_handle
from ...runtime import Runtime
from ...store import activities as activity_store
from ...store import actors as actor_store
from ...store.actors import LocalActor
from . import entities
from . import text as texts
from .common import Params
from .routes_instance import MAX_CHARS, MAX_OPTIONS

VISIBILITIES = ("public", "unlisted", "private", "direct")


async def _mentions(rt: Runtime, text: str) -> dict[str, tuple[str, str]]:
    """Handles written in the text → (actor uri, profile url); unknown ones stay text."""
    found: dict[str, tuple[str, str]] = {}
    for m in texts.MENTION.finditer(text):
        user, host = m.group(1), m.group(2)
        handle = f"{user}@{host}" if host else user
        if handle in found:
            continue
        if not host or host.lower() == rt.urls.domain:
            local = await actor_store.get_actor(rt.store, user)
            if local is not None:
                found[handle] = (rt.urls.actor(local.slug), rt.urls.origin + "/@" + local.slug)
            continue
        try:
            uri = await resolve_handle(rt, handle)
        except RemoteError:
            continue
        found[handle] = (uri, uri)
    return found


async def build(
    rt: Runtime, actor: LocalActor, q: Params, *, parent_uri: str | None
) -> dict[str, Any]:
    """The Create body for this status form (validated: 422 naming the field)."""
    text = q.text("status")
    poll = q.sub("poll")
    options = [str(o) for o in poll.list("options")]
    if not text.strip() and not options and not q.list("media_ids"):
        raise Unprocessable("Validation failed: Text can't be blank", field="status")
    if len(text) > MAX_CHARS:
        raise Unprocessable(f"the text is longer than {MAX_CHARS} characters", field="status")
    vis = q.text("visibility", "public") or "public"
    if vis not in VISIBILITIES:
        raise Unprocessable(
            f"visibility must be one of {', '.join(VISIBILITIES)}", field="visibility"
        )
    mentions = await _mentions(rt, text)
    html, tags = texts.text_to_html(text, mentions, rt.urls.origin + "/tags/")
    mentioned = [uri for uri, _ in mentions.values()]
    community = None
    parent = None
    if parent_uri is not None:
        parent = await activity_store.get_object(rt.store, parent_uri)
        if parent is not None:
            community = parent.community_uri
            if parent.attributed_to not in mentioned and parent.attributed_to != rt.urls.actor(
                actor.slug
            ):
                mentioned.append(parent.attributed_to)
    for uri in mentioned:
        slug = rt.urls.slug_of(uri)
        local = await actor_store.get_actor(rt.store, slug) if slug else None
        if community is None and local is not None and local.is_community:
            community = uri  # mentioning a local community posts in it (FEP-1b12)
    addressing = entities.addressing_for(
        vis, rt.urls.followers(actor.slug), mentioned, community if vis != "direct" else None
    )
    obj: dict[str, Any] = {"type": "Note", "content": html, **addressing}
    lang = q.text("language")
    if lang:
        obj["contentMap"] = {lang: html}
    spoiler = q.text("spoiler_text")
    if spoiler:
        obj["summary"] = spoiler
        obj["sensitive"] = True
    elif q.flag("sensitive"):
        obj["sensitive"] = True
    if parent_uri:
        obj["inReplyTo"] = parent_uri
    if community and vis != "direct":
        obj["audience"] = community
    obj["tag"] = [
        {"type": "Mention", "href": uri, "name": "@" + h} for h, (uri, _) in mentions.items()
    ] + [
        {"type": "Hashtag", "name": "#" + t, "href": rt.urls.origin + "/tags/" + t.lower()}
        for t in dict.fromkeys(tags)
    ]
    if options:
        _poll(rt, obj, poll, options)
    return obj


def _poll(rt: Runtime, obj: dict[str, Any], poll: Params, options: list[str]) -> None:
    if not 2 <= len(options) <= MAX_OPTIONS:
        raise Unprocessable(f"a poll needs 2 to {MAX_OPTIONS} options", field="poll[options]")
    if len(set(options)) != len(options) or any(not o.strip() for o in options):
        raise Unprocessable("poll options must be distinct and not blank", field="poll[options]")
    expires = poll.int("expires_in", 86400) or 86400
    if not 300 <= expires <= 2_629_746:
        raise Unprocessable("expires_in must be 300 s to one month", field="poll[expires_in]")
    from ...clock import iso

    choices = [
        {"type": "Note", "name": o, "replies": {"type": "Collection", "totalItems": 0}}
        for o in options
    ]
    obj["type"] = "Question"
    obj["anyOf" if poll.flag("multiple") else "oneOf"] = choices
    obj["endTime"] = iso(rt.clock.now() + expires)
    obj["votersCount"] = 0


def community_of(obj: dict[str, Any]) -> str | None:
    return first_ref(obj.get("audience"))
