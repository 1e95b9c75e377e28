"""`fedivoisin app …` and `fedivoisin actor password`: registered apps, their grants and
tokens, and residents' passwords for the OAuth sign-in page (docs/bridge.md)."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Callable
from typing import Any

from .cli_commands import opened
from .clock import SystemClock
from .errors import InvalidInput
from .protocol.passwords import MIN_LENGTH, hash_password
from .store import actors as actor_store
from .store import apps as app_store
from .store import oauth as oauth_store


def add_commands(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    app = sub.add_parser("app", help="registered apps (OAuth 2.0 clients)").add_subparsers(
        dest="action", required=True
    )
    ac = app.add_parser("create", help="register an app; prints its client id and secret")
    common(ac)
    ac.add_argument("name")
    ac.add_argument("--redirect-uri", action="append", default=[], dest="redirect_uris")
    ac.add_argument("--scopes", default="read")
    ac.add_argument("--website", default="")
    ac.set_defaults(handler=app_create)
    al = app.add_parser("list", help="apps with their grants, tokens and last use")
    common(al)
    al.set_defaults(handler=app_list)
    ar = app.add_parser("revoke", help="revoke an app and every token it holds, at once")
    common(ar)
    ar.add_argument("app", help="client id, id or name")
    ar.set_defaults(handler=app_revoke)
    ag = app.add_parser("grant", help="let an app's client_credentials token act for communities")
    common(ag)
    ag.add_argument("app", help="client id, id or name")
    ag.add_argument("communities", nargs="+")
    ag.set_defaults(handler=app_grant)
    au = app.add_parser("ungrant", help="withdraw a grant (takes effect at once)")
    common(au)
    au.add_argument("app", help="client id, id or name")
    au.add_argument("communities", nargs="+")
    au.set_defaults(handler=app_ungrant)


def add_password_command(actor: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    ap = actor.add_parser(
        "password",
        help="set the password a resident signs in with (read from the terminal or stdin)",
    )
    common(ap)
    ap.add_argument("slug")
    ap.set_defaults(handler=actor_password)


async def app_create(args: argparse.Namespace) -> int:
    from .web.routes.apps import check_app_fields, check_scopes

    name, uris, website = check_app_fields(
        args.name, args.redirect_uris or ["urn:ietf:wg:oauth:2.0:oob"], args.website
    )
    scopes = check_scopes(args.scopes)
    async with opened(args) as (_settings, store):
        app, secret = await app_store.create_app(
            store,
            SystemClock().now(),
            name=name,
            redirect_uris=uris,
            scopes=scopes,
            website=website,
        )
    print(f"app {app.id} {app.name}")
    print(f"client_id: {app.client_id}")
    print(f"client_secret: {secret}")
    print(f"scopes: {' '.join(sorted(app.scopes))}")
    return 0


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts)) + "Z" if ts else "never"


async def app_list(args: argparse.Namespace) -> int:
    async with opened(args) as (_settings, store):
        apps = await app_store.list_apps(store)
    if not apps:
        print("no apps")
    for u in apps:
        print(
            f"{u.app.id}\t{u.app.name}\tclient_id={u.app.client_id}"
            f"\tscopes={','.join(sorted(u.app.scopes))}\ttokens={u.tokens}"
            f"\tlast_used={_when(u.last_used_at)}\tcommunities={','.join(u.communities) or '-'}"
        )
    return 0


async def app_revoke(args: argparse.Namespace) -> int:
    async with opened(args) as (_settings, store):
        app = await app_store.find_app(store, args.app)
        await app_store.revoke_app(store, app, SystemClock().now())
    print(f"revoked app {app.id} {app.name} and its tokens")
    return 0


async def app_grant(args: argparse.Namespace) -> int:
    async with opened(args) as (_settings, store):
        app = await app_store.find_app(store, args.app)
        for slug in args.communities:
            actor = await actor_store.require_actor(store, slug)
            await app_store.grant(store, app, actor, SystemClock().now())
            print(f"{app.name} may act for {slug}")
    return 0


async def app_ungrant(args: argparse.Namespace) -> int:
    async with opened(args) as (_settings, store):
        app = await app_store.find_app(store, args.app)
        for slug in args.communities:
            actor = await actor_store.require_actor(store, slug)
            await app_store.ungrant(store, app, actor)
            print(f"{app.name} may no longer act for {slug}")
    return 0


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("new password: ")
        if getpass.getpass("again: ") != first:
            raise InvalidInput("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


async def actor_password(args: argparse.Namespace) -> int:
    password = _read_password()
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"the password needs at least {MIN_LENGTH} characters")
    async with opened(args) as (_settings, store):
        actor = await actor_store.require_actor(store, args.slug)
        await oauth_store.set_password(store, actor, hash_password(password), SystemClock().now())
    print(f"password set for {args.slug}; their browser sessions were ended")
    return 0
