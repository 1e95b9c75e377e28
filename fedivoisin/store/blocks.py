"""Domain blocks: enforced at the inbox and in the fetcher, for a domain and its subdomains."""

from __future__ import annotations

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
        " ON CONFLICT(host) DO UPDATE SET reason = excluded.reason",
        (host, reason, now),
    )


async def remove(store: Store, host: str) -> bool:
    return await store.execute("DELETE FROM domain_blocks WHERE host = ?", (host,)) > 0


async def all_hosts(store: Store) -> frozenset[str]:
    rows = await store.fetchall("SELECT host FROM domain_blocks")
    return frozenset(r["host"] for r in rows)


async def list_blocks(store: Store) -> list[tuple[str, str]]:
    rows = await store.fetchall("SELECT host, reason FROM domain_blocks ORDER BY host")
    return [(r["host"], r["reason"]) for r in rows]
