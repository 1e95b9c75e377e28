"""Domain blocks: enforced at the inbox and in the fetcher, for a domain and its subdomains."""

from __future__ import annotations

from collections.abc import Collection

from ..errors import InvalidInput
from .db import Store


def normalise_host(host: str) -> str:
    h = host.strip().lower().rstrip(".")
    if h.startswith(("http://", "https://")):
        from urllib.parse import urlsplit

        h = (urlsplit(h).hostname or "").lower()
    if not h or "/" in h or "@" in h or " " in h:
        raise InvalidInput(f"{host!r} is not a domain name", field="host")
    try:
        h = h.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidInput(f"{host!r} is not a valid domain name", field="host") from None
    return h


def is_blocked_in(blocked: frozenset[str], host: str) -> bool:
    """True when host or any parent domain is blocked. Ports do not matter."""
    h = host.lower().rsplit(":", 1)[0] if host.count(":") == 1 else host.lower()
    h = h.strip("[]").rstrip(".")
    while h:
        if h in blocked:
            return True
        if "." not in h:
            return False
        h = h.split(".", 1)[1]
    return False


async def add(store: Store, host: str, reason: str, now: float) -> None:
    await store.execute(
        "INSERT INTO domain_blocks (host, reason, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT(host) DO UPDATE SET reason = excluded.reason, severity = 'suspend'",
        (host, reason, now),
    )


async def remove(store: Store, host: str) -> bool:
    return await store.execute("DELETE FROM domain_blocks WHERE host = ?", (host,)) > 0


async def all_hosts(store: Store) -> frozenset[str]:
    """Suspended domains: refused everywhere (inbox, signed GET, fetcher, webhooks)."""
    rows = await store.fetchall("SELECT host FROM domain_blocks WHERE severity = 'suspend'")
    return frozenset(r["host"] for r in rows)


async def hosts_where(store: Store, condition: str) -> frozenset[str]:
    """Domains under a lighter policy: condition is one of POLICY_CONDITIONS' keys."""
    rows = await store.fetchall(
        f"SELECT host FROM domain_blocks WHERE {POLICY_CONDITIONS[condition]}"
    )
    return frozenset(r["host"] for r in rows)


POLICY_CONDITIONS = {
    "silence": "severity IN ('silence', 'suspend')",
    "reject_media": "reject_media = 1 OR severity = 'suspend'",
    "reject_reports": "reject_reports = 1 OR severity = 'suspend'",
}


async def set_policy(
    store: Store,
    host: str,
    *,
    severity: str,
    reason: str,
    reject_media: bool,
    reject_reports: bool,
    public: bool,
    public_comment: str,
    obfuscate: bool,
    source: str | None,
    now: float,
) -> None:
    await store.execute(
        "INSERT INTO domain_blocks (host, reason, created_at, severity, reject_media,"
        " reject_reports, public, public_comment, obfuscate, source)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(host) DO UPDATE SET"
        " reason = excluded.reason, severity = excluded.severity,"
        " reject_media = excluded.reject_media, reject_reports = excluded.reject_reports,"
        " public = excluded.public, public_comment = excluded.public_comment,"
        " obfuscate = excluded.obfuscate, source = excluded.source",
        (
            host,
            reason,
            now,
            severity,
            int(reject_media),
            int(reject_reports),
            int(public),
            public_comment,
            int(obfuscate),
            source,
        ),
    )


async def policies(store: Store, *, public_only: bool = False) -> list[dict[str, object]]:
    sql = (
        "SELECT host, severity, reason, reject_media, reject_reports, public, public_comment,"
        " obfuscate, source FROM domain_blocks"
    )
    rows = await store.fetchall(
        sql + (" WHERE public = 1" if public_only else "") + " ORDER BY host"
    )
    return [dict(r) for r in rows]


async def remove_from_source(store: Store, source: str, keep: set[str]) -> int:
    """A subscribed list dropped some domains: lift what it alone had set."""
    rows = await store.fetchall("SELECT host FROM domain_blocks WHERE source = ?", (source,))
    n = 0
    for r in rows:
        if r["host"] not in keep:
            n += await store.execute("DELETE FROM domain_blocks WHERE host = ?", (r["host"],))
    return n


async def add_subscription(store: Store, url: str, now: float) -> None:
    await store.execute(
        "INSERT INTO blocklist_subscriptions (url, created_at) VALUES (?, ?)"
        " ON CONFLICT(url) DO NOTHING",
        (url, now),
    )


async def subscriptions_due(store: Store, before: float) -> list[str]:
    rows = await store.fetchall(
        "SELECT url FROM blocklist_subscriptions WHERE fetched_at IS NULL OR fetched_at < ?"
        " ORDER BY url",
        (before,),
    )
    return [r["url"] for r in rows]


async def subscription_fetched(store: Store, url: str, now: float, error: str | None) -> None:
    await store.execute(
        "UPDATE blocklist_subscriptions SET fetched_at = ?, last_error = ? WHERE url = ?",
        (now, error, url),
    )


async def list_blocks(store: Store) -> list[tuple[str, str]]:
    rows = await store.fetchall("SELECT host, reason FROM domain_blocks ORDER BY host")
    return [(r["host"], r["reason"]) for r in rows]


async def suspend_actor(store: Store, uri: str, reason: str, now: float) -> None:
    await store.execute(
        "INSERT INTO actor_suspensions (uri, reason, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT(uri) DO UPDATE SET reason = excluded.reason",
        (uri, reason, now),
    )


async def suspended_actors(store: Store) -> frozenset[str]:
    rows = await store.fetchall("SELECT uri FROM actor_suspensions")
    return frozenset(r["uri"] for r in rows)


async def silence_actor(store: Store, uri: str, reason: str, now: float) -> None:
    await store.execute(
        "INSERT INTO actor_silences (uri, reason, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT(uri) DO UPDATE SET reason = excluded.reason",
        (uri, reason, now),
    )


async def actor_silenced(store: Store, uri: str) -> bool:
    return await store.fetchone("SELECT 1 FROM actor_silences WHERE uri = ?", (uri,)) is not None


async def silenced_among(store: Store, uris: Collection[str]) -> set[str]:
    """Which of these accounts are silenced (actor_silenced for many, in one query)."""
    if not uris:
        return set()
    marks = ", ".join("?" for _ in uris)
    rows = await store.fetchall(
        f"SELECT uri FROM actor_silences WHERE uri IN ({marks})", tuple(uris)
    )
    return {str(r[0]) for r in rows}


async def actor_suspended(store: Store, uri: str) -> bool:
    return await store.fetchone("SELECT 1 FROM actor_suspensions WHERE uri = ?", (uri,)) is not None
