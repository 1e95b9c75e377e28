"""Domain policies (docs/moderation.md): suspend, silence, reject media, reject reports;
CSV import (Mastodon / GoToSocial format) and subscribed blocklists refreshed daily.

A suspension is a row of the one domain_blocks table that every entry point already checks
through Runtime.is_blocked (inbox, Announce unwrapping, fetch on reference, signed GET,
webhook targets: SECURITY.md rule 14); suspending also drops follows both ways. Silence is
read by the relays: a silenced domain's posts reach its followers only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection

from ..errors import InvalidInput, RemoteError
from ..protocol.actors import host_of
from ..protocol.blocklist import BlocklistError, DomainPolicy, parse_csv, parse_severity
from ..runtime import Runtime
from ..store import blocks as block_store
from ..store.memo import batching, memoised, prime

log = logging.getLogger("fedivoisin.moderation")
MAX_LIST_BYTES = 2 * 1_048_576


async def apply(
    rt: Runtime,
    host: str,
    *,
    severity: str = "suspend",
    reason: str = "",
    reject_media: bool = False,
    reject_reports: bool = False,
    public: bool = False,
    public_comment: str = "",
    obfuscate: bool = False,
    source: str | None = None,
) -> str:
    host = block_store.normalise_host(host)
    if host == rt.urls.domain.rsplit(":", 1)[0]:
        raise InvalidInput("this instance cannot restrict its own domain", field="host")
    try:
        severity = parse_severity(severity)
    except BlocklistError as exc:
        raise InvalidInput(str(exc), field="severity") from None
    await block_store.set_policy(
        rt.store,
        host,
        severity=severity,
        reason=reason,
        reject_media=reject_media,
        reject_reports=reject_reports,
        public=public,
        public_comment=public_comment,
        obfuscate=obfuscate,
        source=source,
        now=rt.clock.now(),
    )
    rt.invalidate_blocks()
    if severity == "suspend":
        await drop_follows(rt, host)
    return host


async def drop_follows(rt: Runtime, host: str) -> int:
    """Suspension severs follows both ways (theirs of us, ours of them) and memberships."""
    blocked = frozenset({host})
    rows = await rt.store.fetchall("SELECT follower, followee FROM follows")
    gone = [
        (r["follower"], r["followee"])
        for r in rows
        if block_store.is_blocked_in(blocked, host_of(r["follower"]))
        or block_store.is_blocked_in(blocked, host_of(r["followee"]))
    ]
    for follower, followee in gone:
        await rt.store.execute(
            "DELETE FROM follows WHERE follower = ? AND followee = ?", (follower, followee)
        )
    members = await rt.store.fetchall("SELECT community, member FROM members")
    for r in members:
        if block_store.is_blocked_in(blocked, host_of(r["member"])):
            await rt.store.execute(
                "DELETE FROM members WHERE community = ? AND member = ?",
                (r["community"], r["member"]),
            )
    return len(gone)


async def suspend_actor(rt: Runtime, actor_uri: str, reason: str) -> None:
    """One remote account refused everywhere, its follows dropped (actor_suspensions)."""
    if rt.urls.is_local(actor_uri):
        raise InvalidInput("local accounts are deleted, not suspended", field="account")
    await block_store.suspend_actor(rt.store, actor_uri, reason, rt.clock.now())
    await rt.store.execute(
        "DELETE FROM follows WHERE follower = ? OR followee = ?", (actor_uri, actor_uri)
    )
    await rt.store.execute("DELETE FROM members WHERE member = ?", (actor_uri,))


async def silence_actor(rt: Runtime, actor_uri: str, reason: str) -> None:
    """One remote account silenced: it reaches its followers only, never the mesh."""
    if rt.urls.is_local(actor_uri):
        raise InvalidInput("local accounts are deleted, not silenced", field="account")
    await block_store.silence_actor(rt.store, actor_uri, reason, rt.clock.now())


async def actor_silenced(rt: Runtime, actor_uri: str) -> bool:
    """The account itself or its domain is silenced."""
    if await memoised(
        ("actor_silenced", actor_uri), lambda: block_store.actor_silenced(rt.store, actor_uri)
    ):
        return True
    return await is_silenced(rt, host_of(actor_uri))


async def prefetch_actor_silences(rt: Runtime, actors: Collection[str]) -> None:
    """actor_silenced()'s account question for every sender of an inbox batch, in one
    query (the domain question is one read per batch already)."""
    if not actors or not batching():
        return
    silenced = await block_store.silenced_among(rt.store, actors)
    for a in actors:
        prime(("actor_silenced", a), a in silenced)


async def _in(rt: Runtime, condition: str, host: str) -> bool:
    if not host:
        return False
    hosts = await memoised(
        ("hosts_where", condition), lambda: block_store.hosts_where(rt.store, condition)
    )
    return block_store.is_blocked_in(hosts, host)


async def is_silenced(rt: Runtime, host: str) -> bool:
    return await _in(rt, "silence", host)


async def rejects_media(rt: Runtime, host: str) -> bool:
    return await _in(rt, "reject_media", host)


async def rejects_reports(rt: Runtime, host: str) -> bool:
    return await _in(rt, "reject_reports", host)


async def import_policies(
    rt: Runtime, policies: list[DomainPolicy], *, source: str | None = None
) -> list[str]:
    """Apply every row; a subscription's refresh also lifts what it no longer lists."""
    done: list[str] = []
    for p in policies:
        try:
            done.append(
                await apply(
                    rt,
                    p.domain,
                    severity=p.severity,
                    reason=p.public_comment,
                    reject_media=p.reject_media,
                    reject_reports=p.reject_reports,
                    public=bool(p.public_comment),
                    public_comment=p.public_comment,
                    obfuscate=p.obfuscate,
                    source=source,
                )
            )
        except InvalidInput as exc:
            log.warning("blocklist row %s skipped: %s", p.domain, exc.detail)
    if source is not None:
        await block_store.remove_from_source(rt.store, source, set(done))
        rt.invalidate_blocks()
    return done


async def import_csv(rt: Runtime, text: str, *, source: str | None = None) -> list[str]:
    try:
        rows = parse_csv(text)
    except BlocklistError as exc:
        raise InvalidInput(str(exc), field="csv") from None
    return await import_policies(rt, rows, source=source)


async def subscribe(rt: Runtime, url: str) -> None:
    if not url.startswith("https://") and not rt.settings.allow_private_networks:
        raise InvalidInput("a blocklist URL must be https", field="url")
    await block_store.add_subscription(rt.store, url, rt.clock.now())


async def refresh_subscriptions(rt: Runtime) -> int:
    """Fetch due subscribed lists through the SSRF-safe client (once a day by default).

    One refresh at a time per process: two interleaved (the retention job's pass and an
    admin's) could apply an older copy of a list after a newer one, so that a domain the
    list dropped stayed blocked until the next day."""
    lock = rt.caches.setdefault("blocklist_refresh_lock", asyncio.Lock())
    async with lock:
        return await _refresh_due(rt)


async def _refresh_due(rt: Runtime) -> int:
    from ..remote import http

    now = rt.clock.now()
    due = await block_store.subscriptions_due(rt.store, now - rt.settings.blocklist_refresh)
    for url in due:
        error: str | None = None
        try:
            doc = await http(rt).get_document(
                url, accept="text/csv, text/plain;q=0.9", max_body=MAX_LIST_BYTES
            )
            await import_csv(rt, doc.body.decode("utf-8", "replace"), source=url)
        except (RemoteError, InvalidInput) as exc:
            error = str(exc)[:300]
            log.warning("blocklist %s: %s", url, error)
        await block_store.subscription_fetched(rt.store, url, rt.clock.now(), error)
    return len(due)
