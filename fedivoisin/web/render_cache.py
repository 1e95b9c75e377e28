"""Rendered-once representations: answers built once per change of what they show.

Why (issue 16, docs/performance.md "Reads"): the calendar, the feed, collection pages and
actor documents were rebuilt on every request (`events.ics` at 0.018× of a static answer)
although they change only when a community's content does. A representation is cached
under (route, args) with the content version it was built from (store/versions.py: a
number in the database, bumped by triggers on every write that changes what it shows, so
several processes on one database invalidate alike). A request costs one primary-key read
of that version; a conditional GET whose validator matches answers 304 without rendering.

The strong ETag is a hash of the body: the same content has the same tag in every process
and after a restart, and the tag changes exactly when the bytes do (a members-only post
bumps the version but leaves the public answer — and its tag — unchanged).

Only what an anonymous viewer sees may enter the cache: callers pass `shared=False` (or
use `shareable()`) for any answer that depends on who asks (tokens, signatures, cookies,
authorized fetch); those are rendered every time and never stored.

Bodies above `GZIP_ABOVE` bytes are also kept gzip-compressed, compressed once per
rendering: a client that accepts gzip (every browser, calendar app and fediverse server)
gets those bytes with no work per request — a 500-event calendar is ~190 KB as text and
~15 KB gzipped, and moving the bytes, not building them, was what remained of its cost.
The gzip variant has its own strong ETag (the body's tag with `-gz`), as RFC 9110 wants
for a different content coding; either tag validates a conditional GET, since both
decode to the same content.

Time-dependent listings (upcoming events, open offers…) say when their answer next changes
by itself (`Rendered.expires_at`, from the items' start/end times); the entry is rebuilt
after that moment.
"""

from __future__ import annotations

import gzip
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import Response

from ..store import versions
from .routes.common import runtime

MAX_ENTRIES = 4096
MAX_BYTES = 64 * 1024 * 1024
#: How long a content version read from the database is trusted without re-reading it,
#: unless this process wrote since (Store.generation): a write made by ANOTHER process
#: (the CLI, a second server on PostgreSQL) shows within this delay; this process's own
#: writes show at once. It spares the one database read a cached answer would cost.
VERSION_TTL = 1.0
#: Bodies from this size up are kept gzipped too (below it the saving is a packet or less).
GZIP_ABOVE = 1024
_COMPRESSIBLE = (
    "text/",
    "application/activity+json",
    "application/ld+json",
    "application/json",
    "application/atom+xml",
    "application/xml",
    "application/jrd+json",
)


@dataclass(frozen=True)
class Rendered:
    """What a route built: body, media type, extra headers, and when it lapses by itself."""

    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)
    expires_at: float | None = None


@dataclass(frozen=True)
class _Entry:
    version: int
    rendered: Rendered
    etag: str
    last_modified: float
    headers: dict[str, str]
    #: the body gzipped, and the headers that go with it (None: sent as is)
    gzipped: bytes | None = None
    gzip_headers: dict[str, str] | None = None

    @property
    def size(self) -> int:
        return len(self.rendered.body) + len(self.gzipped or b"")


class RenderCache:
    """A bounded LRU of rendered answers, one entry per (route, args), newest version only."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._bytes = 0
        self.renders = 0  # how many times a body was built (tests, diagnostics)
        # scopes -> (version, changed_at, store generation, monotonic time read)
        self.versions: dict[tuple[str, ...], tuple[int, float, int, float]] = {}

    def get(self, key: Hashable) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: Hashable, entry: _Entry) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.size
        self._entries[key] = entry
        self._bytes += entry.size
        while self._entries and (
            len(self._entries) > self.max_entries or self._bytes > self.max_bytes
        ):
            _, gone = self._entries.popitem(last=False)
            self._bytes -= gone.size

    def clear(self) -> None:
        self._entries.clear()
        self.versions.clear()
        self._bytes = 0


async def _version(
    request: Request, cache: RenderCache, scopes: Sequence[str]
) -> tuple[int, float]:
    store = runtime(request).store
    key = tuple(scopes)
    generation = store.generation  # before the read: a write during it invalidates
    now = time.monotonic()
    hit = cache.versions.get(key)
    if hit is not None and hit[2] == generation and now - hit[3] < VERSION_TTL:
        return hit[0], hit[1]
    version, changed_at = await versions.read(store, scopes)
    if len(cache.versions) > 4 * MAX_ENTRIES:
        cache.versions.clear()
    cache.versions[key] = (version, changed_at, generation, now)
    return version, changed_at


def cache_of(request: Request) -> RenderCache:
    caches = runtime(request).caches
    cache = caches.get("render_cache")
    if cache is None:
        cache = caches["render_cache"] = RenderCache()
    assert isinstance(cache, RenderCache)
    return cache


def shareable(request: Request) -> bool:
    """True when the answer cannot depend on who asks: no token, no signature, no cookie,
    and authorized fetch off (under it every answer is per requester)."""
    if runtime(request).settings.authorized_fetch:
        return False
    h = request.headers
    return not ("authorization" in h or "signature" in h or "signature-input" in h or "cookie" in h)


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


async def respond(
    request: Request,
    *,
    key: Hashable,
    scopes: Sequence[str],
    render: Callable[[], Awaitable[Rendered]],
    shared: bool = True,
) -> Response:
    """Answer from the cache when the content version still matches, else render and keep.

    `key` names the representation (route and every argument that changes the bytes,
    including the negotiated media type); `scopes` are the version scopes whose change
    invalidates it. With `shared=False` the answer is rendered and sent, never stored."""
    if not shared:
        rendered = await render()
        return Response(rendered.body, media_type=rendered.media_type, headers=rendered.headers)
    rt = runtime(request)
    cache = cache_of(request)
    # The version is read BEFORE rendering: a write racing the render leaves an entry
    # tagged with the older version, which the next request replaces; never the reverse.
    version, changed_at = await _version(request, cache, scopes)
    now = rt.clock.now()
    entry = cache.get(key)
    if (
        entry is None
        or entry.version != version
        or (entry.rendered.expires_at is not None and now >= entry.rendered.expires_at)
    ):
        rendered = await render()
        cache.renders += 1
        etag = strong_etag(rendered.body)
        if entry is not None and entry.etag == etag:
            last_modified = entry.last_modified
        elif entry is not None and entry.version == version:  # lapsed by itself (time)
            last_modified = now
        else:
            last_modified = changed_at if changed_at > 0 else now
        last_modified = float(int(last_modified))
        entry = _entry(version, rendered, etag, last_modified)
        cache.put(key, entry)
    zipped = entry.gzipped is not None and accepts_gzip(request)
    if not_modified(request, (entry.etag, _gzip_tag(entry.etag)), entry.last_modified):
        headers = entry.gzip_headers if zipped and entry.gzip_headers else entry.headers
        keep = {
            k: v
            for k, v in headers.items()
            if k.lower() in ("etag", "last-modified", "cache-control", "vary", "expires")
        }
        return Response(status_code=304, headers=keep)
    if zipped and entry.gzipped is not None and entry.gzip_headers is not None:
        return Response(
            entry.gzipped, media_type=entry.rendered.media_type, headers=entry.gzip_headers
        )
    return Response(
        entry.rendered.body, media_type=entry.rendered.media_type, headers=entry.headers
    )


def _gzip_tag(etag: str) -> str:
    return etag[:-1] + '-gz"'


def _entry(version: int, rendered: Rendered, etag: str, last_modified: float) -> _Entry:
    """The cached answer: its headers, and its gzip variant when worth it."""
    headers = dict(rendered.headers)
    headers["ETag"] = etag
    headers["Last-Modified"] = formatdate(last_modified, usegmt=True)
    body = rendered.body
    if len(body) < GZIP_ABOVE or not rendered.media_type.startswith(_COMPRESSIBLE):
        return _Entry(version, rendered, etag, last_modified, headers)
    vary = headers.get("Vary")
    headers["Vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
    zipped = gzip.compress(body, compresslevel=6, mtime=0)
    gz_headers = {**headers, "ETag": _gzip_tag(etag), "Content-Encoding": "gzip"}
    return _Entry(version, rendered, etag, last_modified, headers, zipped, gz_headers)


def accepts_gzip(request: Request) -> bool:
    """`Accept-Encoding` lists gzip (or `*`) without `q=0`."""
    for part in request.headers.get("accept-encoding", "").lower().split(","):
        coding, _, params = part.partition(";")
        if coding.strip() in ("gzip", "x-gzip", "*"):
            q = params.strip().removeprefix("q=").strip() if "q=" in params else "1"
            try:
                return float(q) > 0
            except ValueError:
                return False
    return False


def not_modified(request: Request, etags: Sequence[str], last_modified: float) -> bool:
    """RFC 9110 §13.1: If-None-Match wins; If-Modified-Since only without it. `etags`: the
    tags of the representation's variants (identity, gzip)."""
    inm = request.headers.get("if-none-match")
    if inm is not None:
        if inm.strip() == "*":
            return True
        for candidate in inm.split(","):
            tag = candidate.strip()
            if tag.startswith("W/"):
                tag = tag[2:]
            if tag in etags:
                return True
        return False
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            since = parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        return int(last_modified) <= since
    return False
