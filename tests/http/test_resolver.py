"""The address policy at the DNS layer: every answer checked, at every resolution."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from fedivoisin.errors import RemoteRefused
from fedivoisin.http import HttpClient, HttpPolicy
from fedivoisin.net.resolver import AddressRefused, PolicyResolver

from .conftest import Peer


class ScriptedResolver(AbstractResolver):
    """Answers each lookup with the next list of addresses, like a rebinding attacker."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(hostname=host, host=a, port=port, family=0, proto=0, flags=0)
            for a in self.answers.pop(0)
        ]

    async def close(self) -> None:
        pass


def _policy(**kw: object) -> HttpPolicy:
    return HttpPolicy(user_agent="t", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "answers",
    [
        ["127.0.0.1"],
        ["10.1.2.3"],
        ["169.254.169.254"],
        ["100.64.0.1"],
        ["0.0.0.0"],
        ["::"],
        ["::1"],
        ["::ffff:127.0.0.1"],
        ["fc00::1"],
        ["224.0.0.1"],
        ["93.184.215.14", "10.0.0.1"],  # one bad answer is enough
    ],
)
async def test_cve_2026_22245_resolver_refuses_non_public_answers(answers: list[str]) -> None:
    resolver = PolicyResolver(_policy(), inner=ScriptedResolver(answers))
    with pytest.raises(AddressRefused):
        await resolver.resolve("innocent.example", 443)


async def test_resolver_passes_public_answers_through_unchanged() -> None:
    resolver = PolicyResolver(_policy(), inner=ScriptedResolver(["93.184.215.14", "2606:4700::1"]))
    answers = await resolver.resolve("example.com", 443)
    assert [a["host"] for a in answers] == ["93.184.215.14", "2606:4700::1"]


async def test_dns_rebinding_second_answer_is_checked_too() -> None:
    resolver = PolicyResolver(_policy(), inner=ScriptedResolver(["93.184.215.14"], ["127.0.0.1"]))
    await resolver.resolve("rebind.example", 443)
    with pytest.raises(AddressRefused):
        await resolver.resolve("rebind.example", 443)


async def test_static_table_is_checked_like_dns_and_is_exclusive() -> None:
    resolver = PolicyResolver(_policy(resolver_override={"a.test": "127.0.0.1"}))
    with pytest.raises(AddressRefused):
        await resolver.resolve("a.test", 80)
    with pytest.raises(OSError, match="not in the static resolver table"):
        await resolver.resolve("real.example", 80)
    open_resolver = PolicyResolver(
        _policy(allow_private_networks=True, resolver_override={"a.test": ("127.0.0.1", "::1")})
    )
    assert [a["host"] for a in await open_resolver.resolve("A.test.", 80, socket.AF_UNSPEC)] == [
        "127.0.0.1",
        "::1",
    ]


async def test_address_filter_only_narrows() -> None:
    resolver = PolicyResolver(
        _policy(
            allow_private_networks=True,
            address_filter=lambda ip: ip.is_loopback,
            resolver_override={"lo.test": "127.0.0.1", "lan.test": "192.168.1.10"},
        )
    )
    assert (await resolver.resolve("lo.test", 80))[0]["host"] == "127.0.0.1"
    with pytest.raises(AddressRefused):
        await resolver.resolve("lan.test", 80)


async def test_cve_2026_22245_name_resolving_to_loopback_refused_before_connecting(
    peer: Peer, make_client: Callable[..., HttpClient]
) -> None:
    """allow_private_networks=False: a name whose DNS answer is 127.0.0.1 is never dialled."""
    client = make_client(
        allow_private_networks=False, resolver_override={"looks-public.test": "127.0.0.1"}
    )
    url = f"https://looks-public.test:{peer.port}/users/a"
    with pytest.raises(RemoteRefused, match=r"127\.0\.0\.1"):
        await client.get_activity(url)
    with pytest.raises(RemoteRefused):
        await client.post(url, b"{}", signers={"cavage": lambda m, u, h, b: {}})
    assert peer.requests == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/a", "https://127.0.0.1:{port}/a"])
async def test_cve_2026_22245_literal_loopback_refused_by_default(
    url: str, peer: Peer, make_client: Callable[..., HttpClient]
) -> None:
    client = make_client(allow_private_networks=False)
    with pytest.raises(RemoteRefused):
        await client.get_json(url.format(port=peer.port))
    with pytest.raises(RemoteRefused):
        await client.post(url.format(port=peer.port), b"{}", signers={"cavage": lambda *a: {}})
    assert peer.requests == []


async def test_name_resolution_failure_is_unavailable_not_refused(
    make_client: Callable[..., HttpClient], make_peer: Callable[[], Awaitable[Peer]]
) -> None:
    from fedivoisin.errors import RemoteUnavailable

    client = make_client(resolver_override={})
    with pytest.raises(RemoteUnavailable):
        await client.get_activity("http://nowhere.test/a")
    result = await client.post(
        "http://nowhere.test/inbox", b"{}", signers={"cavage": lambda *a: {}}
    )
    assert result.status == 0 and result.error
