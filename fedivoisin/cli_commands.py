"""What each CLI command does, against the data dir (the server may be running)."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from . import admin
from .clock import SystemClock
from .config import Settings, load_settings
from .protocol.urls import Urls
from .store import actors as actor_store
from .store import blocks as block_store
from .store.db import Store


def settings_from(args: argparse.Namespace, **extra: Any) -> Settings:
    flags = {
        "data_dir": getattr(args, "data_dir", None),
        "base_url": getattr(args, "base_url", None),
        **extra,
    }
    return load_settings(flags)


@asynccontextmanager
async def opened(args: argparse.Namespace) -> AsyncIterator[tuple[Settings, Store]]:
    settings = settings_from(args)
    store = await Store.open(settings.db_path)
    try:
        yield settings, store
    finally:
        await store.close()


def serve(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from .web.app import create_app

    settings = settings_from(args, host=args.host, port=args.port)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    app = create_app(settings)
    print(f"fedivoisin serving {settings.origin} on {settings.host}:{settings.port}", flush=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        proxy_headers=True,
        server_header=False,
    )
    return 0


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


def add_federation_commands(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Follows, queue, relays and demo: added as those features land."""
