"""Settings: flags > environment (FEDIVOISIN_*) > data-dir fedivoisin.toml > defaults.

One frozen object, validated at start so a bad value is a one-line error naming the setting,
never a traceback deep inside a request.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError

SQLITE_URL = "sqlite:///"


def sqlite_path_of(url: str) -> Path | None:
    """The file a `sqlite:///path` database URL names (None for any other value): one
    reading of that form for the settings, `db copy` and `Store.open`."""
    return Path(url[len(SQLITE_URL) :]) if url.startswith(SQLITE_URL) else None


ENV_PREFIX = "FEDIVOISIN_"
TOML_NAME = "fedivoisin.toml"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("./fedivoisin-data")
    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""  # public origin; defaults to http://host:port
    instance_name: str = "fedivoisin"
    allow_private_networks: bool = False
    authorized_fetch: bool = False
    public_follower_lists: bool = False
    open_registrations: bool = False
    # Signatures (Mastodon: 1 h skew, 12 h max age).
    signature_max_age: float = 12 * 3600
    signature_max_skew: float = 3600
    key_cache_ttl: float = 24 * 3600
    # Inbox limits.
    max_body: int = 1_048_576
    max_json_depth: int = 32
    # Delivery.
    delivery_workers: int = 128  # distant peers answer in ~100 ms: keep many in flight
    delivery_per_domain: int = 8
    retry_base_delay: float = 60.0
    retry_max_delay: float = 6 * 3600
    retry_horizon: float = 4 * 24 * 3600  # give up after this long (≥ 3 days)
    retry_jitter: float = 0.2
    unavailable_after_days: int = 3
    worker_poll_interval: float = 1.0
    # Imports (docs/imports.md): how often due imports are looked for, and each fetch's limits.
    import_poll_interval: float = 30.0
    import_timeout: float = 20.0
    import_max_body: int = 5 * 1_048_576
    log_level: str = "info"
    # uvicorn's one line per request: off by default (issue 16: it costs throughput and
    # disk at fediverse request rates); `serve --access-log` turns it on.
    access_log: bool = False
    # FEP-8b32 eddsa-jcs-2022 proofs on every activity we publish (issue 15). Off only to
    # test a peer's HTTP-signature path: Fedify verifies by proof first when one is present.
    integrity_proofs: bool = True
    # Delivery leases (issue 17, docs/operations.md): a claimed delivery is not sent again
    # before its lease ends, so it must outlast any one attempt (the HTTP timeout is 15 s).
    delivery_lease: float = 60.0
    # On shutdown, how long in-flight sends may finish (and be recorded) before we stop.
    delivery_drain: float = 5.0
    # Moderation (docs/moderation.md). federation_mode "allowlist" = closed federation: only
    # allowed_domains (comma-separated; subdomains included) may follow, deliver or fetch.
    federation_mode: str = "open"
    allowed_domains: str = ""
    instance_moderators: str = ""  # comma-separated slugs who handle the instance's reports
    blocklist_refresh: float = 24 * 3600  # subscribed blocklists are re-read this often
    # Retention (docs/privacy.md "Retention"): seconds, 0 = keep forever.
    retention_delivered: float = 7 * 24 * 3600
    retention_received: float = 30 * 24 * 3600
    retention_alert_deliveries: float = 24 * 3600
    retention_reports: float = 365 * 24 * 3600
    retention_interval: float = 3600
    # Where uploaded media are served from (docs/mastodon-api.md "Media"): best a separate
    # origin (SECURITY.md rule 2) proxied to this server's /media/; defaults to
    # {base_url}/media.
    media_base_url: str = ""
    # Observability (docs/operations.md): Prometheus /metrics on its own "host:port", off
    # when empty (never on the public port); `serve --metrics-port P` = 127.0.0.1:P.
    metrics_bind: str = ""
    log_format: str = "text"  # or "json": one JSON object per log line
    # The database (docs/deploy.md): empty = the embedded SQLite file in data_dir;
    # "sqlite:///path" or "postgresql://user@host/db" (PostgreSQL: several processes).
    database_url: str = ""
    db_pool_size: int = 10  # PostgreSQL connections per process
    # Whether `serve` runs the background jobs (inbox, deliveries, imports, retention)
    # itself; off (`serve --no-jobs`) only beside `fedivoisin worker` processes (one on
    # SQLite, whose jobs then have a core of their own; any number on PostgreSQL).
    run_jobs: bool = True
    # How many web processes one `serve` starts (`serve --workers N`, PostgreSQL only): uvicorn
    # binds the port once and hands it to N processes, restarting any that dies.
    web_workers: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def domain(self) -> str:
        """host[:port] of the public origin: the part after @ in handles."""
        return urlsplit(self.origin).netloc.lower()

    @property
    def media_url(self) -> str:
        return (self.media_base_url or self.origin + "/media").rstrip("/")

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def db_path(self) -> Path:
        """The SQLite file (database_url "sqlite:///…" or the data directory's default)."""
        named = sqlite_path_of(self.database_url)
        if named is not None:
            return named
        return self.data_dir / "fedivoisin.sqlite3"

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))

    @property
    def database(self) -> Path | str:
        """What Store.open takes: the PostgreSQL URL or the SQLite path."""
        return self.database_url if self.uses_postgres else self.db_path


_BOOL_TRUE = {"1", "true", "yes", "on"}
_BOOL_FALSE = {"0", "false", "no", "off", ""}


def _coerce(name: str, typ: Any, value: Any) -> Any:
    try:
        if typ in (bool, "bool"):
            if isinstance(value, bool):
                return value
            s = str(value).strip().lower()
            if s in _BOOL_TRUE:
                return True
            if s in _BOOL_FALSE:
                return False
            raise ValueError("expected true/false")
        if typ in (int, "int"):
            if isinstance(value, bool):
                raise ValueError("expected an integer")
            return int(value)
        if typ in (float, "float"):
            return float(value)
        if typ in (Path, "Path"):
            return Path(str(value))
        if typ in (str, "str"):
            return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: invalid value {value!r} ({exc})") from None
    return value


def load_settings(
    flags: dict[str, Any] | None = None, env: dict[str, str] | None = None
) -> Settings:
    """Merge the three sources and validate."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    env = dict(os.environ if env is None else env)
    fields = {f.name: f for f in dataclasses.fields(Settings) if f.name != "extra"}
    values: dict[str, Any] = {}

    env_values = {
        k[len(ENV_PREFIX) :].lower(): v
        for k, v in env.items()
        if k.startswith(ENV_PREFIX) and k[len(ENV_PREFIX) :].lower() in fields
    }
    data_dir = Path(str(flags.get("data_dir") or env_values.get("data_dir") or Settings.data_dir))
    toml_path = data_dir / TOML_NAME
    if toml_path.exists():
        try:
            toml_values = tomllib.loads(toml_path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{toml_path}: {exc}") from None
        for k, v in toml_values.items():
            if k not in fields:
                raise ConfigError(f"{toml_path}: unknown setting {k!r}")
            values[k] = v
    values.update(env_values)
    values.update({k: v for k, v in flags.items() if k in fields})
    values["data_dir"] = data_dir

    typed = {k: _coerce(k, fields[k].type, v) for k, v in values.items()}
    settings = Settings(**typed)
    if not settings.base_url:
        settings = dataclasses.replace(
            settings,
            base_url=f"http://{settings.host}:{settings.port}",
            extra={**settings.extra, "base_url_defaulted": True},
        )
    validate(settings)
    return settings


def validate(s: Settings) -> None:
    parts = urlsplit(s.base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"setting base_url: {s.base_url!r} is not an http(s) URL")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError("setting base_url: must be an origin only (no path, query or fragment)")
    if parts.username or parts.password:
        raise ConfigError("setting base_url: must not contain user info")
    if parts.scheme == "http" and not s.allow_private_networks and not _is_local(parts.hostname):
        raise ConfigError(
            "setting base_url: plain http is only for local use; use https behind a reverse proxy"
        )
    if not 0 <= s.port <= 65535:
        raise ConfigError(f"setting port: {s.port} is not a TCP port")
    for name in (
        "delivery_workers",
        "delivery_per_domain",
        "max_body",
        "max_json_depth",
        "delivery_lease",
    ):
        if getattr(s, name) <= 0:
            raise ConfigError(f"setting {name}: must be positive")
    if s.federation_mode not in ("open", "allowlist"):
        raise ConfigError("setting federation_mode: must be 'open' or 'allowlist'")
    if s.retry_horizon < 0 or s.retry_base_delay < 0:
        raise ConfigError("setting retry_*: must not be negative")
    if s.metrics_bind:
        metrics_address(s.metrics_bind)
    if s.log_format not in ("text", "json"):
        raise ConfigError("setting log_format: must be 'text' or 'json'")
    if s.database_url and not (s.uses_postgres or sqlite_path_of(s.database_url) is not None):
        raise ConfigError(
            "setting database_url: must be sqlite:///path or postgresql://user@host/database"
        )
    if s.web_workers <= 0:
        raise ConfigError("setting web_workers: must be positive")
    if s.web_workers > 1 and not s.uses_postgres:
        raise ConfigError(
            "setting web_workers: several web processes need PostgreSQL (database_url); on"
            " SQLite one process serves"
        )
    if s.web_workers > 1 and s.metrics_bind:
        raise ConfigError(
            "setting metrics_bind: one port cannot serve several web processes"
            " (web_workers > 1); start one `serve` per metrics port, or read `fedivoisin status`"
        )
    if s.db_pool_size <= 0:
        raise ConfigError("setting db_pool_size: must be positive")
    for name in ("import_poll_interval", "import_timeout", "import_max_body"):
        if getattr(s, name) <= 0:
            raise ConfigError(f"setting {name}: must be positive")


def metrics_address(bind: str) -> tuple[str, int]:
    """`metrics_bind` as (host, port): "127.0.0.1:9464", "[::1]:9464" or ":9464" (loopback)."""
    host, sep, port = bind.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not sep or not port.isdigit() or not 0 < int(port) <= 65535:
        raise ConfigError(f"setting metrics_bind: {bind!r} is not host:port")
    return host, int(port)


def _is_local(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")
