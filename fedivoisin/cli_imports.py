"""CLI of imports: `fedivoisin import add | list | remove | run` (docs/imports.md).

They work whether the server runs or not: `import run` fetches in this process and queues
the deliveries, which the server's worker sends (at once if it runs, else when it starts).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any


def _when(t: float | None) -> str:
    if t is None:
        return "never"
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _every(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


async def import_add(args: argparse.Namespace) -> int:
    from .cli_communities import community_runtime
    from .outbox import imports

    async with community_runtime(args) as (rt, community):
        row = await imports.add(rt, community, args.url, args.as_, args.every)
        print(
            f"import {row.id}: {args.community} imports {row.url} as {row.kind} every"
            f" {_every(row.every)}, published by {rt.urls.actor(row.source_actor)}"
        )
    return 0


async def import_list(args: argparse.Namespace) -> int:
    from .cli_commands import runtime_of
    from .outbox import community as cm
    from .store import imports as store

    async with runtime_of(args) as rt:
        community = None
        if args.community:
            community = rt.urls.actor((await cm.require_community(rt, args.community)).slug)
        rows = await store.of_community(rt.store, community)
        if not rows:
            print("no imports")
        for r in rows:
            print(
                f"{r.id}\t{rt.urls.slug_of(r.community)}\t{r.kind}\tevery {_every(r.every)}"
                f"\t{r.url}"
            )
            state = r.last_status or "never fetched"
            print(
                f"\tstatus: {state}; last fetch: {_when(r.last_fetch_at)};"
                f" last success: {_when(r.last_success_at)}; items: {r.items};"
                f" next fetch: {_when(r.next_fetch_at)}"
            )
            if r.last_result:
                print(f"\tlast change: {r.last_result}")
            if r.last_error:
                print(f"\tlast error: {r.last_error}")
    return 0


async def import_remove(args: argparse.Namespace) -> int:
    from .cli_commands import runtime_of
    from .outbox import imports

    async with runtime_of(args) as rt:
        row = await imports.remove(rt, args.id)
        print(f"import {row.id} removed ({row.url}); what it published stays")
    return 0


async def import_run(args: argparse.Namespace) -> int:
    from .cli_commands import runtime_of
    from .outbox import imports

    async with runtime_of(args) as rt:
        outcome = await imports.run(rt, args.id, wait=2 * rt.settings.import_timeout + 5)
        line = f"import {args.id}: {outcome.status}"
        if outcome.status == "ok":
            line += f" ({outcome.result})"
        if outcome.error:
            line += f"; {outcome.error}"
        print(line)
    return 1 if outcome.status == "error" else 0


def add_import_commands(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    imp = sub.add_parser(
        "import", help="import a calendar or a feed into a community"
    ).add_subparsers(dest="action", required=True)
    p = imp.add_parser(
        "add", help="subscribe a community to an iCalendar, RSS, Atom or JSON Feed URL"
    )
    common(p)
    p.add_argument("community")
    p.add_argument("url")
    p.add_argument("--as", dest="as_", required=True, choices=["events", "news"])
    p.add_argument("--every", default="15m", help="how often to fetch: 15m, 2h, 1d (default 15m)")
    p.set_defaults(handler=import_add)
    p = imp.add_parser("list", help="imports with their status: last fetch, last error, items")
    common(p)
    p.add_argument("community", nargs="?")
    p.set_defaults(handler=import_list)
    p = imp.add_parser("remove", help="stop an import (what it published stays)")
    common(p)
    p.add_argument("id", type=int)
    p.set_defaults(handler=import_remove)
    p = imp.add_parser("run", help="fetch an import now")
    common(p)
    p.add_argument("id", type=int)
    p.set_defaults(handler=import_run)
