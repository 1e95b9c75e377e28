"""The `fedivoisin` command: serve, and admin commands that work on the data dir whether the
server runs or not. Thin: it parses arguments and calls the functions the server uses."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from .errors import ConfigError, FedivoisinError, ProblemError

Handler = Callable[[argparse.Namespace], Awaitable[int] | int]


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="data directory (default ./fedivoisin-data)")
    p.add_argument("--base-url", help="public origin, e.g. https://quartier-nord.example")
    p.add_argument(
        "--database-url",
        help="sqlite:///path or postgresql://user@host/db (default: the data dir's SQLite file)",
    )


def build_parser() -> argparse.ArgumentParser:
    from . import cli_commands as c

    parser = argparse.ArgumentParser(
        prog="fedivoisin", description="ActivityPub server for neighbourhood communities."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="start the server")
    _common(serve)
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="bind port (default 8080)")
    serve.add_argument(
        "--access-log",
        action="store_true",
        default=None,
        help="log one line per request (setting access_log; off by default)",
    )
    serve.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=None,
        help="text (default) or json: one JSON object per line (setting log_format)",
    )
    serve.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve Prometheus /metrics on 127.0.0.1:PORT (setting metrics_bind; off by default)",
    )
    serve.add_argument(
        "--no-jobs",
        dest="run_jobs",
        action="store_false",
        default=None,
        help="web only: `fedivoisin worker` runs the jobs (one on SQLite, any on PostgreSQL)",
    )
    serve.add_argument(
        "--workers",
        dest="web_workers",
        type=int,
        default=None,
        metavar="N",
        help="start N web processes on the one port (setting web_workers; PostgreSQL)",
    )
    serve.set_defaults(handler=c.serve)

    community = sub.add_parser("community", help="manage communities").add_subparsers(
        dest="action", required=True
    )
    cc = community.add_parser("create", help="create a community (a Group actor)")
    _common(cc)
    cc.add_argument("slug")
    cc.add_argument("--name", required=True)
    cc.add_argument("--kind", required=True, help="building, residence, quartier or town")
    cc.add_argument("--summary", default="")
    cc.add_argument("--join-policy", default="open", help="open, approval or invite")
    cc.set_defaults(handler=c.community_create)

    actor = sub.add_parser("actor", help="manage actors").add_subparsers(
        dest="action", required=True
    )
    ac = actor.add_parser("create", help="create a resident or an organisation")
    _common(ac)
    ac.add_argument("slug")
    ac.add_argument("--type", required=True, dest="type_", help="Person, Organization or Service")
    ac.add_argument("--name", required=True)
    ac.add_argument("--summary", default="")
    ac.set_defaults(handler=c.actor_create)
    al = actor.add_parser("list", help="list local actors")
    _common(al)
    al.set_defaults(handler=c.actor_list)
    ax = actor.add_parser("export", help="print everything stored about an actor (JSON)")
    _common(ax)
    ax.add_argument("slug")
    ax.set_defaults(handler=c.actor_export)
    ad = actor.add_parser("delete", help="delete an actor: federated Delete, data erased")
    _common(ad)
    ad.add_argument("slug")
    ad.add_argument("--yes", action="store_true", help="confirm")
    ad.set_defaults(handler=c.actor_delete)
    from . import cli_apps

    cli_apps.add_password_command(actor, _common)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    tc = token.add_parser("create", help="print a new bearer token for an actor")
    _common(tc)
    tc.add_argument("slug")
    tc.add_argument("--label", default="")
    tc.set_defaults(handler=c.token_create)

    domain = sub.add_parser("domain", help="domain blocks").add_subparsers(
        dest="action", required=True
    )
    for name, fn, helptext in (
        ("block", c.domain_block, "block a domain and its subdomains"),
        ("unblock", c.domain_unblock, "lift a block"),
    ):
        dp = domain.add_parser(name, help=helptext)
        _common(dp)
        dp.add_argument("host")
        if name == "block":
            dp.add_argument("--reason", default="")
        dp.set_defaults(handler=fn)
    dl = domain.add_parser("list", help="list blocked domains")
    _common(dl)
    dl.set_defaults(handler=c.domain_list)
    from . import cli_moderation

    cli_moderation.add_commands(sub, _common, domain)
    cli_moderation.add_actor_commands(actor, _common)
    cli_moderation.add_indicator_commands(sub, _common)

    c.add_federation_commands(sub, _common)
    cli_apps.add_commands(sub, _common)
    from . import cli_webhooks

    cli_webhooks.add_commands(sub, _common)

    db = sub.add_parser("db", help="database").add_subparsers(dest="action", required=True)
    ds = db.add_parser("stats", help="rows and bytes per table")
    _common(ds)
    ds.set_defaults(handler=c.db_stats)
    from . import cli_db

    cli_db.add_commands(db, sub, _common)
    from .cli_imports import add_import_commands

    add_import_commands(sub, _common)
    from . import cli_status

    cli_status.add_commands(sub, _common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    if args.command != "serve":
        import logging

        logging.basicConfig(level=logging.ERROR, format="fedivoisin: %(message)s")
    try:
        result: Any = handler(args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
        return int(result or 0)
    except ProblemError as exc:
        print(f"fedivoisin: {exc.detail}", file=sys.stderr)
        return 2
    except (ConfigError, FedivoisinError) as exc:
        print(f"fedivoisin: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
