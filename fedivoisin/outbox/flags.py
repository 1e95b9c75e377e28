"""The moderation queue (docs/moderation.md): reports in, moderators' decisions out.

Received `Flag`s (any shape, protocol/flags.py) land in the queue of the community they are
about, else in the instance's queue. Moderators list, assign and resolve them; resolving
can act: remove the posts (a federated Remove/Delete), ban the member, suspend the actor,
or suspend its domain. A resident's own report goes to our queue and, when asked, the
instance actor forwards a `Flag` to the reported content's origin, without naming the
reporter unless they chose to be named.
"""

from __future__ import annotations

from typing import Any

from ..errors import Forbidden, InvalidInput, NotFound
from ..protocol.actors import host_of
from ..protocol.flags import parse_flag
from ..protocol.urls import INSTANCE_SLUG
from ..remote import get_actor
from ..runtime import Runtime
from ..store import activities as activity_store
from ..store import actors as actor_store
from ..store import flags as flag_store
from ..store import remote_actors as remote_store
from ..store.actors import LocalActor
from ..store.flags import Flag
from . import community as cm
from . import domain_policies
from .publish import new_id, publish

ACTIONS = ("none", "remove", "ban", "suspend", "block")

#: The Mastodon admin API's account actions we carry out (docs/moderation.md):
#: none, suspend (actor_suspensions) and silence (actor_silences: never relayed).
ACCOUNT_ACTIONS = ("none", "suspend", "silence")


async def _classify(rt: Runtime, found: list[str]) -> tuple[str | None, list[str], str | None]:
    """(reported account, reported objects, local community the report is about)."""
    account: str | None = None
    objects: list[str] = []
    community: str | None = None
    for i, uri in enumerate(found):
        stored = await activity_store.get_object(rt.store, uri)
        if stored is not None:
            objects.append(uri)
            account = account or stored.attributed_to
            if stored.community_uri and await cm.community_actor(rt, stored.community_uri):
                community = community or stored.community_uri
            continue
        slug = rt.urls.slug_of(uri)
        if slug is not None and uri == rt.urls.actor(slug):
            account = account or uri
            continue
        if await remote_store.get(rt.store, uri) is not None or (i == 0 and len(found) > 1):
            account = account or uri
        else:
            objects.append(uri)
    return account, objects, community


async def receive(rt: Runtime, doc: dict[str, Any], sender: str) -> int | None:
    """Queue a received Flag; None when it was a redelivery or reports from there are off."""
    if await domain_policies.rejects_reports(rt, host_of(sender)):
        return None
    parsed = parse_flag(doc)
    if not parsed.refs:
        return None
    account, objects, community = await _classify(rt, parsed.refs)
    for uri in parsed.addressed:
        if community is None and await cm.community_actor(rt, uri):
            community = uri
    fid = doc.get("id")
    uri = fid if isinstance(fid, str) else new_id(rt)
    return await flag_store.insert(
        rt.store,
        uri=uri,
        direction="in",
        reporter=sender,
        account=account,
        objects=objects,
        community=community,
        comment=parsed.comment,
        now=rt.clock.now(),
    )


def is_instance_moderator(rt: Runtime, slug: str) -> bool:
    """The instance actor (the CLI acts as it) and the slugs of setting instance_moderators."""
    allowed = {s.strip() for s in rt.settings.instance_moderators.split(",") if s.strip()}
    return slug == INSTANCE_SLUG or slug in allowed


async def may_handle(rt: Runtime, flag: Flag, slug: str) -> bool:
    """Instance queue: instance moderators; a community's: its owner and moderators."""
    if flag.community is None:
        return is_instance_moderator(rt, slug)
    community = await cm.community_actor(rt, flag.community)
    if community is None:
        return False
    return await cm.may_moderate(rt, community, rt.urls.actor(slug))


async def require_flag(rt: Runtime, flag_id: int) -> Flag:
    flag = await flag_store.get(rt.store, flag_id)
    if flag is None:
        raise NotFound(f"no report {flag_id}", field="id")
    return flag


async def assign(rt: Runtime, flag: Flag, assignee: str | None) -> Flag:
    if assignee is not None:
        await actor_store.require_actor(rt.store, assignee)
        if not await may_handle(rt, flag, assignee):
            raise InvalidInput(f"{assignee} is not a moderator of this queue", field="assignee")
    await flag_store.assign(rt.store, flag.id, assignee)
    return await require_flag(rt, flag.id)


async def resolve(rt: Runtime, flag: Flag, action: str, note: str = "", *, by: str) -> Flag:
    """Close the report, doing `action` first (ACTIONS). `by` is the moderator's slug."""
    if action not in ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(ACTIONS)}", field="action")
    if flag.state != "open":
        raise InvalidInput(f"report {flag.id} is already resolved", field="id")
    if action == "remove":
        await _remove(rt, flag, by)
    elif action == "ban":
        await _ban(rt, flag)
    elif action == "suspend":
        if not flag.account:
            raise InvalidInput("this report names no account to suspend", field="action")
        await domain_policies.suspend_actor(rt, flag.account, f"report {flag.id}")
    elif action == "block":
        if not flag.account:
            raise InvalidInput("this report names no account", field="action")
        await domain_policies.apply(
            rt, host_of(flag.account), severity="suspend", reason=f"report {flag.id}"
        )
    await flag_store.resolve(rt.store, flag.id, action, note, rt.clock.now())
    return await require_flag(rt, flag.id)


async def _remove(rt: Runtime, flag: Flag, by: str) -> None:
    """A community's post: Remove + Delete from the group (federated, FEP-1b12); our own
    resident's post: Delete by its author; a remote post elsewhere: hidden here."""
    if not flag.objects:
        raise InvalidInput("this report names no post to remove", field="action")
    for uri in flag.objects:
        stored = await activity_store.get_object(rt.store, uri)
        if stored is None or stored.deleted:
            continue
        community = (
            await cm.community_actor(rt, stored.community_uri) if stored.community_uri else None
        )
        if community is not None:
            await cm.remove_post(rt, community, uri, by=rt.urls.actor(community.slug))
            continue
        slug = rt.urls.slug_of(stored.attributed_to)
        author = await actor_store.get_actor(rt.store, slug) if slug else None
        if stored.local and author is not None:
            from .c2s import delete

            await delete(rt, author, {"type": "Delete", "object": uri})
            continue
        await activity_store.mark_object_deleted(rt.store, uri, rt.clock.now())


async def _ban(rt: Runtime, flag: Flag) -> None:
    if not flag.account:
        raise InvalidInput("this report names no account to ban", field="action")
    if flag.community is None:
        raise InvalidInput("ban is for a community's queue; use suspend", field="action")
    community = await cm.community_actor(rt, flag.community)
    if community is None:
        raise NotFound("the report's community is gone")
    await cm.ban_member(rt, community, flag.account)


async def report(
    rt: Runtime,
    reporter: LocalActor,
    objects: list[str],
    *,
    account: str | None = None,
    comment: str = "",
    forward: bool = True,
    anonymous: bool = True,
) -> Flag:
    """A resident reports content: it enters our queue, and with `forward` a Flag goes to
    the origin of the remote account (sent by the instance actor when `anonymous`, the
    reporter's identity then appears nowhere in it; by the reporter otherwise)."""
    if not objects and not account:
        raise InvalidInput("name the posts or the account you report", field="objects")
    found = ([account] if account else []) + [o for o in objects if o != account]
    acc, objs, community = await _classify(rt, found)
    account = account or acc
    reporter_uri = rt.urls.actor(reporter.slug)
    uri = new_id(rt)
    fid = await flag_store.insert(
        rt.store,
        uri=uri,
        direction="out",
        reporter=reporter_uri,
        account=account,
        objects=objs,
        community=community,
        comment=comment[:5000],
        now=rt.clock.now(),
    )
    assert fid is not None
    if forward and account and not rt.urls.is_local(account):
        sender = reporter
        if anonymous:
            sender = await actor_store.require_actor(rt.store, INSTANCE_SLUG)
        remote_objects = [o for o in objs if not rt.urls.is_local(o)]
        await get_actor(rt, account)
        await publish(
            rt,
            sender,
            {
                "id": uri,
                "type": "Flag",
                "object": [account, *remote_objects],
                "content": comment,
                "to": [account],
            },
            store_object=False,
        )
    return await require_flag(rt, fid)


async def visible_queue(
    rt: Runtime, slug: str, community_slug: str | None, state: str | None
) -> list[Flag]:
    if community_slug:
        community = await cm.require_community(rt, community_slug)
        cid = rt.urls.actor(community.slug)
        if not await cm.may_moderate(rt, community, rt.urls.actor(slug)):
            raise Forbidden(f"{slug} is not a moderator of {community_slug}")
        return await flag_store.listing(rt.store, community=cid, state=state)
    if not is_instance_moderator(rt, slug):
        raise Forbidden(f"{slug} is not a moderator of this instance")
    return await flag_store.listing(rt.store, community=None, state=state)


async def moderated_queues(rt: Runtime, slug: str) -> tuple[bool, list[str]]:
    """The queues `slug` handles: the instance's (bool) and its communities' (URIs)."""
    me = rt.urls.actor(slug)
    communities = [
        rt.urls.actor(c.slug)
        for c in await actor_store.list_actors(rt.store, type_="Group")
        if await cm.may_moderate(rt, c, me)
    ]
    return is_instance_moderator(rt, slug), communities


async def reopen(rt: Runtime, flag: Flag) -> Flag:
    """A resolved report back in the queue (what was done is not undone)."""
    await flag_store.reopen(rt.store, flag.id)
    return await require_flag(rt, flag.id)


async def act_on_account(
    rt: Runtime, account: str, action: str, *, by: str, flag: Flag | None = None, note: str = ""
) -> None:
    """A moderator's action on one account (Mastodon's admin account action), closing the
    report it answers, if any, with that action."""
    if action not in ACCOUNT_ACTIONS:
        raise InvalidInput(f"type must be one of {', '.join(ACCOUNT_ACTIONS)}", field="type")
    if flag is not None and flag.state != "open":
        raise InvalidInput(f"report {flag.id} is already resolved", field="report_id")
    reason = f"report {flag.id}" if flag is not None else f"by {by}"
    if action != "none" and rt.urls.is_local(account):
        raise InvalidInput(f"local accounts are deleted, not {action}d", field="type")
    if action == "suspend":
        await domain_policies.suspend_actor(rt, account, reason)
    elif action == "silence":
        await domain_policies.silence_actor(rt, account, reason)
    if flag is not None:
        await flag_store.resolve(rt.store, flag.id, action, note, rt.clock.now())
