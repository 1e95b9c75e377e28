"""`fedivoisin webhook …`: subscriptions made by the admin, their status, rotation, tests."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from .cli_commands import runtime_of
from .errors import NotFound
from .store import webhooks as hook_store


def add_commands(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    wh = sub.add_parser("webhook", help="signed webhooks (docs/bridge.md)").add_subparsers(
        dest="action", required=True
    )
    wa = wh.add_parser("add", help="subscribe URL to events of a community or actor")
    common(wa)
    wa.add_argument("community")
    wa.add_argument("url")
    wa.add_argument("--events", default="*", help="comma-separated event types, or *")
    wa.add_argument("--secret", default=None, help="default: a new whsec_… secret")
    wa.set_defaults(handler=webhook_add)
    wl = wh.add_parser("list", help="subscriptions with their status and queued calls")
    common(wl)
    wl.set_defaults(handler=webhook_list)
    for name, helptext in (
        ("rotate", "new secret; the old one stays valid for 24 h"),
        ("enable", "enable again (after being disabled for failing)"),
        ("disable", "stop sending"),
        ("remove", "delete the subscription and its queued calls"),
    ):
        p = wh.add_parser(name, help=helptext)
        common(p)
        p.add_argument("id", type=int)
        p.set_defaults(handler=webhook_change, change=name)
    wt = wh.add_parser("test", help="queue webhook.test events to one subscription")
    common(wt)
    wt.add_argument("id", type=int)
    wt.add_argument("--count", type=int, default=1)
    wt.set_defaults(handler=webhook_test)


async def webhook_add(args: argparse.Namespace) -> int:
    from .outbox import webhooks

    async with runtime_of(args) as rt:
        hook, secret = await webhooks.subscribe(
            rt, args.community, args.url, args.events, args.secret
        )
    print(f"webhook {hook.id} for {hook.owner_slug}: {hook.url}")
    print(f"events: {' '.join(sorted(hook.events))}")
    print(f"secret: {secret}")
    return 0


async def webhook_list(args: argparse.Namespace) -> int:
    from .web.routes.webhooks import status_of

    async with runtime_of(args) as rt:
        hooks = await hook_store.list_all(rt.store)
        if not hooks:
            print("no webhooks")
        for h in hooks:
            pending = await hook_store.pending_calls(rt.store, h.id)
            why = f" ({h.disabled_reason})" if h.disabled_reason else ""
            err = f"\tlast_error={h.last_error}" if h.last_error else ""
            print(
                f"{h.id}\t{h.owner_slug}\t{h.url}\t{status_of(h)}{why}"
                f"\tevents={','.join(sorted(h.events))}\tpending={pending}{err}"
            )
    return 0


async def _hook(rt: Any, wid: int) -> hook_store.Webhook:
    hook = await hook_store.get(rt.store, wid)
    if hook is None:
        raise NotFound(f"no webhook {wid}")
    return hook


async def webhook_change(args: argparse.Namespace) -> int:
    from .outbox import webhooks

    async with runtime_of(args) as rt:
        hook = await _hook(rt, args.id)
        if args.change == "remove":
            await hook_store.delete(rt.store, hook.id)
            print(f"removed webhook {hook.id}")
            return 0
        doc: dict[str, Any] = (
            {"rotate_secret": True}
            if args.change == "rotate"
            else {"enabled": args.change == "enable"}
        )
        _updated, secret = await webhooks.modify(rt, hook, doc)
    if secret:
        print(f"secret: {secret}  (the previous one stays valid for 24 h)")
    else:
        print(f"webhook {hook.id} {args.change}d")
    return 0


async def webhook_test(args: argparse.Namespace) -> int:
    from .outbox import webhooks

    async with runtime_of(args) as rt:
        hook = await _hook(rt, args.id)
        owner = rt.urls.actor(hook.owner_slug)
        for n in range(max(1, args.count)):
            await webhooks.emit(rt, owner, "webhook.test", {"n": n}, only=hook)
    print(f"queued {max(1, args.count)} test event(s) for webhook {hook.id}")
    return 0
