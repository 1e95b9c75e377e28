"""Strict URL and address checks for every outbound request (SECURITY.md rules 6 and 11).

Why a hand-written parser on top of `urllib.parse`: lenient parsers disagree with each
other about hosts (`mastodon.so/cial`, `127.1`, `0x7f000001`, full-width dots, userinfo,
backslashes), and every disagreement is a way to impersonate an origin or reach an
internal address. We accept one unambiguous subset and refuse the rest.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from fedivoisin.errors import RemoteRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 4096
DEFAULT_PORTS = {"http": 80, "https": 443}

_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
# Characters kept as they are in a path or query; everything else is percent-encoded so
# that the URL we sign is byte for byte the URL we send.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
#: Whitespace, control characters, DEL and backslash: refused anywhere in a URL.
_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
# NAT64 well-known prefix (RFC 6052): the last 32 bits are the IPv4 destination.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True, slots=True)
class CheckedUrl:
    """A URL that passed `parse_url`: the only form the client ever sends or signs."""

    scheme: str
    host: str  # lower-case ASCII (IDNA), no brackets, no trailing dot
    port: int  # effective port (default filled in)
    target: str  # path plus "?query"; never a fragment
    ip: IPAddress | None  # set when the host is an IP literal

    @property
    def authority(self) -> str:
        """The `Host` header value: the port only when it is not the scheme's default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port != DEFAULT_PORTS[self.scheme]:
            return f"{host}:{self.port}"
        return host

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.authority}{self.target}"

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def is_public_address(ip: IPAddress) -> bool:
    """True if `ip` is a globally routable unicast address.

    Uses the standard library's `is_global` (no hand-rolled denylist), plus what
    `is_global` lets through on Python 3.11: multicast and reserved ranges, and IPv6
    forms that embed an IPv4 destination (mapped, 6to4, NAT64), judged by that IPv4.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def check_url(url: str, *, allow_private_networks: bool) -> str:
    """Return the normalised form of `url`, or raise RemoteRefused.

    https only (http too when private networks are allowed); no userinfo; IDNA
    lower-case host; IP literals must be public unless private networks are allowed;
    the fragment is dropped because it is never sent.
    """
    return parse_url(url, allow_private_networks=allow_private_networks).url


def same_origin(a: str, b: str) -> bool:
    """Exact origin comparison: scheme, lower-case IDNA host and effective port.

    Either URL failing the strict parser means "not the same origin" (rule 6:
    `https://mastodon.so/cial` is not `https://mastodon.social`).
    """
    try:
        pb = parse_url(b, allow_private_networks=True)
    except RemoteRefused:
        return False
    # Fast path (b, an actor, repeats and its parse is cached): `a` starting with b's
    # canonical `scheme://authority/` has exactly that origin, and the strict parser would
    # accept it if nothing after the prefix is refused (length, unsafe characters). Other
    # spellings pay for a full parse of `a` (~15 µs; docs/performance.md "Inbox").
    prefix = f"{pb.scheme}://{pb.authority}/"
    if a.startswith(prefix) and len(a) <= MAX_URL_LENGTH and not _UNSAFE_CHARS.search(a):
        return True
    try:
        pa = parse_url(a, allow_private_networks=True)
    except RemoteRefused:
        return False
    return pa.origin == pb.origin


@functools.lru_cache(maxsize=4096)
def parse_url(url: str, *, allow_private_networks: bool) -> CheckedUrl:
    """Parse and check `url` (cached: deliveries repeat the same inbox URLs)."""
    if not isinstance(url, str) or not url:
        raise RemoteRefused("empty URL")
    if len(url) > MAX_URL_LENGTH:
        raise RemoteRefused("URL too long")
    # urlsplit silently deletes tabs and newlines and leaves backslashes in the host,
    # where browsers read them as "/": refuse all of them rather than guess.
    if _UNSAFE_CHARS.search(url):
        raise RemoteRefused("URL contains whitespace, control characters or backslashes")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise RemoteRefused(f"malformed URL: {exc}") from None
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if allow_private_networks else ("https",)
    if scheme not in allowed:
        raise RemoteRefused(f"scheme {scheme or '(none)'!r} is not allowed")
    if not parts.netloc:
        raise RemoteRefused("URL has no host")
    if "@" in parts.netloc:
        raise RemoteRefused("URL has userinfo")
    raw_host, port = _split_authority(parts.netloc, scheme)
    host, ip = _normalise_host(raw_host)
    if ip is not None and not allow_private_networks and not is_public_address(ip):
        raise RemoteRefused(f"address {ip} is not public")
    target = quote(parts.path, safe=_PATH_SAFE) or "/"
    if parts.query:
        target += "?" + quote(parts.query, safe=_QUERY_SAFE)
    return CheckedUrl(scheme=scheme, host=host, port=port, target=target, ip=ip)


def _split_authority(netloc: str, scheme: str) -> tuple[str, int]:
    if netloc.startswith("["):
        host, sep, rest = netloc[1:].partition("]")
        if not sep:
            raise RemoteRefused("unterminated IPv6 literal")
        host = "[" + host + "]"
    else:
        host, _, port_part = netloc.partition(":")
        rest = netloc[len(host) :]
        if ":" in port_part:
            raise RemoteRefused("more than one ':' in host")
    if not rest:
        return host, DEFAULT_PORTS[scheme]
    port_text = rest[1:] if rest.startswith(":") else None
    if not port_text or not port_text.isascii() or not port_text.isdigit():
        raise RemoteRefused("invalid port")
    port = int(port_text)
    if not 0 < port < 65536:
        raise RemoteRefused("port out of range")
    return host, port


def _normalise_host(raw: str) -> tuple[str, IPAddress | None]:
    if raw.startswith("["):
        inner = raw[1:-1]
        if "%" in inner:
            raise RemoteRefused("IPv6 zone identifiers are not allowed")
        try:
            ip6 = ipaddress.IPv6Address(inner)
        except ValueError:
            raise RemoteRefused("invalid IPv6 literal") from None
        return ip6.compressed, ip6
    if not raw:
        raise RemoteRefused("URL has no host")
    host = raw
    if not host.isascii():
        import idna  # deferred: only non-ASCII hosts need it (ships with yarl/aiohttp)

        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError) as exc:
            raise RemoteRefused(f"invalid internationalised host: {exc}") from None
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]  # "evil.example." is "evil.example": blocks must match it
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        # WHATWG reads a host ending in a number as IPv4 (127.1, 0x7f000001, 2130706433,
        # 0177.0.0.1). Only the canonical dotted quad is accepted, so what we check is
        # what the socket layer connects to.
        try:
            ip4 = ipaddress.IPv4Address(host)
        except ValueError:
            raise RemoteRefused(f"non-canonical IPv4 address {raw!r}") from None
        return host, ip4
    if len(host) > 253 or not all(len(lb) <= 63 and _LABEL.fullmatch(lb) for lb in labels):
        raise RemoteRefused(f"invalid host {raw!r}")
    return host, None
