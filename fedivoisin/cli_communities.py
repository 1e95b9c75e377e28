"""CLI commands of communities: membership, roles, moderation, relays (the mesh), demo."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from .store import members as member_store

if TYPE_CHECKING:
    from .runtime import Runtime
    from .store.actors import LocalActor


@asynccontextmanager
async def community_runtime(args: argparse.Namespace) -> AsyncIterator[tuple[Runtime, LocalActor]]:
    """The CLI's runtime and the community named by `args.community` (one line each)."""
    from .cli_commands import runtime_of
    from .outbox import community as cm

    async with runtime_of(args) as rt:
        yield rt, await cm.require_community(rt, args.community)


async def member_add(args: argparse.Namespace) -> int:
    from .outbox import community as cm

    async with community_runtime(args) as (rt, community):
        uri = await cm.add_member(
            rt, community, args.actor, role=args.role, may_alert=args.may_alert, title=args.title
        )
        print(f"{uri} is now {args.role} of {args.community}")
    return 0


async def member_list(args: argparse.Namespace) -> int:

    async with community_runtime(args) as (rt, community):
        cid = rt.urls.actor(community.slug)
        for state in ("accepted", "pending", "banned"):
            for m in await member_store.members(rt.store, cid, state=state):
                alert = " may-alert" if m.may_alert else ""
                title = f" ({m.title})" if m.title else ""
                print(f"{m.member}\t{m.role}{title}\t{state}{alert}")
    return 0


async def member_answer(args: argparse.Namespace) -> int:
    from .outbox import community as cm

    async with community_runtime(args) as (rt, community):
        await cm.approve_member(rt, community, args.actor, accept=args.action == "approve")
        print(f"{args.action}d {args.actor}")
    return 0


async def member_ban(args: argparse.Namespace) -> int:
    from .outbox import community as cm

    async with community_runtime(args) as (rt, community):
        await cm.ban_member(rt, community, args.actor)
        print(f"banned {args.actor} from {args.community}")
    return 0


async def moderate_remove(args: argparse.Namespace) -> int:
    from .outbox import community as cm

    async with community_runtime(args) as (rt, community):
        await cm.remove_post(rt, community, args.object, by=rt.urls.actor(community.slug))
        print(f"removed {args.object} from {args.community}")
    return 0


async def relay_add(args: argparse.Namespace) -> int:
    from .outbox import community as cm

    async with community_runtime(args) as (rt, community):
        kinds = cm.parse_kinds(args.kinds)
        source = await cm.add_relay(rt, community, args.source, kinds)
        print(f"{args.community} follows {source} and relays {', '.join(kinds)}")
    return 0


async def relay_list(args: argparse.Namespace) -> int:
    from .store import relays

    async with community_runtime(args) as (rt, community):
        for source, kinds in await relays.of_community(rt.store, rt.urls.actor(community.slug)):
            print(f"{source}\t{','.join(kinds)}")
    return 0


def demo(args: argparse.Namespace) -> int:
    import asyncio

    from .demo import run_demo

    return asyncio.run(run_demo())


def add_community_commands(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    member = sub.add_parser("member", help="community membership").add_subparsers(
        dest="action", required=True
    )
    p = member.add_parser("add", help="add a member (local slug, handle or URL)")
    common(p)
    p.add_argument("community")
    p.add_argument("actor")
    p.add_argument("--role", default="member", help="owner, moderator or member")
    p.add_argument("--may-alert", action="store_true", help="may publish alerts to the community")
    p.add_argument("--title", help="institutional role shown with posts (syndic, mairie…)")
    p.set_defaults(handler=member_add)
    p = member.add_parser("list", help="list members, pending requests and bans")
    common(p)
    p.add_argument("community")
    p.set_defaults(handler=member_list)
    for name in ("approve", "reject"):
        p = member.add_parser(name, help=f"{name} a pending membership request")
        common(p)
        p.add_argument("community")
        p.add_argument("actor")
        p.set_defaults(handler=member_answer)
    p = member.add_parser("ban", help="remove and ban a member (federated as Block)")
    common(p)
    p.add_argument("community")
    p.add_argument("actor")
    p.set_defaults(handler=member_ban)

    mod = sub.add_parser("moderate", help="moderation").add_subparsers(dest="action", required=True)
    p = mod.add_parser("remove", help="remove a post from a community (federated)")
    common(p)
    p.add_argument("community")
    p.add_argument("object", help="the post's id")
    p.set_defaults(handler=moderate_remove)

    relay = sub.add_parser("relay", help="the territory mesh").add_subparsers(
        dest="action", required=True
    )
    p = relay.add_parser("add", help="follow a community and relay chosen kinds of its posts")
    common(p)
    p.add_argument("community")
    p.add_argument("source", help="the community to relay: slug@host, handle or URL")
    p.add_argument(
        "--kinds", required=True, help="events,alerts,offers,requests,news,polls,reports,posts"
    )
    p.set_defaults(handler=relay_add)
    p = relay.add_parser("list", help="list relays of a community")
    common(p)
    p.add_argument("community")
    p.set_defaults(handler=relay_list)

    p = sub.add_parser("demo", help="three instances on loopback play a short scene")
    p.set_defaults(handler=demo)
