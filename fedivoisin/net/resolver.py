"""A DNS resolver that refuses non-public answers (SECURITY.md rule 11).

Why a resolver and not a pre-flight lookup: aiohttp's connector connects to exactly the
addresses its resolver returns, so checking them here leaves no gap between "checked"
and "connected" for DNS rebinding to exploit, on every hop, for GET and POST alike.
aiohttp skips the resolver for canonical IP literals; `parse_url` and the client check
those.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult

from fedivoisin.net.policy import HttpPolicy

_NUMERIC_FLAGS = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV


class AddressRefused(OSError):
    """Raised from inside the connector.

    An OSError so that aiohttp wraps it like any DNS failure
    (`ClientConnectorDNSError.os_error`); the client unwraps it into RemoteRefused.
    """


class PolicyResolver(AbstractResolver):
    """Resolve with the default resolver (or the policy's static table), then check."""

    def __init__(self, policy: HttpPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner
        self._owns_inner = inner is None and policy.resolver_override is None

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._policy.resolver_override is not None and self._inner is None:
            answers = self._static(host, port, family)
        else:
            if self._inner is None:
                from aiohttp.resolver import DefaultResolver

                self._inner = DefaultResolver()
            answers = await self._inner.resolve(host, port, family)
        if not answers:
            raise OSError(f"{host}: no addresses")
        for answer in answers:
            try:
                ip = ipaddress.ip_address(answer["host"])
            except ValueError:
                raise AddressRefused(f"{host}: unparseable address {answer['host']!r}") from None
            if not self._policy.address_allowed(ip):
                raise AddressRefused(f"{host} resolves to {ip}, which is not allowed")
        return answers

    def _static(self, host: str, port: int, family: int) -> list[ResolveResult]:
        assert self._policy.resolver_override is not None
        entry = self._policy.resolver_override.get(host.lower().rstrip("."))
        if entry is None:
            raise OSError(f"{host}: not in the static resolver table")
        results: list[ResolveResult] = []
        for text in (entry,) if isinstance(entry, str) else entry:
            ip = ipaddress.ip_address(text)
            fam = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            if family in (socket.AF_UNSPEC, fam):
                results.append(
                    ResolveResult(
                        hostname=host,
                        host=str(ip),
                        port=port,
                        family=fam,
                        proto=0,
                        flags=_NUMERIC_FLAGS,
                    )
                )
        return results

    async def close(self) -> None:
        if self._inner is not None and self._owns_inner:
            await self._inner.close()
