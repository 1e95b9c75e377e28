"""Pure header parsing, HttpPolicy validation, and the client's lifecycle."""

from __future__ import annotations

import dataclasses

import pytest

from fedivoisin.errors import ConfigError
from fedivoisin.http import (
    AS2_PROFILE,
    HttpPolicy,
    create_http_client,
    is_activity_media_type,
    parse_retry_after,
)

from .conftest import Peer, policy

NOW = 1_445_412_480.0  # Wed, 21 Oct 2015 07:28:00 GMT


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:28:30 -0000", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # in the past: retry now
        ("-5", None),
        ("1.5", None),
        ("٣", None),  # a digit, but not an ASCII one
        ("tomorrow", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("value", "strict", "lenient"),
    [
        ("application/activity+json", True, True),
        ("application/activity+json; charset=utf-8", True, True),
        (f'application/ld+json; profile="{AS2_PROFILE}"', True, True),
        (f'application/ld+json; charset=utf-8; profile="x {AS2_PROFILE} y"', True, True),
        (f'application/ld+json; profile="{AS2_PROFILE}/"', False, True),
        ('application/ld+json; profile="a;b"', False, True),
        ("application/ld+json", False, True),
        ("application/json", False, True),
        ("application/jrd+json", False, True),
        ("application/xrd+xml", False, False),
        (f'text/html; profile="{AS2_PROFILE}"', False, False),
        ("application/activity+jsonx", False, False),
        ("", False, False),
        (None, False, False),
    ],
)
def test_is_activity_media_type(value: str | None, strict: bool, lenient: bool) -> None:
    assert is_activity_media_type(value) is strict
    assert is_activity_media_type(value, lenient_json=True) is lenient


@pytest.mark.parametrize(
    "override",
    [
        {"user_agent": " "},
        {"total_timeout": 0},
        {"connect_timeout": -1},
        {"max_body": 0},
        {"max_redirects": -1},
        {"per_host_limit": 0},
        {"total_limit": 0},
    ],
)
def test_policy_rejects_nonsense(override: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        policy(**override)


def test_policy_defaults_are_safe() -> None:
    p = HttpPolicy(user_agent="fedivoisin/0.1")
    assert p.allow_private_networks is False
    assert (p.connect_timeout, p.total_timeout, p.max_body, p.max_redirects) == (
        5.0,
        15.0,
        1_048_576,
        3,
    )
    assert (p.per_host_limit, p.total_limit) == (8, 200)
    assert p.is_blocked("anything.example") is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.max_body = 1  # type: ignore[misc]


def test_client_can_be_created_outside_a_loop() -> None:
    client = create_http_client(HttpPolicy(user_agent="t"))
    assert client._session is None  # nothing opened until the first request


async def test_session_is_lazy_and_close_is_final(peer: Peer) -> None:
    peer.json("/x", {"id": peer.url("/x")}, content_type="application/json")
    async with create_http_client(policy()) as client:
        assert client._session is None
        assert (await client.get_json(peer.url("/x"))).status == 200
        assert client._session is not None
    assert client._session is None
    await client.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        await client.get_json(peer.url("/x"))
