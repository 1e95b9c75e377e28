"""HttpPolicy: every knob of the outbound client in one frozen value."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from fedivoisin.errors import ConfigError
from fedivoisin.net.urls import IPAddress, is_public_address


def _never_blocked(host: str) -> bool:
    return False


def _any_address(ip: IPAddress) -> bool:
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpPolicy:
    """Limits and address policy shared by every GET and POST (SECURITY.md rules 11, 12, 14).

    `allow_private_networks` is the one switch that relaxes the rules (http:// and
    non-public addresses, for loopback demos and tests). `address_filter` and
    `resolver_override` can only narrow or pin what is reached, never widen it:
    `address_filter(ip)` must also return True for every address we connect to, and
    `resolver_override` is a static DNS table (host -> IP or IPs; other names do not
    resolve) whose answers go through the same checks as real DNS answers. Tests use
    them to exercise the SSRF checks on loopback without real DNS.
    """

    user_agent: str
    allow_private_networks: bool = False
    connect_timeout: float = 5.0
    total_timeout: float = 15.0
    max_body: int = 1_048_576
    max_redirects: int = 3
    per_host_limit: int = 8
    total_limit: int = 200
    is_blocked: Callable[[str], bool] = _never_blocked
    address_filter: Callable[[IPAddress], bool] = _any_address
    resolver_override: Mapping[str, str | Sequence[str]] | None = None
    dns_cache_ttl: int = 60
    keepalive_timeout: float = 30.0

    def __post_init__(self) -> None:
        if not self.user_agent.strip():
            raise ConfigError("user_agent must not be empty")
        for name in ("connect_timeout", "total_timeout", "keepalive_timeout"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be > 0")
        for name in ("max_body", "per_host_limit", "total_limit"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1")
        for name in ("max_redirects", "dns_cache_ttl"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0")

    def address_allowed(self, ip: IPAddress) -> bool:
        """The one address rule, applied to IP literals and to every DNS answer."""
        if not self.allow_private_networks and not is_public_address(ip):
            return False
        return self.address_filter(ip)
