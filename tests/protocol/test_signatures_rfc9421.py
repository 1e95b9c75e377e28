"""RFC 9421 HTTP Message Signatures: Appendix B vectors, round trips, every tampering."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedivoisin.protocol import keys
from fedivoisin.protocol.signatures import (
    ParsedSignature,
    Rejected,
    Verified,
    parse_signature,
    sign_rfc9421,
    verify_parsed,
    verify_request,
)
from fedivoisin.protocol.signatures_common import verify_bytes
from fedivoisin.protocol.signatures_rfc9421 import check_rfc9421_digest, parse_rfc9421_all

VECTORS = json.loads((Path(__file__).parent / "vectors" / "rfc9421_appendix_b.json").read_text())
REQUEST = VECTORS["request"]
VECTOR_TIME = 1618884473
NOW = 1_700_000_000.0
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


def vector_headers(case: str) -> dict[str, str]:
    vector = VECTORS["cases"][case]
    return {
        **REQUEST["headers"],
        "Signature-Input": vector["Signature-Input"],
        "Signature": vector["Signature"],
    }


def vector_parsed(case: str) -> ParsedSignature:
    parsed = parse_rfc9421_all(REQUEST["method"], REQUEST["url"], vector_headers(case))
    [only] = parsed.values()
    assert isinstance(only, ParsedSignature), only
    return only


def signed_post(key: keys.PrivateKey = RSA_KEY, body: bytes = BODY) -> dict[str, str]:
    headers = {"Content-Type": CT}
    added = sign_rfc9421("POST", URL, headers, body, key_id=KEY_ID, private_key=key, now=NOW)
    return {**headers, **added}


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


def independent_rfc9421(
    components: list[tuple[str, str]],
    params: str,
    *,
    key: keys.PrivateKey = RSA_KEY,
    label: str = "sig1",
    pss: bool = False,
) -> dict[str, str]:
    """Sign a hand-written RFC 9421 base (as Fedify's createRfc9421SignatureBase does).

    `components` pairs a component name with its value; `params` is the text after the
    inner list, e.g. `;alg="rsa-v1_5-sha256";keyid="…";created=1`.
    """
    names = " ".join(f'"{name}"' for name, _ in components)
    lines = [f'"{name}": {value}' for name, value in components]
    lines.append(f'"@signature-params": ({names}){params}')
    base = "\n".join(lines).encode()
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.sign(base)
    elif pss:
        raw = key.sign(base, padding.PSS(padding.MGF1(hashes.SHA512()), 64), hashes.SHA512())
    else:
        raw = key.sign(base, padding.PKCS1v15(), hashes.SHA256())
    return {
        "Signature-Input": f"{label}=({names}){params}",
        "Signature": f"{label}=:{base64.b64encode(raw).decode()}:",
    }


def content_digest(body: bytes = BODY) -> str:
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


def fedify_style(
    body: bytes = BODY,
    *,
    params: str | None = None,
    key: keys.PrivateKey = RSA_KEY,
    pss: bool = False,
) -> dict[str, str]:
    """The component set and parameter order Fedify 1.6+ sends (INTEROP.md)."""
    headers = {
        "Host": "lilas.example",
        "Date": DATE,
        "Content-Type": CT,
        "Content-Digest": content_digest(body),
    }
    components = [
        ("@method", "POST"),
        ("@target-uri", URL),
        ("@authority", "lilas.example"),
        ("host", "lilas.example"),
        ("date", DATE),
        ("content-digest", headers["Content-Digest"]),
    ]
    if params is None:
        params = f';alg="rsa-v1_5-sha256";keyid="{KEY_ID}";created={int(NOW)}'
    return {**headers, **independent_rfc9421(components, params, key=key, pss=pss)}


# --- RFC 9421 Appendix B ----------------------------------------------------------------


@pytest.mark.parametrize("case", ["B.2.1", "B.2.2", "B.2.3", "B.2.6"])
def test_appendix_b_signature_bases_are_rebuilt_exactly(case: str) -> None:
    parsed = vector_parsed(case)
    assert parsed.signing_base.decode() == VECTORS["cases"][case]["signature_base"]
    assert parsed.created == VECTOR_TIME


@pytest.mark.parametrize("case", ["B.2.1", "B.2.2", "B.2.3", "B.2.6"])
def test_appendix_b_signatures_verify_with_the_published_keys(case: str) -> None:
    parsed = vector_parsed(case)
    public = keys.load_public_key_pem(VECTORS["keys"][VECTORS["cases"][case]["key"]]["public_pem"])
    how = "ed25519" if case == "B.2.6" else "rsa-any"  # no alg parameter: the key decides
    assert verify_bytes(how, public, parsed.signature, (parsed.signing_base,)) is None
    assert (
        verify_bytes(
            "rsa-pss-sha512" if case != "B.2.6" else "ed25519",
            public,
            parsed.signature,
            (parsed.signing_base + b" ",),
        )
        is not None
    )


def test_appendix_b_2_3_full_coverage_passes_the_whole_verifier() -> None:
    public = keys.load_public_key_pem(VECTORS["keys"]["test-key-rsa-pss"]["public_pem"])
    outcome = verify_request(
        REQUEST["method"],
        REQUEST["url"],
        vector_headers("B.2.3"),
        REQUEST["body"].encode(),
        public,
        VECTOR_TIME,
    )
    assert outcome == Verified("test-key-rsa-pss", "rfc9421")


def test_appendix_b_2_6_ed25519_signature_is_reproduced_by_signing_the_base() -> None:
    parsed = vector_parsed("B.2.6")
    expected = base64.b64decode(VECTORS["cases"]["B.2.6"]["Signature"].split(":")[1])
    assert ED_KEY.sign(parsed.signing_base) == expected  # Ed25519 is deterministic


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("B.2.1", "The signature must cover @method."),
        ("B.2.2", "The signature must cover @method."),
        ("B.2.6", "The signature must cover @target-uri (or @authority and @path)."),
    ],
)
def test_weak_appendix_b_signatures_fail_our_strength_rules(case: str, reason: str) -> None:
    assert parse_signature(REQUEST["method"], REQUEST["url"], vector_headers(case)) == Rejected(
        reason
    )


def test_appendix_b_content_digest_sha512_matches_the_test_request_body() -> None:
    body = REQUEST["body"].encode()
    assert check_rfc9421_digest(REQUEST["headers"]["Content-Digest"], body) is None
    assert check_rfc9421_digest(REQUEST["headers"]["Content-Digest"], body + b"\n") is not None


# --- signing output and round trips -----------------------------------------------------


def test_signer_output_shape() -> None:
    added = sign_rfc9421(
        "POST", URL, {"Content-Type": CT}, BODY, key_id=KEY_ID, private_key=RSA_KEY, now=NOW
    )
    assert set(added) == {"Content-Digest", "Signature-Input", "Signature"}
    assert added["Content-Digest"] == content_digest()
    assert added["Signature-Input"] == (
        'sig1=("@method" "@target-uri" "@authority" "content-digest" "content-type")'
        f';created={int(NOW)};keyid="{KEY_ID}";alg="rsa-v1_5-sha256"'
    )
    assert added["Signature"].startswith("sig1=:") and added["Signature"].endswith(":")


def test_authority_is_lower_case_and_omits_the_default_port() -> None:
    url = "https://Lilas.Example:443/actors/alice/inbox"
    parsed = parse_signature("POST", url, signed_post_for(url))
    assert isinstance(parsed, ParsedSignature)
    assert b'\n"@authority": lilas.example\n' in parsed.signing_base
    assert f'"@target-uri": {url}\n'.encode() in parsed.signing_base


def signed_post_for(url: str) -> dict[str, str]:
    return sign_rfc9421("POST", url, {}, BODY, key_id=KEY_ID, private_key=ED_KEY, now=NOW)


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
    url = f"http://{host}/" + "/".join(segments) + (f"?{query}" if query is not None else "")
    given_headers = {k: v for k, v in (("Content-Type", content_type), ("Accept", accept)) if v}
    key = ED_KEY if use_ed25519 else RSA_KEY
    if body is None and method in ("POST", "PUT", "PATCH"):
        body = b""
    added = sign_rfc9421(method, url, given_headers, body, key_id=KEY_ID, private_key=key, now=NOW)
    headers = {**given_headers, **added}
    outcome = verify_request(method, url, headers, body, key.public_key(), NOW + delay)
    assert outcome == Verified(KEY_ID, "rfc9421")
    if body:
        flipped = bytes([body[0] ^ 1]) + body[1:]
        assert isinstance(
            verify_request(method, url, headers, flipped, key.public_key(), NOW), Rejected
        )


def test_fedify_style_request_verifies() -> None:
    assert verify(fedify_style()) == Verified(KEY_ID, "rfc9421")


def test_absent_alg_is_inferred_from_the_key() -> None:
    params = f';keyid="{KEY_ID}";created={int(NOW)}'
    assert verify(fedify_style(params=params)) == Verified(KEY_ID, "rfc9421")
    assert verify(fedify_style(params=params, pss=True)) == Verified(KEY_ID, "rfc9421")
    ed = fedify_style(params=params, key=ED_KEY)
    assert verify(ed, key=ED_KEY.public_key()) == Verified(KEY_ID, "rfc9421")


def test_rsa_pss_sha512_verifies() -> None:
    params = f';alg="rsa-pss-sha512";keyid="{KEY_ID}";created={int(NOW)}'
    assert verify(fedify_style(params=params, pss=True)) == Verified(KEY_ID, "rfc9421")


def test_authority_and_path_may_replace_target_uri_without_a_query() -> None:
    headers = {"Content-Digest": content_digest()}
    components = [
        ("@method", "POST"),
        ("@authority", "lilas.example"),
        ("@path", "/actors/alice/inbox"),
        ("content-digest", headers["Content-Digest"]),
    ]
    params = f';created={int(NOW)};keyid="{KEY_ID}"'
    headers |= independent_rfc9421(components, params)
    assert verify(headers) == Verified(KEY_ID, "rfc9421")
    # With a query, the query must be covered too.
    assert isinstance(verify(headers, url=URL + "?x=1"), Rejected)


def test_first_acceptable_signature_is_used() -> None:
    weak = independent_rfc9421(
        [("@authority", "lilas.example")], f';created={int(NOW)};keyid="weak"', label="a"
    )
    strong = fedify_style()
    headers = {
        **strong,
        "Signature-Input": f"{weak['Signature-Input']}, {strong['Signature-Input']}",
        "Signature": f"{weak['Signature']}, {strong['Signature']}",
    }
    parsed = parse_signature("POST", URL, headers)
    assert isinstance(parsed, ParsedSignature)
    assert (parsed.label, parsed.key_id) == ("sig1", KEY_ID)
    assert verify(headers) == Verified(KEY_ID, "rfc9421")


def test_signature_input_takes_precedence_over_a_cavage_signature() -> None:
    """A request with Signature-Input is RFC 9421; its Signature is not read as cavage."""
    headers = fedify_style()
    headers["Signature"] = 'keyId="x",headers="host",signature="AAAA"'
    assert isinstance(verify(headers), Rejected)


# --- every tampering is rejected --------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Host", "quartier.example"),
        ("Date", "Tue, 14 Nov 2023 22:13:21 GMT"),
        ("Content-Digest", content_digest(b"{}")),
    ],
)
def test_changing_any_covered_header_is_rejected(header: str, value: str) -> None:
    headers = fedify_style()
    headers[header] = value
    assert isinstance(verify(headers, b"{}" if header == "Content-Digest" else BODY), Rejected)


def test_changing_content_type_covered_by_our_signer_is_rejected() -> None:
    headers = signed_post()
    headers["Content-Type"] = "text/plain"
    assert verify(headers) == Rejected("The signature is not valid for this key.")


def test_changing_method_or_target_is_rejected() -> None:
    headers = signed_post()
    assert isinstance(verify(headers, method="PUT"), Rejected)
    assert isinstance(verify(headers, url="https://lilas.example/inbox"), Rejected)
    assert isinstance(verify(headers, url="https://quartier.example/actors/alice/inbox"), Rejected)


def test_changing_the_body_is_rejected() -> None:
    outcome = verify(signed_post(), BODY.replace(b"Follow", b"Delete"))
    assert outcome == Rejected("The Content-Digest header does not match the body.")


def test_swapping_body_and_content_digest_together_is_rejected() -> None:
    other = b'{"type":"Delete"}'
    headers = signed_post()
    headers["Content-Digest"] = content_digest(other)
    assert verify(headers, other) == Rejected("The signature is not valid for this key.")


def test_created_thirteen_hours_old_is_rejected() -> None:
    assert verify(signed_post(), now=NOW + 13 * 3600) == Rejected("The signature is too old.")


def test_created_two_hours_in_the_future_is_rejected() -> None:
    outcome = verify(signed_post(), now=NOW - 2 * 3600)
    assert outcome == Rejected("The signature date is too far in the future.")


def test_expires_is_honoured() -> None:
    params = f';alg="rsa-v1_5-sha256";keyid="{KEY_ID}";created={int(NOW)};expires={int(NOW) + 60}'
    headers = fedify_style(params=params)
    assert verify(headers, now=NOW + 30) == Verified(KEY_ID, "rfc9421")
    assert verify(headers, now=NOW + 60 + 3601) == Rejected("The signature has expired.")


def test_wrong_key_is_rejected(other_rsa_key: rsa.RSAPrivateKey) -> None:
    outcome = verify(signed_post(), key=other_rsa_key.public_key())
    assert outcome == Rejected("The signature is not valid for this key.")


@pytest.mark.parametrize("missing", ["@method", "@target-uri", "content-digest"])
def test_signature_missing_a_required_component_is_rejected(missing: str) -> None:
    components = [("@method", "POST"), ("@target-uri", URL), ("content-digest", content_digest())]
    kept = [pair for pair in components if pair[0] != missing]
    headers = {
        "Content-Digest": content_digest(),
        **independent_rfc9421(kept, f';created={int(NOW)};keyid="{KEY_ID}"'),
    }
    outcome = verify(headers)
    assert isinstance(outcome, Rejected)
    assert "must cover" in outcome.reason


def test_signature_without_created_or_date_is_rejected() -> None:
    components = [("@method", "POST"), ("@target-uri", URL), ("content-digest", content_digest())]
    headers = {
        "Content-Digest": content_digest(),
        **independent_rfc9421(components, f';keyid="{KEY_ID}"'),
    }
    assert verify(headers) == Rejected("The signature must have a created parameter or cover date.")


def test_post_without_content_digest_is_rejected_even_with_empty_body() -> None:
    components = [("@method", "POST"), ("@target-uri", URL)]
    headers = independent_rfc9421(components, f';created={int(NOW)};keyid="{KEY_ID}"')
    outcome = verify(headers, b"")
    assert outcome == Rejected("The signature must cover Content-Digest on requests with a body.")


def test_algorithm_mismatch_is_rejected() -> None:
    ed_claiming_rsa = fedify_style(key=ED_KEY)  # alg="rsa-v1_5-sha256", Ed25519 signature
    outcome = verify(ed_claiming_rsa, key=ED_KEY.public_key())
    assert outcome == Rejected("The signature algorithm does not match the key type.")
    params = f';alg="rsa-pss-sha512";keyid="{KEY_ID}";created={int(NOW)}'
    v15_claiming_pss = fedify_style(params=params)
    assert verify(v15_claiming_pss) == Rejected("The signature is not valid for this key.")
    params = f';alg="ed25519";keyid="{KEY_ID}";created={int(NOW)}'
    assert isinstance(verify(fedify_style(params=params)), Rejected)


@pytest.mark.parametrize("alg", ["hmac-sha256", "ecdsa-p256-sha256", "rsa-sha256"])
def test_unsupported_algorithms_are_rejected(alg: str) -> None:
    params = f';alg="{alg}";keyid="{KEY_ID}";created={int(NOW)}'
    assert verify(fedify_style(params=params)) == Rejected("Unsupported signature algorithm.")


def test_content_digest_variants() -> None:
    sha512 = base64.b64encode(hashlib.sha512(BODY).digest()).decode()
    assert check_rfc9421_digest(f"sha-512=:{sha512}:", BODY) is None
    assert check_rfc9421_digest(f"{content_digest()}, sha-512=:{sha512}:", BODY) is None
    wrong_512 = f"{content_digest()}, sha-512=:{base64.b64encode(bytes(64)).decode()}:"
    for bad in (wrong_512, "md5=:AAAA:", "sha-256=notbytes", "sha-256=:AAA", "", None):
        assert isinstance(check_rfc9421_digest(bad, BODY), Rejected)


def test_verify_parsed_checks_the_signed_values_not_a_second_copy() -> None:
    """A fresh Date (or digest) slipped into the second step must not pass for the signed one."""
    headers = fedify_style()
    parsed = parse_signature("POST", URL, headers)
    assert isinstance(parsed, ParsedSignature)
    assert parsed.header("date") == DATE
    late = NOW + 13 * 3600
    fresh = {**headers, "Date": "Wed, 15 Nov 2023 11:13:20 GMT"}
    outcome = verify_parsed(
        parsed, RSA_KEY.public_key(), method="POST", headers=fresh, body=BODY, now=late
    )
    assert outcome == Rejected(
        "The request headers differ from the ones the signature was parsed from."
    )


@pytest.mark.parametrize(
    ("signature_input", "signature"),
    [
        ("sig1=(", "sig1=:AAAA:"),
        ('sig1=("@method")', "sig1=:AAAA:"),  # no keyid
        ('sig1=("@method");keyid="k";created=1', "other=:AAAA:"),  # label mismatch
        ('sig1=("@method");keyid="k";created=1', 'sig1="AAAA"'),  # not a byte sequence
        ('sig1=("@method");keyid="k";created="1"', "sig1=:AAAA:"),
        ('sig1=("@method" "@method");keyid="k";created=1', "sig1=:AAAA:"),
        ('sig1=("@Method");keyid="k";created=1', "sig1=:AAAA:"),
        ('sig1=("@status");keyid="k";created=1', "sig1=:AAAA:"),
        ('sig1=("@signature-params");keyid="k";created=1', "sig1=:AAAA:"),
        ('sig1=("content-type";sf);keyid="k";created=1', "sig1=:AAAA:"),
        ('sig1=("x-missing");keyid="k";created=1', "sig1=:AAAA:"),
        ('sig1=("@query-param";name="nope");keyid="k";created=1', "sig1=:AAAA:"),
        ("sig1=?1", "sig1=:AAAA:"),
    ],
)
def test_malformed_signatures_are_rejected(signature_input: str, signature: str) -> None:
    headers = {"Signature-Input": signature_input, "Signature": signature, "Content-Type": CT}
    assert isinstance(parse_signature("POST", URL, headers), Rejected)


def test_signature_input_without_signature_is_rejected() -> None:
    headers = {"Signature-Input": fedify_style()["Signature-Input"]}
    assert isinstance(parse_signature("POST", URL, headers), Rejected)


@settings(max_examples=200)
@given(st.text(max_size=200), st.text(max_size=200))
def test_parser_never_raises_on_arbitrary_headers(signature_input: str, signature: str) -> None:
    headers = {"Signature-Input": signature_input, "Signature": signature}
    assert isinstance(parse_signature("POST", URL, headers), ParsedSignature | Rejected)


def test_query_param_component_follows_rfc_9421_encoding() -> None:
    """RFC 9421 §2.2.8 example: values are decoded then percent-encoded (space as %20)."""
    url = (
        "https://www.example.com/parameters?var=this%20is%20a%20big%0Amultiline%20value"
        "&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something"
    )
    headers = {
        "Signature-Input": 'sig1=("@query-param";name="var" "@query-param";name="bar" '
        '"@query-param";name="fa%C3%A7ade%22%3A%20");keyid="k";created=1',
        "Signature": "sig1=:AAAA:",
    }
    [parsed] = parse_rfc9421_all("GET", url, headers).values()
    assert isinstance(parsed, ParsedSignature)
    assert parsed.signing_base.decode().split("\n")[:3] == [
        '"@query-param";name="var": this%20is%20a%20big%0Amultiline%20value',
        '"@query-param";name="bar": with%20plus%20whitespace',
        '"@query-param";name="fa%C3%A7ade%22%3A%20": something',
    ]


def test_verify_parsed_rechecks_the_body_rule() -> None:
    """A GET signature without content-digest cannot carry a body past verify_parsed."""
    components = [("@method", "GET"), ("@target-uri", URL)]
    headers = independent_rfc9421(components, f';created={int(NOW)};keyid="{KEY_ID}"')
    parsed = parse_signature("GET", URL, headers)
    assert isinstance(parsed, ParsedSignature)
    ok = verify_parsed(
        parsed, RSA_KEY.public_key(), method="GET", headers=headers, body=None, now=NOW
    )
    assert ok == Verified(KEY_ID, "rfc9421")
    outcome = verify_parsed(
        parsed, RSA_KEY.public_key(), method="GET", headers=headers, body=BODY, now=NOW
    )
    assert isinstance(outcome, Rejected)
