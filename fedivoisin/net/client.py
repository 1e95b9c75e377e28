"""HttpClient: the one outbound client, for every remote GET and every delivery POST.

Why aiohttp: it sustains ~3-5x httpx's delivery rate at fan-out concurrency
(PERFORMANCE.md). Why one client: the SSRF, block, size, time and redirect rules
(SECURITY.md 1, 2, 6, 11, 12, 14) live here once, so no caller can forget them.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urljoin

import orjson

from fedivoisin.clock import Clock, SystemClock
from fedivoisin.errors import (
    RemoteError,
    RemoteRefused,
    RemoteUnavailable,
)
from fedivoisin.net.headers import (
    AS2_ACCEPT,
    JSON_ACCEPT,
    is_activity_media_type,
    parse_retry_after,
)
from fedivoisin.net.offline import NetworkNeeded, is_offline
from fedivoisin.net.outcomes import (
    Document,
    Fetched,
    PostResult,
    connect_error,
    describe,
    status_error,
)
from fedivoisin.net.policy import HttpPolicy
from fedivoisin.net.urls import CheckedUrl, parse_url, same_origin

log = logging.getLogger("fedivoisin.http")

SignHook = Callable[[str, str, dict[str, str], bytes | None], dict[str, str]]
"""(method, url, headers, body) -> headers to add (Date, Digest, Signature, ...).

The URL and headers are exactly what will be sent, so a signature over them verifies."""

DEFAULT_SCHEME = "cavage"
# Answers that may mean "I could not verify that signature scheme". Mastodon and
# GoToSocial answer 401; some verifiers answer 400 or 403. 404/410 (gone), 429/5xx
# (overload: a second request makes it worse) and other 4xx (about the activity, not
# the signature) are final. Fedify also re-knocks on those; we keep it to one cheap retry
# only where the scheme can plausibly be the cause.
SECOND_KNOCK_STATUSES = frozenset({400, 401, 403})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_POST_DRAIN = 64 * 1024  # read small POST answers fully so the connection is reused
_MAX_REMEMBERED_HOSTS = 10_000


if TYPE_CHECKING:
    import aiohttp

    from fedivoisin.net.resolver import PolicyResolver

_T = TypeVar("_T")

_Finish = Callable[[CheckedUrl, CheckedUrl, "aiohttp.ClientResponse"], Awaitable[_T]]


class HttpClient:
    """Create with `create_http_client`; `await close()` when done (or `async with`)."""

    def __init__(self, policy: HttpPolicy, *, clock: Clock | None = None) -> None:
        self.policy = policy
        self._clock: Clock = clock or SystemClock()
        self._session: aiohttp.ClientSession | None = None
        self._resolver: PolicyResolver | None = None
        self._closed = False
        self._schemes: OrderedDict[str, str] = OrderedDict()

    # -- lifecycle ---------------------------------------------------------------

    def _get_session(self) -> aiohttp.ClientSession:
        """Create the session on first use: it must be born inside the running loop.

        aiohttp (with yarl, multidict and the resolver) is imported here, not at start:
        ~10 MB of an idle server's memory (bench/idle_memory.py) for an instance that
        has not talked to a peer yet."""
        import aiohttp

        from fedivoisin.net.resolver import PolicyResolver

        if is_offline():
            raise NetworkNeeded
        if self._closed:
            raise RuntimeError("HttpClient is closed")
        if self._session is None:
            p = self.policy
            self._resolver = PolicyResolver(p)
            connector = aiohttp.TCPConnector(
                limit=p.total_limit,
                limit_per_host=p.per_host_limit,
                use_dns_cache=p.dns_cache_ttl > 0,
                ttl_dns_cache=p.dns_cache_ttl or None,
                keepalive_timeout=p.keepalive_timeout,
                resolver=self._resolver,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(
                    total=p.total_timeout, sock_connect=p.connect_timeout
                ),
                cookie_jar=aiohttp.DummyCookieJar(),  # no state shared between peers
                trust_env=False,  # a proxy from the environment would bypass the resolver
            )
        return self._session

    def warm(self) -> None:
        """Load aiohttp and open the session now. `fedivoisin worker` exists to talk to
        peers: its first fan-out should not wait ~0.25 s of imports (bench/scale_bench.py)."""
        self._get_session()

    async def close(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        resolver, self._resolver = self._resolver, None
        if resolver is not None:
            await resolver.close()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- GET -----------------------------------------------------------------------

    async def get_activity(
        self,
        url: str,
        *,
        sign: SignHook | None = None,
        accept: str = AS2_ACCEPT,
        lenient_json: bool = False,
    ) -> Fetched:
        """Fetch an ActivityStreams document and check it is authentic for its origin.

        Rule 1: the document's `id` must share the origin of the final URL, or a
        redirect (or an upload on a shared domain) could pose as another actor.
        """
        fetched = await self._fetch(url, sign=sign, accept=accept, finish=self._json(lenient_json))
        doc_id = fetched.document.get("id")
        if not isinstance(doc_id, str) or not same_origin(doc_id, fetched.final_url):
            raise RemoteRefused(
                f"GET {fetched.final_url}: id {doc_id!r} is not on the origin it came from",
                status=fetched.status,
            )
        return fetched

    async def get_json(
        self, url: str, *, accept: str = JSON_ACCEPT, sign: SignHook | None = None
    ) -> Fetched:
        """Fetch WebFinger/NodeInfo JSON: same transport rules, lenient type, no id check."""
        return await self._fetch(url, sign=sign, accept=accept, finish=self._json(True))

    def _json(self, lenient_json: bool) -> _Finish[Fetched]:
        async def finish(
            first: CheckedUrl, current: CheckedUrl, resp: aiohttp.ClientResponse
        ) -> Fetched:
            return await self._accept(first, current, resp, lenient_json)

        return finish

    async def get_document(
        self,
        url: str,
        *,
        accept: str,
        etag: str | None = None,
        last_modified: str | None = None,
        max_body: int | None = None,
        timeout: float | None = None,
    ) -> Document:
        """Fetch any document (a calendar, a feed) as bytes, conditionally.

        Same SSRF, block, redirect and size rules as every GET; `etag` / `last_modified`
        become If-None-Match / If-Modified-Since, and a 304 answer comes back as a
        Document with status 304 and an empty body (nothing changed)."""
        conditional: dict[str, str] = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        limit = max_body or self.policy.max_body

        async def finish(
            first: CheckedUrl, current: CheckedUrl, resp: aiohttp.ClientResponse
        ) -> Document:
            if resp.status == 304:
                return Document(first.url, current.url, 304, "", b"", etag, last_modified)
            error = status_error("GET", current.url, resp.status)
            if error is not None:
                raise error
            body = await self._read_capped(resp, current.url, limit)
            return Document(
                first.url,
                current.url,
                resp.status,
                resp.headers.get("Content-Type", ""),
                body,
                resp.headers.get("ETag"),
                resp.headers.get("Last-Modified"),
            )

        return await self._fetch(
            url, sign=None, accept=accept, finish=finish, timeout=timeout, extra=conditional
        )

    async def _fetch(
        self,
        url: str,
        *,
        sign: SignHook | None,
        accept: str,
        finish: _Finish[_T],
        timeout: float | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> _T:
        first = self._check_hop(url)
        limit = timeout or self.policy.total_timeout
        try:
            async with asyncio.timeout(limit):  # whole chain, rule 12
                return await self._follow(first, sign, accept, finish, extra or {})
        except TimeoutError:
            raise RemoteUnavailable(f"GET {first.url}: no answer within {limit}s") from None

    async def _follow(
        self,
        first: CheckedUrl,
        sign: SignHook | None,
        accept: str,
        finish: _Finish[_T],
        extra: Mapping[str, str],
    ) -> _T:
        """Follow redirects by hand so every hop is re-checked and re-signed."""
        session = self._get_session()
        import aiohttp  # loaded by _get_session
        from yarl import URL

        current = first
        for hop in range(self.policy.max_redirects + 1):
            headers = self._headers(current, Accept=accept, **extra)
            if sign is not None:
                headers.update(sign("GET", current.url, dict(headers), None))
            try:
                async with session.get(
                    URL(current.url, encoded=True), headers=headers, allow_redirects=False
                ) as resp:
                    if resp.status not in REDIRECT_STATUSES:
                        return await finish(first, current, resp)
                    location = resp.headers.get("Location")
            except aiohttp.ClientConnectorError as exc:
                raise connect_error("GET", current.url, exc) from None
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                raise RemoteUnavailable(f"GET {current.url}: {describe(exc)}") from None
            if not location:
                raise RemoteError(
                    f"GET {current.url}: redirect without Location", status=resp.status
                )
            if hop == self.policy.max_redirects:
                raise RemoteRefused(
                    f"GET {first.url}: more than {self.policy.max_redirects} redirects"
                )
            current = self._check_hop(urljoin(current.url, location))
        raise AssertionError("unreachable")

    async def _accept(
        self,
        first: CheckedUrl,
        current: CheckedUrl,
        resp: aiohttp.ClientResponse,
        lenient_json: bool,
    ) -> Fetched:
        error = status_error("GET", current.url, resp.status)
        if error is not None:
            raise error
        ctype = resp.headers.get("Content-Type", "")
        if not is_activity_media_type(ctype, lenient_json=lenient_json):  # rule 2
            raise RemoteRefused(
                f"GET {current.url}: content type {ctype!r} is not ActivityStreams JSON",
                status=resp.status,
            )
        body = await self._read_capped(resp, current.url)
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise RemoteRefused(f"GET {current.url}: invalid JSON", status=resp.status) from None
        if not isinstance(document, dict):
            raise RemoteRefused(f"GET {current.url}: not a JSON object", status=resp.status)
        return Fetched(first.url, current.url, resp.status, ctype, document)

    async def _read_capped(
        self, resp: aiohttp.ClientResponse, url: str, limit: int | None = None
    ) -> bytes:
        """Read at most max_body bytes (after decompression), then hang up (rule 12)."""
        limit = limit or self.policy.max_body
        declared = resp.content_length
        if declared is not None and declared > limit:
            resp.close()
            raise RemoteRefused(f"GET {url}: body too large ({declared} bytes)", status=resp.status)
        buf = bytearray()
        async for chunk in resp.content.iter_chunked(_CHUNK):
            buf += chunk
            if len(buf) > limit:
                resp.close()
                raise RemoteRefused(
                    f"GET {url}: body too large (over {limit} bytes)", status=resp.status
                )
        return bytes(buf)

    # -- POST ----------------------------------------------------------------------

    async def post(
        self,
        url: str,
        body: bytes,
        *,
        signers: Mapping[str, SignHook],
        content_type: str = "application/activity+json",
    ) -> PostResult:
        """Signed POST with double knocking; never follows redirects.

        Tries the scheme remembered for the host (default "cavage"); on 400/401/403
        retries once with the other scheme and remembers whichever got a 2xx. Network
        errors and timeouts come back as status 0; only a refused URL raises.
        """
        if not signers:
            raise ValueError("post() needs at least one signer")
        target = self._check_hop(url)
        order = self._knock_order(target.host, signers)
        used = order[0]
        result = await self._post_once(target, body, signers[used], content_type)
        if result.status in SECOND_KNOCK_STATUSES and len(order) > 1:
            log.debug(
                "POST %s: %s got %s, knocking with %s", target.url, used, result.status, order[1]
            )
            used = order[1]
            result = await self._post_once(target, body, signers[used], content_type)
        if result.ok:
            self._remember(target.host, used)
        return result

    def preferred_scheme(self, host: str) -> str | None:
        """The signature scheme that last got a 2xx from `host`, if any."""
        return self._schemes.get(host.lower().rstrip("."))

    async def _post_once(
        self, target: CheckedUrl, body: bytes, signer: SignHook, content_type: str
    ) -> PostResult:
        headers = self._headers(target, **{"Content-Type": content_type, "Accept": AS2_ACCEPT})
        headers.update(signer("POST", target.url, dict(headers), body))
        session = self._get_session()
        import aiohttp  # loaded by _get_session
        from yarl import URL

        try:
            # The session's ClientTimeout bounds the whole request (no second timer: this
            # is the hot path of fan-out).
            async with session.post(
                URL(target.url, encoded=True),
                data=body,
                headers=headers,
                allow_redirects=False,
            ) as resp:
                retry_after = parse_retry_after(
                    resp.headers.get("Retry-After"), now=self._clock.now()
                )
                snippet = "" if resp.content_length == 0 else await _drain(resp)
                status = resp.status
        except aiohttp.ClientConnectorError as exc:
            error = connect_error("POST", target.url, exc)
            if isinstance(error, RemoteRefused):
                raise error from None
            return PostResult(0, None, str(error))
        except TimeoutError:
            return PostResult(0, None, f"timeout after {self.policy.total_timeout}s")
        except (aiohttp.ClientError, OSError) as exc:
            return PostResult(0, None, describe(exc))
        if 200 <= status < 300:
            return PostResult(status, retry_after, None)
        if status in REDIRECT_STATUSES:
            return PostResult(status, retry_after, f"HTTP {status}: redirect not followed")
        return PostResult(
            status, retry_after, f"HTTP {status}" + (f": {snippet}" if snippet else "")
        )

    def _knock_order(self, host: str, signers: Mapping[str, SignHook]) -> list[str]:
        first = self._schemes.get(host, DEFAULT_SCHEME)
        if first not in signers:
            first = next(iter(signers))
        return [first, *[name for name in signers if name != first][:1]]

    def _remember(self, host: str, scheme: str) -> None:
        self._schemes[host] = scheme
        self._schemes.move_to_end(host)
        if len(self._schemes) > _MAX_REMEMBERED_HOSTS:
            self._schemes.popitem(last=False)

    # -- shared --------------------------------------------------------------------

    def _check_hop(self, url: str) -> CheckedUrl:
        """Rules 6, 11, 14 for one hop: strict URL, literal address, domain blocks."""
        p = self.policy
        checked = parse_url(url, allow_private_networks=p.allow_private_networks)
        if checked.ip is not None and not p.address_allowed(checked.ip):
            raise RemoteRefused(f"{checked.url}: address {checked.ip} is not allowed")
        if p.is_blocked(checked.host):
            raise RemoteRefused(f"{checked.url}: {checked.host} is blocked")
        return checked

    def _headers(self, target: CheckedUrl, **extra: str) -> dict[str, str]:
        # Host is explicit so the signer sees exactly the value that is sent.
        return {"Host": target.authority, "User-Agent": self.policy.user_agent, **extra}


def create_http_client(policy: HttpPolicy, *, clock: Clock | None = None) -> HttpClient:
    """The factory every caller uses; nothing touches the network until the first request."""
    if policy.allow_private_networks:
        log.warning("allow_private_networks is on: http:// and private addresses are reachable")
    return HttpClient(policy, clock=clock)


async def _drain(resp: aiohttp.ClientResponse) -> str:
    """Read a small answer to the end (keeps the connection reusable); return its start."""
    if resp.content_length is not None and resp.content_length > _POST_DRAIN:
        resp.close()
        return ""
    data = bytearray()
    async for chunk in resp.content.iter_chunked(_CHUNK):
        data += chunk
        if len(data) > _POST_DRAIN:
            resp.close()
            break
    text = bytes(data[:200]).decode("utf-8", "replace")
    return "".join(c if c.isprintable() else " " for c in text).strip()
