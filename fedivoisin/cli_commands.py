"""What each CLI command does, against the data dir (the server may be running)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from . import admin
from .clock import SystemClock
from .config import Settings, load_settings
from .errors import ConfigError
from .protocol.urls import Urls
from .runtime import Runtime
from .store import actors as actor_store
from .store import blocks as block_store
from .store.datadir import JOBS_LOCK_NAME, LOCK_NAME, DataDirLock
from .store.db import Store


def flags_from(args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    """The settings given on the command line (None: not given)."""
    return {
        "data_dir": getattr(args, "data_dir", None),
        "base_url": getattr(args, "base_url", None),
        "database_url": getattr(args, "database_url", None),
        **extra,
    }


def settings_from(args: argparse.Namespace, **extra: Any) -> Settings:
    return load_settings(flags_from(args, **extra))


@asynccontextmanager
async def opened(args: argparse.Namespace) -> AsyncIterator[tuple[Settings, Store]]:
    settings = settings_from(args)
    store = await Store.open(settings.database, pool_size=settings.db_pool_size)
    try:
        settings = await served_origin(settings, store)
        yield settings, store
    finally:
        await store.close()


async def served_origin(settings: Settings, store: Store) -> Settings:
    """The CLI prints and publishes ids at the origin the server was started with (stored
    by `serve`), never at a guessed http://127.0.0.1:8080; a different explicit origin is
    an error rather than a silently wrong id."""
    from .store import instance_settings

    stored = await instance_settings.get(store, instance_settings.ORIGIN)
    if stored is None or stored == settings.origin:
        return settings
    if settings.extra.get("base_url_defaulted"):
        return dataclasses.replace(settings, base_url=stored)
    raise ConfigError(
        f"base_url {settings.origin} differs from {stored}, the origin this data directory"
        " is served at (drop --base-url / FEDIVOISIN_BASE_URL, or fix it)"
    )


def serve(args: argparse.Namespace) -> int:
    metrics_port = getattr(args, "metrics_port", None)
    # Kept as flags: `serve --workers N` hands them to the processes it spawns.
    flags = flags_from(
        args,
        host=args.host,
        port=args.port,
        access_log=getattr(args, "access_log", None),
        log_format=getattr(args, "log_format", None),
        metrics_bind=f"127.0.0.1:{metrics_port}" if metrics_port is not None else None,
        run_jobs=getattr(args, "run_jobs", None),
        web_workers=getattr(args, "web_workers", None),
    )
    settings = load_settings(flags)
    # First, before the heavy imports and before anything opens the database: a second
    # server on this data directory must exit at once.
    # (PostgreSQL: several server processes may share one data directory, docs/deploy.md.)
    # On SQLite the jobs' own lock too, unless a `fedivoisin worker` runs them (--no-jobs).
    locks = (
        []
        if settings.uses_postgres
        else DataDirLock.acquire_all(
            settings.data_dir, [LOCK_NAME, *([JOBS_LOCK_NAME] if settings.run_jobs else [])]
        )
    )

    import logging

    import uvicorn

    from .logs import configure

    configure(settings.log_level, settings.log_format)
    banner = f"fedivoisin serving {settings.origin} on {settings.host}:{settings.port}"
    if settings.web_workers > 1:
        banner += f" with {settings.web_workers} processes"
    if settings.metrics_bind:
        banner += f", metrics on http://{settings.metrics_bind}/metrics"
    extra: dict[str, Any] = {"log_config": None} if settings.log_format == "json" else {}
    if settings.web_workers > 1:
        # uvicorn binds the port here and spawns the processes, each building its own app
        # from the same flags; it restarts one that dies and stops them all on SIGTERM.
        import json
        import os

        from .web.app import SERVE_FLAGS_ENV

        asyncio.run(_prepare_once(settings))
        os.environ[SERVE_FLAGS_ENV] = json.dumps(flags)
        app: Any = "fedivoisin.web.app:app_from_environment"
        extra.update(factory=True, workers=settings.web_workers)
    else:
        from .web.app import create_app

        app = create_app(settings)
    if settings.log_format == "json":  # every line of output is then one JSON object
        logging.getLogger("fedivoisin").info(
            banner,
            extra={"origin": settings.origin, "metrics_bind": settings.metrics_bind or None},
        )
    else:
        print(banner, flush=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.access_log,
        proxy_headers=True,
        server_header=False,
        **extra,
    )
    for lock in locks:
        lock.release()
    return 0


async def _prepare_once(settings: Settings) -> None:
    """Before `serve --workers N` spawns its processes: a database that cannot be reached
    is then one clear error (not N failing children), and the processes start on a
    migrated schema with the instance actor in place."""
    from .web.app import prepare

    store = await Store.open(settings.database, pool_size=1)
    try:
        await prepare(store, settings, SystemClock())
    finally:
        await store.close()


async def community_create(args: argparse.Namespace) -> int:
    async with opened(args) as (settings, store):
        actor = await admin.create_community(
            store,
            SystemClock(),
            args.slug,
            name=args.name,
            kind=args.kind,
            summary=args.summary,
            join_policy=args.join_policy,
        )
        urls = Urls(settings.origin)
        print(f"created community @{actor.slug}@{urls.domain} {urls.actor(actor.slug)}")
    return 0


async def actor_create(args: argparse.Namespace) -> int:
    async with opened(args) as (settings, store):
        actor = await admin.create_actor(
            store, SystemClock(), args.slug, type_=args.type_, name=args.name, summary=args.summary
        )
        urls = Urls(settings.origin)
        print(f"created {actor.type} @{actor.slug}@{urls.domain} {urls.actor(actor.slug)}")
    return 0


async def actor_list(args: argparse.Namespace) -> int:
    async with opened(args) as (settings, store):
        urls = Urls(settings.origin)
        for a in await actor_store.list_actors(store):
            kind = f" ({a.community_kind})" if a.community_kind else ""
            print(f"{a.slug}\t{a.type}{kind}\t{a.name}\t{urls.actor(a.slug)}")
    return 0


async def actor_export(args: argparse.Namespace) -> int:
    import orjson

    from .outbox import account

    async with runtime_of(args) as rt:
        actor = await actor_store.require_actor(rt.store, args.slug)
        doc = await account.export(rt, actor)
        print(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
    return 0


async def actor_delete(args: argparse.Namespace) -> int:
    from .outbox import account

    if not args.yes:
        print(f"fedivoisin: this deletes {args.slug} and its data; repeat with --yes")
        return 2
    async with runtime_of(args) as rt:
        actor = await actor_store.require_actor(rt.store, args.slug)
        await account.delete(rt, actor)
        print(f"deleted {args.slug}; the Delete is queued for its followers")
    return 0


async def token_create(args: argparse.Namespace) -> int:
    async with opened(args) as (_settings, store):
        print(await admin.create_token(store, SystemClock(), args.slug, args.label))
    return 0


async def domain_block(args: argparse.Namespace) -> int:
    async with opened(args) as (_settings, store):
        host = await admin.block_domain(store, SystemClock(), args.host, args.reason)
        print(f"blocked {host}")
    return 0


async def domain_unblock(args: argparse.Namespace) -> int:
    async with opened(args) as (_settings, store):
        host = block_store.normalise_host(args.host)
        if not await block_store.remove(store, host):
            print(f"fedivoisin: {host} was not blocked", flush=True)
            return 1
        print(f"unblocked {host}")
    return 0


async def domain_list(args: argparse.Namespace) -> int:
    async with opened(args) as (_settings, store):
        for host, reason in await block_store.list_blocks(store):
            print(f"{host}\t{reason}")
    return 0


@asynccontextmanager
async def runtime_of(args: argparse.Namespace) -> AsyncIterator[Runtime]:
    """A Runtime without workers: what the CLI needs to publish (rows are delivered by the
    server's worker, now if it runs, or when it starts)."""
    async with opened(args) as (settings, store):
        rt = Runtime(settings=settings, store=store)
        await admin.ensure_instance_actor(store, rt.clock, settings.instance_name)
        try:
            yield rt
        finally:
            if rt.http_client is not None:
                await rt.http_client.close()


async def follow(args: argparse.Namespace) -> int:
    from .outbox import follows

    async with runtime_of(args) as rt:
        actor = await actor_store.require_actor(rt.store, args.slug)
        doc = await follows.follow(rt, actor, args.target)
        print(f"{args.slug} asked to follow {doc['object']} (pending until accepted)")
    return 0


async def unfollow(args: argparse.Namespace) -> int:
    from .outbox import follows
    from .remote import resolve_handle

    async with runtime_of(args) as rt:
        actor = await actor_store.require_actor(rt.store, args.slug)
        target = await resolve_handle(rt, args.target)
        await follows.unfollow(rt, actor, target)
        print(f"{args.slug} no longer follows {target}")
    return 0


async def follows_pending(args: argparse.Namespace) -> int:
    from .outbox import follows

    async with runtime_of(args) as rt:
        actor = await actor_store.require_actor(rt.store, args.slug)
        for f in await follows.pending(rt, actor):
            print(f"{f.follower}\t{f.activity_uri or ''}")
    return 0


async def follows_answer(args: argparse.Namespace) -> int:
    from .outbox import follows

    async with runtime_of(args) as rt:
        actor = await actor_store.require_actor(rt.store, args.slug)
        accept = args.action == "approve"
        await follows.answer(rt, actor, args.follower, accept=accept)
        print(f"{'approved' if accept else 'rejected'} {args.follower}")
    return 0


async def queue_show(args: argparse.Namespace) -> int:
    from .store import deliveries

    async with opened(args) as (_settings, store):
        rows = await deliveries.summary(store)
        down = await deliveries.unavailable_hosts(store)
        table: dict[str, dict[str, int]] = {}
        for host, state, n in rows:
            table.setdefault(host, {})[state] = n
        print("domain\tpending\tretrying\tfailed\tdelivered")
        for host, counts in sorted(table.items()):
            mark = " (unavailable)" if host in down else ""
            print(
                f"{host}{mark}\t{counts.get('pending', 0)}\t{counts.get('retrying', 0)}"
                f"\t{counts.get('failed', 0)}\t{counts.get('delivered', 0)}"
            )
    return 0


async def queue_retry(args: argparse.Namespace) -> int:
    from .store import deliveries

    async with opened(args) as (_settings, store):
        host = block_store.normalise_host(args.host)
        n = await deliveries.retry_host(store, host, SystemClock().now())
        print(f"{n} deliveries to {host} will be retried now")
    return 0


async def db_stats(args: argparse.Namespace) -> int:
    from .store import stats

    async with opened(args) as (_, store):
        found, method = await stats.table_stats(store)
    print(stats.render(found, method))
    return 0


def add_federation_commands(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("follow", help="make a local actor follow someone (handle or URL)")
    common(p)
    p.add_argument("slug")
    p.add_argument("target", help="acct:user@host, @user@host, or an actor URL")
    p.set_defaults(handler=follow)

    p = sub.add_parser("unfollow", help="undo a follow")
    common(p)
    p.add_argument("slug")
    p.add_argument("target")
    p.set_defaults(handler=unfollow)

    fl = sub.add_parser("follows", help="follow requests awaiting approval").add_subparsers(
        dest="action", required=True
    )
    p = fl.add_parser("pending", help="list pending follow requests of an actor")
    common(p)
    p.add_argument("slug")
    p.set_defaults(handler=follows_pending)
    for name in ("approve", "reject"):
        p = fl.add_parser(name, help=f"{name} a follow request")
        common(p)
        p.add_argument("slug")
        p.add_argument("follower", help="follower actor URL, handle, or Follow activity id")
        p.set_defaults(handler=follows_answer)

    q = sub.add_parser("queue", help="delivery queue per domain")
    common(q)
    q.set_defaults(handler=queue_show)
    qs = q.add_subparsers(dest="action")
    p = qs.add_parser("retry", help="retry a domain's deliveries now")
    common(p)
    p.add_argument("host")
    p.set_defaults(handler=queue_retry)

    from .cli_communities import add_community_commands

    add_community_commands(sub, common)
