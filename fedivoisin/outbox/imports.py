"""Import without code: a community subscribes to a calendar or a feed; each fetch turns new
items into Creates, changed ones into Updates and removed ones into Deletes.

Items are published through the C2S functions (one way to publish) by an Organization that
stands for the source platform and is a member of the community, addressed to the community
(which announces them) and to its followers (who therefore also get the Updates and
Deletes, which a community does not re-announce). The mapping table makes it idempotent:
the object id is recorded before its Create is published, and the hash of what we published
after, so neither a re-fetch nor a crash nor a restart ever publishes an item twice.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .. import admin
from ..errors import Conflict, InvalidInput, NotFound, ProblemError, RemoteError
from ..http import check_url
from ..protocol.documents import PUBLIC
from ..protocol.sources import Parsed, SourceError, SourceItem, parse_calendar, parse_feed
from ..remote import http
from ..runtime import Runtime
from ..store import activities as activity_store
from ..store import actors as actor_store
from ..store import imports as store
from ..store.actors import LocalActor
from . import c2s
from . import community as cm
from .publish import new_id

log = logging.getLogger("fedivoisin.imports")

KINDS = ("events", "news")
ACCEPT = {
    "events": "text/calendar, application/calendar+json;q=0.5, */*;q=0.1",
    "news": "application/feed+json, application/atom+xml, application/rss+xml,"
    " application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1",
}
MIN_EVERY = 60.0
MAX_EVERY = 7 * 24 * 3600.0
LEASE_SECONDS = 300.0
SOURCE_TITLE = "source"  # the member title the community's Announce shows (memberRole)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Outcome:
    status: str  # 'ok', 'not modified', 'error', 'busy'
    created: int = 0
    updated: int = 0
    deleted: int = 0
    skipped: tuple[str, ...] = ()
    error: str | None = None

    @property
    def result(self) -> str:
        return (
            f"{self.created} new, {self.updated} updated, {self.deleted} deleted,"
            f" {len(self.skipped)} skipped"
        )


def parse_every(value: str | float | int) -> float:
    """'15m', '2h', '1d', '90s' or seconds → seconds, between 1 minute and 1 week."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(value))
        if m is None:
            raise InvalidInput(f"every {value!r}: use e.g. 15m, 2h, 1d or seconds", field="every")
        seconds = float(m.group(1)) * _UNITS[m.group(2) or "s"]
    if not MIN_EVERY <= seconds <= MAX_EVERY:
        raise InvalidInput("every must be between 1 minute and 7 days", field="every")
    return seconds


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput(f"as {kind!r}: choose events or news", field="as")
    return kind


def source_slug(url: str) -> str:
    """import-<host>[-<port>]: one Organization per source platform, readable at a glance."""
    parts = urlsplit(url)
    host = (parts.hostname or "source").lower()
    if parts.port:
        host += f"-{parts.port}"
    slug = "import-" + re.sub(r"[^a-z0-9]+", "-", host).strip("-")
    return slug[:63].rstrip("-")


async def source_actor(rt: Runtime, url: str) -> LocalActor:
    """The Organization standing for the source platform, created on first use."""
    slug = source_slug(url)
    existing = await actor_store.get_actor(rt.store, slug)
    if existing is not None:
        if existing.type != "Organization":
            raise Conflict(f"{slug} exists and is not an Organization", field="url")
        return existing
    host = urlsplit(url).netloc
    return await admin.create_actor(
        rt.store,
        rt.clock,
        slug,
        type_="Organization",
        name=f"{host} (import)",
        summary=f"Stands for {host}: its calendar or news, imported by this server.",
    )


async def add(
    rt: Runtime, community: LocalActor, url: str, kind: str, every: str | float
) -> store.Import:
    check_kind(kind)
    seconds = parse_every(every)
    try:
        url = check_url(url, allow_private_networks=rt.settings.allow_private_networks)
    except (RemoteError, ValueError) as exc:
        raise InvalidInput(f"url: {exc}", field="url") from None
    org = await source_actor(rt, url)
    await cm.add_member(rt, community, org.slug, title=SOURCE_TITLE)
    row = await store.add(
        rt.store,
        community=rt.urls.actor(community.slug),
        source_actor=org.slug,
        url=url,
        kind=kind,
        every=seconds,
        now=rt.clock.now(),
    )
    if row is None:
        raise Conflict(f"{community.slug} already imports {url}", field="url")
    wake(rt)
    return row


async def require(rt: Runtime, import_id: int) -> store.Import:
    row = await store.get(rt.store, import_id)
    if row is None:
        raise NotFound(f"no import {import_id}", field="id")
    return row


async def remove(rt: Runtime, import_id: int) -> store.Import:
    """Stop importing; what was published stays (it is the community's history)."""
    row = await require(rt, import_id)
    await store.remove(rt.store, import_id)
    return row


def wake(rt: Runtime) -> None:
    event = rt.caches.get("import_wakeup")
    if event is not None:
        event.set()


# -- one fetch -----------------------------------------------------------------------------


async def run(rt: Runtime, import_id: int, *, wait: float = 0.0) -> Outcome:
    """Fetch one import now and publish what changed; never raises for a broken source.

    When another fetch of it is in progress (the scheduler, or `import run` in another
    process), wait up to `wait` seconds for it to end, then fetch; else answer 'busy'."""
    deadline = time.monotonic() + wait
    while True:
        now = rt.clock.now()
        if await store.lease(rt.store, import_id, now, now + LEASE_SECONDS):
            break
        await require(rt, import_id)
        if time.monotonic() >= deadline:
            return Outcome("busy", error="a fetch of this import is already in progress")
        await asyncio.sleep(0.05)
    row = await require(rt, import_id)
    etag, modified = row.etag, row.last_modified
    try:
        outcome, etag, modified = await _fetch_and_sync(rt, row)
    except Exception as exc:  # a bug must not leave the lease held nor stop the scheduler
        log.exception("import %s (%s) failed", row.id, row.url)
        outcome = Outcome("error", error=f"internal error: {type(exc).__name__}")
    await store.finish(
        rt.store,
        import_id,
        now=rt.clock.now(),
        status=outcome.status,
        error=outcome.error,
        result=outcome.result if outcome.status == "ok" else None,
        etag=etag,
        last_modified=modified,
        succeeded=outcome.status != "error",
    )
    return outcome


async def _fetch_and_sync(rt: Runtime, row: store.Import) -> tuple[Outcome, str | None, str | None]:
    s = rt.settings
    try:
        doc = await http(rt).get_document(
            row.url,
            accept=ACCEPT[row.kind],
            etag=row.etag,
            last_modified=row.last_modified,
            max_body=s.import_max_body,
            timeout=s.import_timeout,
        )
    except RemoteError as exc:
        return Outcome("error", error=str(exc)), row.etag, row.last_modified
    if doc.status == 304:
        return Outcome("not modified"), row.etag, row.last_modified
    try:
        if row.kind == "events":
            parsed = parse_calendar(doc.body)
        else:
            parsed = parse_feed(doc.body, content_type=doc.content_type, base_url=doc.final_url)
    except SourceError as exc:
        # Keep the old validators: the next fetch must get the document again, not a 304.
        return Outcome("error", error=str(exc)), row.etag, row.last_modified
    outcome = await sync(rt, row, parsed)
    return outcome, doc.etag, doc.last_modified


async def sync(rt: Runtime, row: store.Import, parsed: Parsed) -> Outcome:
    """Publish the difference between the source's items and what we published before."""
    community = await cm.community_actor(rt, row.community)
    org = await actor_store.get_actor(rt.store, row.source_actor)
    if community is None or org is None:
        return Outcome("error", error="the community or the source actor no longer exists")
    mapped = await store.items(rt.store, row.id)
    skipped = list(parsed.skipped)
    created = updated = deleted = 0
    seen: set[str] = set()
    for item in parsed.items:
        if item.uid in seen:
            skipped.append(f"{item.uid}: duplicate id in the source")
            continue
        seen.add(item.uid)
        known = mapped.get(item.uid)
        try:
            if known is None or known.deleted:
                await _create(rt, row, org, community, item, None)
                created += 1
            elif known.hash is None:
                # The id was recorded but the process stopped around the Create.
                if await activity_store.get_object(rt.store, known.object_uri) is None:
                    await _create(rt, row, org, community, item, known.object_uri)
                    created += 1
                else:
                    await _update(rt, row, org, community, item, known.object_uri)
                    updated += 1
            elif known.hash != item.digest:
                await _update(rt, row, org, community, item, known.object_uri)
                updated += 1
        except ProblemError as exc:
            skipped.append(f"{item.uid}: {exc.detail}")
    now = rt.clock.now()
    for uid, known in mapped.items():
        if known.deleted or uid in seen or not _removed(row.kind, known, parsed.items, now):
            continue
        stored = await activity_store.get_object(rt.store, known.object_uri)
        if stored is not None and stored.deleted is None:
            await c2s.delete(rt, org, {"type": "Delete", "object": known.object_uri})
            deleted += 1
        await store.mark_deleted(rt.store, row.id, uid)
    if skipped:
        log.info("import %s: skipped %s", row.id, "; ".join(skipped[:5]))
    error = ("skipped " + "; ".join(skipped[:3])) if skipped else None
    return Outcome("ok", created, updated, deleted, tuple(skipped), error)


def _removed(kind: str, known: store.Item, current: list[SourceItem], now: float) -> bool:
    """Is an item missing from the source removed, or did it just fall out of its window?

    Calendars drop past events and feeds keep their last N entries: neither is a deletion.
    An event is deleted only if it has not ended yet; a news entry only if it is newer than
    the oldest entry the feed still carries."""
    if kind == "events":
        return known.item_time is None or known.item_time > now
    times = [i.item_time for i in current if i.item_time is not None]
    return known.item_time is not None and bool(times) and known.item_time >= min(times)


def _addressed(rt: Runtime, org: LocalActor, community: LocalActor, obj: dict[str, Any]) -> None:
    cid = rt.urls.actor(community.slug)
    obj["to"] = [PUBLIC]
    obj["cc"] = [cid, rt.urls.followers(community.slug), rt.urls.followers(org.slug)]
    obj["audience"] = cid


async def _create(
    rt: Runtime,
    row: store.Import,
    org: LocalActor,
    community: LocalActor,
    item: SourceItem,
    object_id: str | None,
) -> None:
    object_id = object_id or new_id(rt, "object")
    await store.map_item(rt.store, row.id, item.uid, object_id, item.item_time)
    obj = dict(item.obj)
    _addressed(rt, org, community, obj)
    await c2s.create(rt, org, {"type": "Create", "object": obj}, object_id=object_id)
    await store.set_hash(rt.store, row.id, item.uid, item.digest, item.item_time)


async def _update(
    rt: Runtime,
    row: store.Import,
    org: LocalActor,
    community: LocalActor,
    item: SourceItem,
    object_id: str,
) -> None:
    stored = await activity_store.get_object(rt.store, object_id)
    if stored is None or stored.deleted is not None:
        # Removed here (by a moderator): a change at the source does not bring it back.
        await store.set_hash(rt.store, row.id, item.uid, item.digest, item.item_time)
        return
    obj = {**item.obj, "id": object_id}
    _addressed(rt, org, community, obj)
    await c2s.update(rt, org, {"type": "Update", "object": obj}, replace=True)
    await store.set_hash(rt.store, row.id, item.uid, item.digest, item.item_time)
