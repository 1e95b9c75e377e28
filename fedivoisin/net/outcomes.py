"""What a request to a remote server comes back as: the result types of the one outbound
client (`net/client.py`), and the mapping of HTTP statuses and connection failures onto the
error hierarchy, kept apart from the request mechanics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fedivoisin.errors import (
    RemoteError,
    RemoteGone,
    RemoteNotFound,
    RemoteRefused,
    RemoteUnavailable,
)

if TYPE_CHECKING:
    import aiohttp


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # the requested URL, normalised
    final_url: str  # after redirects: the URL the document came from
    status: int
    content_type: str
    document: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Document:
    """Any fetched document as bytes (calendars, feeds); status 304 means not modified."""

    url: str
    final_url: str
    status: int
    content_type: str
    body: bytes
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True, slots=True)
class PostResult:
    """Delivery outcome; status 0 means no HTTP answer (network error or timeout)."""

    status: int
    retry_after: float | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def status_error(method: str, url: str, status: int) -> RemoteError | None:
    if 200 <= status < 300:
        return None
    message = f"{method} {url}: HTTP {status}"
    if status == 404:
        return RemoteNotFound(message, status=status)
    if status == 410:
        return RemoteGone(message, status=status)
    if status >= 500 or status in (408, 429):
        return RemoteUnavailable(message, status=status)
    return RemoteError(message, status=status)


def connect_error(method: str, url: str, exc: aiohttp.ClientConnectorError) -> RemoteError:
    from fedivoisin.net.resolver import AddressRefused  # imports aiohttp: see net/client.py

    if isinstance(exc.os_error, AddressRefused):
        return RemoteRefused(f"{method} {url}: {exc.os_error}")
    return RemoteUnavailable(f"{method} {url}: cannot connect: {exc.os_error}")


def describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
