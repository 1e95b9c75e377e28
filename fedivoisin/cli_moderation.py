"""`fedivoisin report …` (the moderation queue) and `fedivoisin domain policy|import|
subscribe|refresh` (domain policies). Thin: parses arguments, calls outbox.flags and
outbox.domain_policies, which the API uses too. The CLI acts as the instance actor, an
instance moderator (docs/moderation.md)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from .protocol.urls import INSTANCE_SLUG
from .store.flags import Flag


def _line(f: Flag) -> str:
    where = f.community or "instance"
    who = f.assignee or "-"
    return f"{f.id}\t{f.state}\t{where}\t{who}\t{f.account or '-'}\t{f.comment[:60]}"


async def report_list(args: argparse.Namespace) -> int:
    from .cli_commands import runtime_of
    from .store import flags as flag_store

    async with runtime_of(args) as rt:
        state = None if args.state == "all" else args.state
        if args.community:
            cid = rt.urls.actor(args.community)
            rows = await flag_store.listing(rt.store, community=cid, state=state)
        else:
            rows = await flag_store.listing(rt.store, community=None, state=state, every=args.all)
        print("id\tstate\tqueue\tassignee\taccount\tcomment")
        for f in rows:
            print(_line(f))
    return 0


async def report_show(args: argparse.Namespace) -> int:
    from .cli_commands import runtime_of
    from .outbox import flags

    async with runtime_of(args) as rt:
        f = await flags.require_flag(rt, args.id)
        print(orjson.dumps(f.as_json(), option=orjson.OPT_INDENT_2).decode())
    return 0


async def report_assign(args: argparse.Namespace) -> int:
    from .cli_commands import runtime_of
    from .outbox import flags

    async with runtime_of(args) as rt:
        f = await flags.assign(rt, await flags.require_flag(rt, args.id), args.moderator)
        print(f"report {f.id} assigned to {f.assignee or 'nobody'}")
    return 0


async def report_resolve(args: argparse.Namespace) -> int:
    from .cli_commands import runtime_of
    from .outbox import flags

    async with runtime_of(args) as rt:
        f = await flags.require_flag(rt, args.id)
        f = await flags.resolve(rt, f, args.action, args.note, by=INSTANCE_SLUG)
        print(f"report {f.id} resolved ({f.action})")
    return 0


async def report_create(args: argparse.Namespace) -> int:
    from .cli_commands import runtime_of
    from .outbox import flags
    from .store import actors as actor_store

    async with runtime_of(args) as rt:
        reporter = await actor_store.require_actor(rt.store, args.slug)
        f = await flags.report(
            rt,
            reporter,
            args.objects,
            account=args.account,
            comment=args.comment,
            forward=args.forward,
            anonymous=not args.identified,
        )
        print(f"report {f.id} queued" + (" and forwarded" if args.forward else ""))
    return 0


async def domain_policy(args: argparse.Namespace) -> int:
    from .cli_commands import runtime_of
    from .outbox import domain_policies

    async with runtime_of(args) as rt:
        host = await domain_policies.apply(
            rt,
            args.host,
            severity=args.severity,
            reason=args.reason,
            reject_media=args.reject_media,
            reject_reports=args.reject_reports,
            public=args.public,
            public_comment=args.public_comment or (args.reason if args.public else ""),
        )
        print(f"{host}: {args.severity}")
    return 0


async def domain_policies_list(args: argparse.Namespace) -> int:
    from .cli_commands import opened
    from .store import blocks

    async with opened(args) as (_s, store):
        print("#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate")
        for p in await blocks.policies(store):
            print(
                f"{p['host']},{p['severity']},{bool(p['reject_media'])},"
                f"{bool(p['reject_reports'])},{p['public_comment']},{bool(p['obfuscate'])}"
            )
    return 0


async def domain_import(args: argparse.Namespace) -> int:
    from .cli_commands import runtime_of
    from .outbox import domain_policies

    async with runtime_of(args) as rt:
        done = await domain_policies.import_csv(rt, Path(args.file).read_text("utf-8"))
        print(f"{len(done)} domain policies applied")
    return 0


async def domain_subscribe(args: argparse.Namespace) -> int:
    from .cli_commands import runtime_of
    from .outbox import domain_policies

    async with runtime_of(args) as rt:
        await domain_policies.subscribe(rt, args.url)
        n = await domain_policies.refresh_subscriptions(rt)
        print(f"subscribed to {args.url} ({n} list(s) refreshed)")
    return 0


def add_commands(sub: Any, common: Callable[[argparse.ArgumentParser], None], domain: Any) -> None:
    rp = sub.add_parser("report", help="the moderation queue").add_subparsers(
        dest="action", required=True
    )
    p = rp.add_parser("list", help="list reports (instance queue, or --community SLUG)")
    common(p)
    p.add_argument("--community")
    p.add_argument("--state", default="open", choices=["open", "resolved", "all"])
    p.add_argument("--all", action="store_true", help="every queue")
    p.set_defaults(handler=report_list)
    p = rp.add_parser("show", help="one report, as JSON")
    common(p)
    p.add_argument("id", type=int)
    p.set_defaults(handler=report_show)
    p = rp.add_parser("assign", help="assign a report to a moderator (slug; '-' = nobody)")
    common(p)
    p.add_argument("id", type=int)
    p.add_argument("moderator", type=lambda v: None if v == "-" else v)
    p.set_defaults(handler=report_assign)
    p = rp.add_parser("resolve", help="resolve a report, acting on it")
    common(p)
    p.add_argument("id", type=int)
    p.add_argument(
        "--action", default="none", choices=["none", "remove", "ban", "suspend", "block"]
    )
    p.add_argument("--note", default="")
    p.set_defaults(handler=report_resolve)
    p = rp.add_parser("create", help="a resident reports posts or an account")
    common(p)
    p.add_argument("slug", help="the reporting resident")
    p.add_argument("objects", nargs="*", help="post URIs")
    p.add_argument("--account")
    p.add_argument("--comment", default="")
    p.add_argument("--forward", action="store_true", help="send a Flag to the origin server")
    p.add_argument("--identified", action="store_true", help="send it as the reporter")
    p.set_defaults(handler=report_create)

    p = domain.add_parser("policy", help="suspend, silence or restrict a domain")
    common(p)
    p.add_argument("host")
    p.add_argument("--severity", default="suspend", choices=["suspend", "silence", "noop"])
    p.add_argument("--reason", default="")
    p.add_argument("--reject-media", action="store_true")
    p.add_argument("--reject-reports", action="store_true")
    p.add_argument(
        "--public", action="store_true", help="list it at /api/v1/instance/domain_blocks"
    )
    p.add_argument("--public-comment", default="")
    p.set_defaults(handler=domain_policy)
    p = domain.add_parser("policies", help="every domain policy, as Mastodon CSV")
    common(p)
    p.set_defaults(handler=domain_policies_list)
    p = domain.add_parser("import", help="import a Mastodon/GoToSocial CSV blocklist")
    common(p)
    p.add_argument("file")
    p.set_defaults(handler=domain_import)
    p = domain.add_parser("subscribe", help="subscribe to a blocklist URL (refreshed daily)")
    common(p)
    p.add_argument("url")
    p.set_defaults(handler=domain_subscribe)


async def actor_alias(args: argparse.Namespace) -> int:
    from .cli_commands import runtime_of
    from .outbox import moves
    from .store import actors as actor_store

    async with runtime_of(args) as rt:
        actor = await actor_store.require_actor(rt.store, args.slug)
        updated = await moves.set_aliases(rt, actor, args.aliases)
        print(f"{args.slug} alsoKnownAs: {', '.join(updated.also_known_as) or '(none)'}")
    return 0


async def actor_move(args: argparse.Namespace) -> int:
    from .cli_commands import runtime_of
    from .outbox import moves
    from .store import actors as actor_store

    async with runtime_of(args) as rt:
        actor = await actor_store.require_actor(rt.store, args.slug)
        doc = await moves.move(rt, actor, args.target)
        print(f"{args.slug} moved to {doc['target']}; followers are told")
    return 0


def add_actor_commands(actor: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = actor.add_parser("alias", help="accounts this one may be moved from (alsoKnownAs)")
    common(p)
    p.add_argument("slug")
    p.add_argument("aliases", nargs="*", help="actor URLs or handles (none = clear)")
    p.set_defaults(handler=actor_alias)
    p = actor.add_parser("move", help="move an account to another (FEP-7628 Move)")
    common(p)
    p.add_argument("slug")
    p.add_argument("target", help="the new account (URL or handle); it must alias this one")
    p.set_defaults(handler=actor_move)


async def indicators_show(args: argparse.Namespace) -> int:
    from .cli_commands import runtime_of
    from .outbox import community as cm
    from .outbox import indicators

    async with runtime_of(args) as rt:
        community = await cm.require_community(rt, args.community)
        if args.send_to:
            await indicators.send_to_town(rt, community, args.month, args.send_to)
            print(f"indicators of {args.community} for {args.month} sent to {args.send_to}")
            return 0
        if args.town:
            doc = await indicators.town_totals(rt, community, args.month)
        else:
            doc = await indicators.community_figures(rt, community, args.month)
        if args.csv and not args.town:
            print(indicators.as_csv(doc), end="")
        else:
            print(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
    return 0


def add_indicator_commands(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("indicators", help="a community's monthly indicators (small counts hidden)")
    common(p)
    p.add_argument("community")
    p.add_argument("--month", required=True, help="YYYY-MM (a month that is over)")
    p.add_argument("--csv", action="store_true")
    p.add_argument("--send-to", help="send them, signed, to a town's community (actor URL)")
    p.add_argument("--town", action="store_true", help="totals received by this town community")
    p.set_defaults(handler=indicators_show)
