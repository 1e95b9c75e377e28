"""create_app(settings) → the Starlette application. Nothing is opened at import time."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from .. import admin
from ..clock import Clock, SystemClock
from ..config import Settings, load_settings
from ..errors import ConfigError
from ..jobs import Jobs
from ..runtime import Runtime
from ..store.db import Store
from .fast_inbox import InboxFastPath
from .mastodon.routes import routes as mastodon_routes
from .pages import forms as page_forms
from .pages import interact
from .pages import routes as page_routes
from .problems import EXCEPTION_HANDLERS
from .routes import account as account_routes
from .routes import actors, inbox, objects, openapi_doc, outbox, wellknown
from .routes import apps as app_routes
from .routes import community_collections as kinds_routes
from .routes import context as context_routes
from .routes import featured as featured_routes
from .routes import feeds as feed_routes
from .routes import imports as import_routes
from .routes import indicators as indicator_routes
from .routes import members as members_routes
from .routes import moderation as moderation_routes
from .routes import oauth as oauth_routes
from .routes import webhooks as webhook_routes

log = logging.getLogger("fedivoisin")


def routes() -> list[BaseRoute]:
    return [
        # Inboxes first: they take most of the traffic, and routes are matched in order.
        Route("/inbox", inbox.shared_inbox, methods=["POST"]),
        Route("/actors/{slug}/inbox", inbox.actor_inbox, methods=["GET", "POST"]),
        Route("/", actors.index),
        Route("/.well-known/webfinger", wellknown.webfinger),
        Route("/.well-known/host-meta", wellknown.host_meta),
        Route("/.well-known/nodeinfo", wellknown.nodeinfo_links),
        Route("/nodeinfo/2.1", wellknown.nodeinfo),
        Route("/actors/{slug}", actors.actor),
        Route("/@{slug}", actors.actor),
        Route("/actors/{slug}/outbox", outbox.outbox, methods=["GET", "POST"]),
        Route("/objects/{uid}", objects.get_object),
        Route("/activities/{uid}", objects.get_activity),
        Route("/actors/{slug}/followers", actors.followers),
        Route("/actors/{slug}/following", actors.following),
        Route("/actors/{slug}/featured", featured_routes.featured),
        Route("/actors/{slug}/members", members_routes.members),
        Route("/actors/{slug}/export", account_routes.export),
        Route("/ns/v1", context_routes.ns_v1),
        Route("/actors/{slug}/events", kinds_routes.events_collection),
        Route("/actors/{slug}/offers", kinds_routes.offers_collection),
        Route("/actors/{slug}/alerts", kinds_routes.alerts_collection),
        Route("/actors/{slug}/news", kinds_routes.news_collection),
        Route("/actors/{slug}/polls", kinds_routes.polls_collection),
        Route("/actors/{slug}/events.ics", feed_routes.calendar),
        Route("/actors/{slug}/feed.atom", feed_routes.feed),
        Route("/objects/{uid}/participants", kinds_routes.participants),
        # Pages for people (issue 12): everything else is negotiated on the AS2 URLs above.
        Route("/pages.css", page_routes.stylesheet),
        Route("/interact", interact.form, methods=["GET"]),
        Route("/interact", interact.submit, methods=["POST"]),
        Route("/signin", page_forms.signin, methods=["GET", "POST"]),
        Route("/signout", page_forms.signout, methods=["POST"]),
        Route("/act", page_forms.act, methods=["POST"]),
        # Apps and OAuth 2.0 (docs/bridge.md).
        Route("/api/v1/apps", app_routes.create, methods=["POST"]),
        Route("/api/v1/apps/verify_credentials", app_routes.verify_credentials),
        Route("/oauth/token", oauth_routes.token, methods=["POST"]),
        Route("/oauth/authorize", oauth_routes.authorize, methods=["GET", "POST"]),
        Route("/oauth/revoke", oauth_routes.revoke, methods=["POST"]),
        Route("/.well-known/oauth-authorization-server", oauth_routes.metadata),
        # Webhooks (docs/bridge.md).
        Route("/api/v1/webhooks", webhook_routes.collection, methods=["GET", "POST"]),
        Route("/api/v1/webhooks/{id}", webhook_routes.item, methods=["GET", "PATCH", "DELETE"]),
        Route("/api/v1/webhooks/{id}/test", webhook_routes.test_call, methods=["POST"]),
        # OpenAPI 3.1, merged from fedivoisin/web/openapi/*.json (docs/bridge.md).
        Route("/api/openapi.json", openapi_doc.openapi_json),
        *import_routes.ROUTES,
        *moderation_routes.ROUTES,
        *indicator_routes.ROUTES,
        # The Mastodon client API (docs/mastodon-api.md).
        *mastodon_routes(),
    ]


async def prepare(store: Store, settings: Settings, clock: Clock) -> None:
    """What every start does on the opened database; each step is idempotent and safe when
    several processes start at once (`serve --workers N` runs it first in its parent)."""
    await admin.ensure_instance_actor(store, clock, settings.instance_name)
    await admin.record_origin(store, settings.origin)
    from ..store.hashtags import backfill

    await backfill(store)  # objects stored before the hashtag index (migration 107)


def create_app(settings: Settings, *, clock: Clock | None = None) -> Starlette:
    clock = clock or SystemClock()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = await Store.open(settings.database, pool_size=settings.db_pool_size)
        rt = Runtime(settings=settings, store=store, clock=clock)
        try:
            await prepare(store, settings, clock)
            store.checkpoint_in_background()
        except BaseException:
            # Close whatever opened: a database thread left open by a failed start-up once
            # kept the process alive forever instead of exiting (issue 17).
            await store.close()
            raise
        if settings.allow_private_networks:
            log.warning("allow_private_networks is ON: plain http and private addresses allowed")
        app.state.runtime = rt
        metrics_runner = None
        if settings.metrics_bind:  # docs/operations.md: never on the public port
            from . import metrics_server

            try:
                metrics_runner = await metrics_server.start(rt)
            except OSError as exc:
                await store.close()
                raise ConfigError(f"setting metrics_bind: cannot listen: {exc}") from None
        # The background jobs run here unless worker processes do them (`serve --no-jobs`
        # beside `fedivoisin worker` on PostgreSQL, docs/deploy.md).
        jobs = Jobs(rt, "serve")
        if settings.run_jobs:
            await jobs.start()
        app.state.workers = (jobs.inbox, jobs.delivery)
        app.state.import_worker = jobs.imports
        try:
            yield
        finally:
            if metrics_runner is not None:
                await metrics_runner.cleanup()
            await jobs.stop()
            if rt.http_client is not None:
                await rt.http_client.close()
            await store.close()

    return Starlette(
        routes=routes(),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
        middleware=[Middleware(InboxFastPath), *_metrics_middleware(settings)],
    )


#: How `serve --workers N` hands its command-line flags to the processes uvicorn spawns
#: (each re-reads fedivoisin.toml and the environment exactly as the parent did).
SERVE_FLAGS_ENV = "FEDIVOISIN__SERVE_FLAGS"


def app_from_environment() -> Starlette:
    """The app of one of `serve --workers N`'s processes: uvicorn spawns each process and
    imports this factory there, so settings travel as the flags, not as objects."""
    from ..logs import configure

    settings = load_settings(json.loads(os.environ[SERVE_FLAGS_ENV]))
    configure(settings.log_level, settings.log_format)
    return create_app(settings)


def _metrics_middleware(settings: Settings) -> list[Middleware]:
    """HTTP latency histograms only when /metrics is on, inside the inbox fast path."""
    if not settings.metrics_bind:
        return []
    from .request_metrics import RequestMetrics

    return [Middleware(RequestMetrics)]
