"""check_url, same_origin and the address rule: pure, no network."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fedivoisin.errors import RemoteRefused
from fedivoisin.http import check_url, is_public_address, same_origin

PRIVATE_LITERALS = [
    "0.0.0.0",
    "[::]",
    "[::ffff:127.0.0.1]",
    "127.1",
    "0x7f000001",
    "[::1]",
    "169.254.169.254",
    "100.64.0.1",
    "[fc00::1]",
    "224.0.0.1",
    "127.0.0.1",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "2130706433",
    "0177.0.0.1",
    "127.000.000.001",
    "[::127.0.0.1]",
    "[64:ff9b::7f00:1]",
    "[2002:7f00:1::]",
    "[fe80::1]",
    "[ff02::1]",
    "255.255.255.255",
    "127。0。0。1",
]


@pytest.mark.parametrize("host", PRIVATE_LITERALS)
def test_cve_2026_22245_private_ranges_refused(host: str) -> None:
    with pytest.raises(RemoteRefused):
        check_url(f"https://{host}/inbox", allow_private_networks=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "[::]", "0.0.0.0:443", "[::]:8443"])
def test_cve_2025_25194_zero_address_refused(host: str) -> None:
    """Also CVE-2026-33693 and Mastodon CVE-2026-46348 (`::`)."""
    with pytest.raises(RemoteRefused):
        check_url(f"https://{host}/", allow_private_networks=False)


@pytest.mark.parametrize("host", ["127.1", "0x7f000001", "2130706433", "0177.0.0.1", "1.2.3.4.5"])
def test_cve_2026_50131_legacy_ipv4_forms_refused_even_when_private_allowed(host: str) -> None:
    """Non-canonical IPv4 means parsers disagree about the target: never accepted."""
    with pytest.raises(RemoteRefused):
        check_url(f"http://{host}/", allow_private_networks=True)


@pytest.mark.parametrize(
    "ip",
    ["::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "2002:a00:1::1", "224.0.0.1"],
)
def test_is_public_address_sees_through_embedded_ipv4_and_multicast(ip: str) -> None:
    assert not is_public_address(ipaddress.ip_address(ip))


@pytest.mark.parametrize("ip", ["8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"])
def test_is_public_address_accepts_global_unicast(ip: str) -> None:
    assert is_public_address(ipaddress.ip_address(ip))


def test_private_literals_allowed_only_with_the_setting() -> None:
    assert (
        check_url("http://127.0.0.1:8080/a", allow_private_networks=True)
        == "http://127.0.0.1:8080/a"
    )
    assert check_url("https://[::1]:8443/", allow_private_networks=True) == "https://[::1]:8443/"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/",  # http needs allow_private_networks
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "https://user:pw@example.com/",
        "https://user@example.com/",
        "https://evil.example\\@good.example/",
        "https://good.example @evil.example/",
        "https://exa\tmple.com/",
        "https://example.com/\r\nX-Injected: 1",
        "https:///path",
        "https:example.com",
        "//example.com/",
        "https://example.com:0/",
        "https://example.com:65536/",
        "https://example.com:80a/",
        "https://example.com:/",
        "https://exa%6dple.com/",
        "https://-bad.example/",
        "https://a..b.example/",
        "https://[fe80::1%25eth0]/",
        "https://[::1/",
        "https://1::2/",
        "https://" + "a" * 64 + ".example/",
        "https://example.com/" + "a" * 5000,
        "",
    ],
)
def test_cve_2023_42451_strict_parser_refuses(url: str) -> None:
    with pytest.raises(RemoteRefused):
        check_url(url, allow_private_networks=False)


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("https://Mastodon.SOCIAL/users/Alice", "https://mastodon.social/users/Alice"),
        ("https://mastodon.social:443/x#frag", "https://mastodon.social/x"),
        ("https://mastodon.social", "https://mastodon.social/"),
        ("https://mastodon.social.:8443/x?a=b", "https://mastodon.social:8443/x?a=b"),
        ("https://bücher.example/é?q=ü", "https://xn--bcher-kva.example/%C3%A9?q=%C3%BC"),
        ("https://ｍａｓｔｏｄｏｎ。social/@a", "https://mastodon.social/@a"),
        ("HTTPS://[2606:4700:0::1]:443/", "https://[2606:4700::1]/"),
        ("https://8.8.8.8/a%2Fb", "https://8.8.8.8/a%2Fb"),
    ],
)
def test_check_url_normalises(url: str, normalised: str) -> None:
    assert check_url(url, allow_private_networks=False) == normalised


def test_cve_2023_42451_same_origin_is_exact() -> None:
    assert not same_origin("https://mastodon.so/cial", "https://mastodon.social/")
    assert not same_origin("https://mastodon.social/", "http://mastodon.social/")
    assert not same_origin("https://mastodon.social/", "https://mastodon.social:8443/")
    assert not same_origin("https://a.mastodon.social/", "https://mastodon.social/")
    assert not same_origin("https://mastodon.social@evil.example/", "https://mastodon.social/")
    assert not same_origin("not a url", "not a url")
    assert same_origin("https://MASTODON.social:443/users/a", "https://mastodon.social/inbox")
    assert same_origin("http://127.0.0.1:80/a", "http://127.0.0.1/b")
    assert same_origin("https://bücher.example/a", "https://xn--bcher-kva.example/b")


@pytest.mark.parametrize(
    "candidate",
    [
        "https://mastodon.social/users/a/statuses/1",
        "https://mastodon.social/users/a b",  # whitespace: refused by the strict parser
        "https://mastodon.social/users/a\\b",  # backslash: refused
        "https://mastodon.social/" + "x" * 5000,  # too long: refused
        "https://mastodon.social.evil.example/users/a",
        "https://mastodon.social@evil.example/users/a",
        "https://mastodon.social:443/users/a",
        "HTTPS://mastodon.social/users/a",
    ],
)
def test_the_prefix_fast_path_agrees_with_the_strict_parser(candidate: str) -> None:
    """same_origin skips parsing an id under the actor's canonical origin; the answer must
    be the one the full comparison of parsed origins gives."""
    from fedivoisin.net.urls import parse_url

    actor = "https://mastodon.social/users/a"
    try:
        strict = (
            parse_url(candidate, allow_private_networks=True).origin
            == parse_url(actor, allow_private_networks=True).origin
        )
    except RemoteRefused:
        strict = False
    assert same_origin(candidate, actor) is strict


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True).filter(
    lambda s: not s.isdigit() and not s.startswith("0x")
)
_hosts = st.lists(_label, min_size=1, max_size=4).map(".".join)
_paths = st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cs", "Zs"]), max_size=30).map(
    lambda s: "/" + s.replace("\\", "").replace("#", "").replace("?", "")
)


@given(host=_hosts, port=st.integers(1, 65535), path=_paths)
def test_check_url_is_idempotent_and_same_origin_reflexive(host: str, port: int, path: str) -> None:
    url = f"https://{host}:{port}{path}"
    once = check_url(url, allow_private_networks=True)
    assert check_url(once, allow_private_networks=True) == once
    assert same_origin(url, once)
    assert same_origin(once, f"https://{host.upper()}:{port}/other")
    assert not same_origin(once, f"https://{host}x:{port}/")
