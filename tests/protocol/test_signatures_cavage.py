"""draft-cavage HTTP signatures: round trips, Mastodon/Fedify interop, every tampering."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedivoisin.protocol import keys
from fedivoisin.protocol.signatures import (
    ParsedSignature,
    Rejected,
    Verified,
    key_id_owner_hint,
    parse_signature,
    sign_cavage,
    verify_parsed,
    verify_request,
)

VECTORS = json.loads((Path(__file__).parent / "vectors" / "rfc9421_appendix_b.json").read_text())
NOW = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
DATE = "Tue, 14 Nov 2023 22:13:20 GMT"
URL = "https://lilas.example/actors/alice/inbox"
KEY_ID = "https://quartier.example/actors/bob#main-key"
BODY = b'{"type":"Follow","actor":"https://quartier.example/actors/bob"}'
CT = "application/activity+json"


def _rsa(pem: str) -> rsa.RSAPrivateKey:
    key = keys.load_private_key_pem(pem)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _ed25519(pem: str) -> ed25519.Ed25519PrivateKey:
    key = keys.load_private_key_pem(pem)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return key


# Fixed test keys: RFC 9421 Appendix B.1.1 `test-key-rsa` and B.1.4 `test-key-ed25519`.
RSA_KEY = _rsa(VECTORS["keys"]["test-key-rsa"]["private_pem"])
ED_KEY = _ed25519(VECTORS["keys"]["test-key-ed25519"]["private_pem"])


@pytest.fixture(scope="module")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return keys.generate_rsa_key()


def signed_post(key: keys.PrivateKey = RSA_KEY, body: bytes = BODY) -> dict[str, str]:
    headers = {"Content-Type": CT}
    return {
        **headers,
        **sign_cavage("POST", URL, headers, body, key_id=KEY_ID, private_key=key, now=NOW),
    }


def verify(
    headers: dict[str, str],
    body: bytes | None = BODY,
    *,
    method: str = "POST",
    url: str = URL,
    key: keys.PublicKey | None = None,
    now: float = NOW,
) -> Verified | Rejected:
    return verify_request(method, url, headers, body, key or RSA_KEY.public_key(), now)


def mastodon_style_request(
    private_key: rsa.RSAPrivateKey, path: str, body: bytes
) -> dict[str, str]:
    """An independent signer: what Mastodon's Request + HttpSignatureDraft send.

    Written from app/lib/request.rb and app/lib/http_signature_draft.rb with only
    `cryptography`, `hashlib` and `base64`: headers Host, Date, Digest (SHA-256, base64),
    Content-Type; `(request-target)` ("post /path?query") merged in last; each line
    "name-lowercased: value" joined by LF; RSASSA-PKCS1-v1_5 with SHA-256.
    """
    headers = {
        "Host": "lilas.example",
        "Date": DATE,
        "Digest": "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode(),
        "Content-Type": CT,
    }
    signed = {**headers, "(request-target)": f"post {path}"}
    text = "\n".join(f"{name.lower()}: {value}" for name, value in signed.items())
    raw = private_key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    names = " ".join(signed).lower()
    headers["Signature"] = (
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="{names}",'
        f'signature="{base64.b64encode(raw).decode()}"'
    )
    headers["User-Agent"] = "http.rb/5.1.1 (Mastodon/4.3.0; +https://quartier.example/)"
    return headers


def custom_cavage(
    names: list[str],
    values: dict[str, str],
    *,
    key: keys.PrivateKey = RSA_KEY,
    algorithm: str = "rsa-sha256",
    extra: str = "",
) -> str:
    """Sign an arbitrary header list, to build signatures our signer would never make."""
    text = "\n".join(f"{name}: {values[name]}" for name in names).encode()
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.sign(text)
    else:
        raw = key.sign(text, padding.PKCS1v15(), hashes.SHA256())
    return (
        f'keyId="{KEY_ID}",algorithm="{algorithm}",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(raw).decode()}"{extra}'
    )


def post_values(body: bytes = BODY) -> dict[str, str]:
    return {
        "(request-target)": "post /actors/alice/inbox",
        "host": "lilas.example",
        "date": DATE,
        "digest": "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode(),
        "content-type": CT,
    }


def as_headers(values: dict[str, str], signature: str) -> dict[str, str]:
    headers = {k.title(): v for k, v in values.items() if not k.startswith("(")}
    headers["Signature"] = signature
    return headers


# --- signing output and round trips -----------------------------------------------------


def test_signer_adds_mastodon_style_headers() -> None:
    added = sign_cavage(
        "POST", URL, {"Content-Type": CT}, BODY, key_id=KEY_ID, private_key=RSA_KEY, now=NOW
    )
    assert set(added) == {"Host", "Date", "Digest", "Signature"}
    assert added["Host"] == "lilas.example"
    assert added["Date"] == DATE
    assert added["Digest"] == "SHA-256=" + base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    assert added["Signature"].startswith(
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",'
        'headers="(request-target) host date digest content-type",signature="'
    )


def test_signed_get_covers_accept_and_no_digest() -> None:
    added = sign_cavage(
        "GET",
        "https://lilas.example:8443/actors/alice?page=1",
        {"Accept": CT},
        None,
        key_id=KEY_ID,
        private_key=RSA_KEY,
        now=NOW,
    )
    assert "Digest" not in added
    assert added["Host"] == "lilas.example:8443"
    assert 'headers="(request-target) host date accept"' in added["Signature"]
    outcome = verify(
        {"Accept": CT, **added},
        None,
        method="GET",
        url="https://lilas.example:8443/actors/alice?page=1",
    )
    assert outcome == Verified(KEY_ID, "cavage")


def test_ed25519_keys_sign_hs2019() -> None:
    headers = signed_post(ED_KEY)
    assert 'algorithm="hs2019"' in headers["Signature"]
    assert verify(headers, key=ED_KEY.public_key()) == Verified(KEY_ID, "cavage")


def test_rsa_round_trip_via_two_step_api() -> None:
    headers = signed_post()
    parsed = parse_signature("POST", URL, headers)
    assert isinstance(parsed, ParsedSignature)
    assert (parsed.key_id, parsed.scheme, parsed.algorithm) == (KEY_ID, "cavage", "rsa-sha256")
    assert parsed.components == ("(request-target)", "host", "date", "digest", "content-type")
    assert parsed.signing_base.startswith(b"(request-target): post /actors/alice/inbox\nhost: ")
    outcome = verify_parsed(
        parsed, RSA_KEY.public_key(), method="POST", headers=headers, body=BODY, now=NOW + 30
    )
    assert outcome == Verified(KEY_ID, "cavage")


_token = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-._~"), min_size=1, max_size=10
)
_value = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    host=st.from_regex(r"[a-z][a-z0-9-]{0,12}\.example(:[1-9][0-9]{1,3})?", fullmatch=True),
    segments=st.lists(_token, max_size=4),
    query=st.none() | st.text(st.sampled_from("abcXYZ019=&-_.%"), max_size=20),
    body=st.none() | st.binary(max_size=2048),
    content_type=st.none() | _value,
    accept=st.none() | _value,
    use_ed25519=st.booleans(),
    delay=st.floats(min_value=-3000, max_value=11 * 3600),
)
def test_any_request_signed_then_verified(
    method: str,
    host: str,
    segments: list[str],
    query: str | None,
    body: bytes | None,
    content_type: str | None,
    accept: str | None,
    use_ed25519: bool,
    delay: float,
) -> None:
    url = f"https://{host}/" + "/".join(segments) + (f"?{query}" if query is not None else "")
    given_headers = {k: v for k, v in (("Content-Type", content_type), ("Accept", accept)) if v}
    key = ED_KEY if use_ed25519 else RSA_KEY
    if body is None and method in ("POST", "PUT", "PATCH"):
        body = b""
    added = sign_cavage(method, url, given_headers, body, key_id=KEY_ID, private_key=key, now=NOW)
    headers = {**given_headers, **added}
    outcome = verify_request(method, url, headers, body, key.public_key(), NOW + delay)
    assert outcome == Verified(KEY_ID, "cavage")
    if body:
        flipped = bytes([body[0] ^ 1]) + body[1:]
        assert isinstance(
            verify_request(method, url, headers, flipped, key.public_key(), NOW), Rejected
        )


# --- independent signers ----------------------------------------------------------------


def test_mastodon_signed_request_verifies() -> None:
    headers = mastodon_style_request(RSA_KEY, "/actors/alice/inbox", BODY)
    assert verify(headers) == Verified(KEY_ID, "cavage")


def test_mastodon_signed_request_with_query_verifies() -> None:
    headers = mastodon_style_request(RSA_KEY, "/actors/alice/inbox?x=1", BODY)
    assert verify(headers, url=URL + "?x=1") == Verified(KEY_ID, "cavage")


def test_fedify_style_target_without_query_and_sorted_headers_verifies() -> None:
    """Fedify signs `(request-target)` from the pathname only and lists all headers."""
    url = "https://lilas.example/actors/alice/outbox?page=2"
    values = {
        "(request-target)": "get /actors/alice/outbox",
        "accept": CT,
        "date": DATE,
        "host": "lilas.example",
    }
    sig = custom_cavage(list(values), values)
    outcome = verify(as_headers(values, sig), None, method="GET", url=url)
    assert outcome == Verified(KEY_ID, "cavage")
    # Without a query in the URL there is no legacy variant to fall back on.
    values["(request-target)"] = "get /actors/alice/other"
    sig = custom_cavage(list(values), values)
    assert isinstance(verify(as_headers(values, sig), None, method="GET", url=url), Rejected)


def test_authorization_signature_header_is_accepted() -> None:
    headers = signed_post()
    headers["Authorization"] = "Signature " + headers.pop("Signature")
    assert verify(headers) == Verified(KEY_ID, "cavage")


def test_rsa_hs2019_is_pkcs1_sha256() -> None:
    values = post_values()
    sig = custom_cavage(list(values), values, algorithm="hs2019")
    assert verify(as_headers(values, sig)) == Verified(KEY_ID, "cavage")


def test_hs2019_with_created_instead_of_date() -> None:
    values = post_values()
    del values["date"]
    values["(created)"] = str(int(NOW))
    names = ["(request-target)", "host", "(created)", "digest"]
    sig = custom_cavage(names, values, algorithm="hs2019", extra=f",created={int(NOW)}")
    assert verify(as_headers(values, sig)) == Verified(KEY_ID, "cavage")
    assert isinstance(verify(as_headers(values, sig), now=NOW + 13 * 3600), Rejected)


def test_uncovered_created_parameter_is_ignored() -> None:
    """Only a signed time counts: a bare `created=` cannot make an old request look fresh."""
    values = post_values()
    sig = custom_cavage(list(values), values, extra=f",created={int(NOW) + 13 * 3600}")
    parsed = parse_signature("POST", URL, as_headers(values, sig))
    assert isinstance(parsed, ParsedSignature) and parsed.created is None
    assert verify(as_headers(values, sig), now=NOW + 13 * 3600) == Rejected(
        "The signature is too old."
    )


def test_verify_parsed_checks_the_signed_date_not_a_second_copy() -> None:
    headers = signed_post()
    parsed = parse_signature("POST", URL, headers)
    assert isinstance(parsed, ParsedSignature)
    fresh = {**headers, "Date": "Wed, 15 Nov 2023 11:13:20 GMT"}
    outcome = verify_parsed(
        parsed, RSA_KEY.public_key(), method="POST", headers=fresh, body=BODY, now=NOW + 13 * 3600
    )
    assert isinstance(outcome, Rejected)


def test_digest_with_several_algorithms_and_lower_case_name() -> None:
    values = post_values()
    sha512 = base64.b64encode(hashlib.sha512(BODY).digest()).decode()
    values["digest"] = f"sha-512={sha512}, sha-256={values['digest'].split('=', 1)[1]}"
    sig = custom_cavage(list(values), values)
    assert verify(as_headers(values, sig)) == Verified(KEY_ID, "cavage")


# --- every tampering is rejected --------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Host", "quartier.example"),
        ("Date", "Tue, 14 Nov 2023 22:13:21 GMT"),
        ("Digest", "SHA-256=" + base64.b64encode(hashlib.sha256(b"{}").digest()).decode()),
        ("Content-Type", "text/plain"),
    ],
)
def test_changing_any_covered_header_is_rejected(header: str, value: str) -> None:
    headers = signed_post()
    headers[header] = value
    outcome = verify(headers, b"{}" if header == "Digest" else BODY)
    assert isinstance(outcome, Rejected)


def test_changing_the_request_target_is_rejected() -> None:
    headers = signed_post()
    assert isinstance(verify(headers, url="https://lilas.example/inbox"), Rejected)
    assert isinstance(verify(headers, method="PUT"), Rejected)


def test_changing_the_body_is_rejected() -> None:
    outcome = verify(signed_post(), BODY.replace(b"Follow", b"Delete"))
    assert outcome == Rejected("The Digest header does not match the body.")


def test_swapping_body_and_digest_together_is_rejected() -> None:
    other = b'{"type":"Delete"}'
    headers = signed_post()
    headers["Digest"] = "SHA-256=" + base64.b64encode(hashlib.sha256(other).digest()).decode()
    assert verify(headers, other) == Rejected("The signature is not valid for this key.")


def test_date_thirteen_hours_old_is_rejected() -> None:
    assert verify(signed_post(), now=NOW + 13 * 3600) == Rejected("The signature is too old.")
    assert verify(signed_post(), now=NOW + 11 * 3600) == Verified(KEY_ID, "cavage")


def test_date_two_hours_in_the_future_is_rejected() -> None:
    outcome = verify(signed_post(), now=NOW - 2 * 3600)
    assert outcome == Rejected("The signature date is too far in the future.")


def test_expired_signature_is_rejected() -> None:
    values = post_values()
    sig = custom_cavage(list(values), values, extra=f",expires={int(NOW) - 7200}")
    assert verify(as_headers(values, sig)) == Rejected("The signature has expired.")


def test_wrong_key_is_rejected(other_rsa_key: rsa.RSAPrivateKey) -> None:
    outcome = verify(signed_post(), key=other_rsa_key.public_key())
    assert outcome == Rejected("The signature is not valid for this key.")
    assert isinstance(outcome, Rejected) and outcome.retry_with_fresh_key


def test_only_key_failures_suggest_refetching_the_key() -> None:
    too_old = verify(signed_post(), now=NOW + 13 * 3600)
    bad_digest = verify(signed_post(), b"{}")
    for outcome in (too_old, bad_digest, verify({})):
        assert isinstance(outcome, Rejected) and not outcome.retry_with_fresh_key


@pytest.mark.parametrize("missing", ["(request-target)", "host", "date", "digest"])
def test_signature_missing_a_required_component_is_rejected(missing: str) -> None:
    values = post_values()
    names = [name for name in values if name != missing]
    outcome = verify(as_headers(values, custom_cavage(names, values)))
    assert isinstance(outcome, Rejected)
    assert "must cover" in outcome.reason


def test_post_without_digest_is_rejected_even_with_empty_body() -> None:
    values = post_values(b"")
    names = ["(request-target)", "host", "date"]
    outcome = verify(as_headers(values, custom_cavage(names, values)), b"")
    assert outcome == Rejected(
        "The signature must cover the Digest header on requests with a body."
    )


def test_get_with_a_body_must_cover_the_digest() -> None:
    values = post_values()
    values["(request-target)"] = "get /actors/alice/inbox"
    names = ["(request-target)", "host", "date"]
    parsed = parse_signature("GET", URL, as_headers(values, custom_cavage(names, values)))
    assert isinstance(parsed, ParsedSignature)
    outcome = verify_parsed(
        parsed, RSA_KEY.public_key(), method="GET", headers={}, body=BODY, now=NOW
    )
    assert isinstance(outcome, Rejected)


def test_algorithm_mismatch_is_rejected() -> None:
    values = post_values()
    sig = custom_cavage(list(values), values, key=ED_KEY, algorithm="rsa-sha256")
    outcome = verify(as_headers(values, sig), key=ED_KEY.public_key())
    assert outcome == Rejected("The signature algorithm does not match the key type.")
    rsa_sig = custom_cavage(list(values), values)  # RSA signature checked with an Ed25519 key
    assert isinstance(verify(as_headers(values, rsa_sig), key=ED_KEY.public_key()), Rejected)


@pytest.mark.parametrize("algorithm", ["rsa-sha512", "hmac-sha256", "ecdsa-sha256", "none"])
def test_unsupported_algorithms_are_rejected(algorithm: str) -> None:
    values = post_values()
    outcome = verify(as_headers(values, custom_cavage(list(values), values, algorithm=algorithm)))
    assert isinstance(outcome, Rejected)


def test_created_pseudo_header_with_rsa_sha256_is_rejected() -> None:
    values = {**post_values(), "(created)": str(int(NOW))}
    names = ["(request-target)", "host", "(created)", "digest"]
    sig = custom_cavage(names, values, extra=f",created={int(NOW)}")
    assert isinstance(verify(as_headers(values, sig)), Rejected)


def test_host_without_port_matches_a_non_default_port_as_mastodon_sends_it() -> None:
    url = "http://lilas.example:8001/actors/alice/inbox"
    values = {**post_values(), "host": "lilas.example"}
    headers = as_headers(values, custom_cavage(list(values), values))
    assert verify(headers, url=url) == Verified(KEY_ID, "cavage")
    values["host"] = "lilas.example:8002"
    headers = as_headers(values, custom_cavage(list(values), values))
    assert verify(headers, url=url) == Rejected("The Host header does not match the request URL.")


def test_host_header_for_another_server_is_rejected() -> None:
    values = {**post_values(), "host": "quartier.example"}
    outcome = verify(as_headers(values, custom_cavage(list(values), values)))
    assert outcome == Rejected("The Host header does not match the request URL.")


@pytest.mark.parametrize(
    "signature",
    [
        "",
        'keyId="x"',
        'signature="AAAA"',
        f'keyId="{KEY_ID}",keyId="other",headers="host",signature="AAAA"',
        f'keyId="{KEY_ID}",headers="host",signature="not base64!"',
        f'keyId="{KEY_ID}",headers="host host",signature="AAAA"',
        f'keyId="{KEY_ID}",headers="x-missing",signature="AAAA"',
        f'keyId="{KEY_ID}",created=yesterday,signature="AAAA"',
        'keyId="unterminated',
    ],
)
def test_malformed_signature_headers_are_rejected(signature: str) -> None:
    headers = {**as_headers(post_values(), ""), "Signature": signature}
    assert isinstance(parse_signature("POST", URL, headers), Rejected)


def test_unsigned_request_is_rejected() -> None:
    assert verify({"Host": "lilas.example"}) == Rejected("The request is not signed.")


@settings(max_examples=200)
@given(st.text(max_size=300), st.text(max_size=60))
def test_parser_never_raises_on_arbitrary_headers(signature: str, host: str) -> None:
    headers = {"Signature": signature, "Host": host, "Date": DATE}
    assert isinstance(parse_signature("POST", URL, headers), ParsedSignature | Rejected)


def test_non_absolute_urls_are_rejected() -> None:
    headers = signed_post()
    for url in ("/actors/alice/inbox", "ftp://lilas.example/x", "https://lilas.example:99999/"):
        assert isinstance(verify(headers, url=url), Rejected)


def test_unsupported_key_types_are_rejected_not_raised() -> None:
    ec_public = ec.generate_private_key(ec.SECP256R1()).public_key()
    outcome = verify_request("POST", URL, signed_post(), BODY, ec_public, NOW)  # type: ignore[arg-type]
    assert outcome == Rejected("Only RSA and Ed25519 keys are supported.")


def test_key_id_owner_hint_drops_the_fragment() -> None:
    assert key_id_owner_hint(KEY_ID) == "https://quartier.example/actors/bob"
    assert key_id_owner_hint("https://q.example/actors/bob") == "https://q.example/actors/bob"
