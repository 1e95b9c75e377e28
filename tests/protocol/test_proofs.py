"""FEP-8b32 / eddsa-jcs-2022 object integrity proofs and RFC 8785 JCS."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedivoisin.protocol import keys
from fedivoisin.protocol.proofs import (
    ProofVerified,
    canonicalize,
    create_proof,
    verify_proof,
)
from fedivoisin.protocol.signatures import Rejected

VECTORS = json.loads((Path(__file__).parent / "vectors" / "eddsa_jcs_2022.json").read_text())
W3C = VECTORS["w3c"]
FEP = VECTORS["fep_8b32"]
FIXTURES = Path("/work/shared/fixtures")
TEST_KEY = keys.ed25519_private_key_from_multibase(FEP["private_key_multibase"])
ACTOR = "https://lilas.example/actors/alice"
CREATED = "2026-01-05T10:00:00Z"


def note() -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            "https://w3id.org/security/data-integrity/v1",
        ],
        "id": "https://lilas.example/objects/1",
        "type": "Create",
        "actor": ACTOR,
        "object": {"type": "Note", "content": "Vide-grenier samedi, cour B", "attributedTo": ACTOR},
    }


# --- RFC 8785 JCS -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ieee754", "expected"),
    [  # RFC 8785 Appendix B
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("ffefffffffffffff", "-1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"),
        ("c340000000000000", "-9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"),
        ("44b52d02c7e14af6", "1e+23"),
        ("44b52d02c7e14af7", "1.0000000000000001e+23"),
        ("444b1ae4d6e2ef4e", "999999999999999700000"),
        ("444b1ae4d6e2ef4f", "999999999999999900000"),
        ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
        ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555553", "333333333.3333332"),
        ("41b3de4355555554", "333333333.33333325"),
        ("41b3de4355555555", "333333333.3333333"),
        ("41b3de4355555556", "333333333.3333334"),
        ("41b3de4355555557", "333333333.33333343"),
        ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ],
)
def test_jcs_numbers_match_rfc_8785_appendix_b(ieee754: str, expected: str) -> None:
    value = struct.unpack(">d", bytes.fromhex(ieee754))[0]
    assert canonicalize(value) == expected.encode()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_jcs_rejects_non_finite_numbers(bad: float) -> None:
    with pytest.raises(ValueError):
        canonicalize({"n": bad})


def test_jcs_integers_and_literals() -> None:
    assert canonicalize([0, -1, 2**53 - 1, 2**53 + 1, True, False, None, 1.0, 100.0]) == (
        b"[0,-1,9007199254740991,9007199254740992,true,false,null,1,100]"
    )


def test_jcs_rfc_8785_section_3_2_2_sample() -> None:
    source = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonicalize(json.loads(source)) == expected.encode("utf-8")


def test_jcs_sorts_keys_by_utf16_code_units() -> None:
    """RFC 8785 §3.2.3: the emoji (a surrogate pair) sorts before U+FB33."""
    source = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys_in_order = list(json.loads(canonicalize(source)))
    assert keys_in_order == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_jcs_rejects_lone_surrogates_and_non_json_values() -> None:
    for bad in ({"s": "\ud800"}, {1: "x"}, {"s": b"bytes"}, {"s": {1, 2}}):
        with pytest.raises(ValueError):
            canonicalize(bad)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(_json)
def test_jcs_output_is_json_that_round_trips_to_the_same_canonical_form(value: Any) -> None:
    text = canonicalize(value)
    assert canonicalize(json.loads(text)) == text


@given(st.dictionaries(st.text(max_size=6), st.integers(), max_size=8))
def test_jcs_ignores_member_order(value: dict[str, int]) -> None:
    reordered = dict(reversed(list(value.items())))
    assert canonicalize(reordered) == canonicalize(value)


# --- published vectors ------------------------------------------------------------------


def test_w3c_vector_intermediate_values() -> None:
    """vc-di-eddsa TestVectors/eddsa-jcs-2022: canonical forms, hashes and signature."""
    assert canonicalize(W3C["unsigned"]).decode() == W3C["canonical_document"]
    assert canonicalize(W3C["proof_options"]).decode() == W3C["canonical_proof_config"]
    doc_hash = hashlib.sha256(W3C["canonical_document"].encode()).hexdigest()
    config_hash = hashlib.sha256(W3C["canonical_proof_config"].encode()).hexdigest()
    assert (doc_hash, config_hash) == (W3C["document_hash_hex"], W3C["proof_config_hash_hex"])
    assert config_hash + doc_hash == W3C["combined_hash_hex"]
    assert TEST_KEY.sign(bytes.fromhex(W3C["combined_hash_hex"])).hex() == W3C["signature_hex"]


def test_w3c_vector_is_reproduced_and_verifies() -> None:
    options = W3C["proof_options"]
    signed = create_proof(
        W3C["unsigned"], TEST_KEY, options["verificationMethod"], options["created"]
    )
    assert signed == W3C["signed"]
    outcome = verify_proof(W3C["signed"], TEST_KEY.public_key())
    assert outcome == ProofVerified(options["verificationMethod"], options["created"])


def test_fep_8b32_vector_is_reproduced_and_verifies() -> None:
    public = keys.multikey_decode(FEP["public_key_multibase"])
    signed = create_proof(
        FEP["document"], TEST_KEY, FEP["verification_method"], FEP["created"], include_context=False
    )
    assert signed == {**FEP["document"], "proof": FEP["proof"]}
    outcome = verify_proof(signed, public)
    assert outcome == ProofVerified(FEP["verification_method"], FEP["created"])


def test_fedify_style_proof_hashing_the_document_context_verifies() -> None:
    """Fedify hashes the document @context into the proof config but omits it on the wire."""
    document = note()
    signed = create_proof(document, TEST_KEY, ACTOR + "#ed25519-key", CREATED)
    assert signed["proof"].pop("@context") == document["@context"]
    assert isinstance(verify_proof(signed, TEST_KEY.public_key()), ProofVerified)


def test_mitra_fixture_proof_is_well_formed_but_its_key_is_not_in_the_fixtures() -> None:
    """mitra/accept-follow-with-proof.json is signed by mitra.social/users/localtestgroup;
    the only Multikey actor fixture is wizard.casa/users/hongminhee, so it cannot verify."""
    accept = json.loads((FIXTURES / "mitra" / "accept-follow-with-proof.json").read_text())
    actor = json.loads((FIXTURES / "mitra" / "person-multikey.json").read_text())
    assert accept["proof"]["verificationMethod"].split("#")[0] == accept["actor"]
    assert accept["actor"] != actor["id"]
    unrelated = keys.multikey_decode(actor["assertionMethod"][1]["publicKeyMultibase"])
    outcome = verify_proof(accept, unrelated)
    assert outcome == Rejected("The proof signature is not valid for this key.")


# --- round trips and tampering ----------------------------------------------------------


def test_created_proof_verifies_and_carries_the_document_context() -> None:
    signed = create_proof(note(), TEST_KEY, ACTOR + "#ed25519-key", CREATED)
    assert signed["proof"]["@context"] == note()["@context"]
    assert {k: v for k, v in signed.items() if k != "proof"} == note()
    assert verify_proof(signed, TEST_KEY.public_key()) == ProofVerified(
        ACTOR + "#ed25519-key", CREATED
    )


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=10).filter(lambda k: k != "proof"), _json, max_size=6
    )
)
def test_any_document_round_trips(extra: dict[str, Any]) -> None:
    document = {**note(), **extra}
    signed = create_proof(document, TEST_KEY, ACTOR + "#ed25519-key", CREATED)
    assert isinstance(
        verify_proof(json.loads(json.dumps(signed)), TEST_KEY.public_key()), ProofVerified
    )


def test_a_later_ld_signature_does_not_break_the_proof() -> None:
    signed = create_proof(note(), TEST_KEY, ACTOR + "#ed25519-key", CREATED)
    signed["signature"] = {"type": "RsaSignature2017", "signatureValue": "…"}
    assert isinstance(verify_proof(signed, TEST_KEY.public_key()), ProofVerified)


def tampered(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    signed = create_proof(note(), TEST_KEY, ACTOR + "#ed25519-key", CREATED)
    target = signed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return signed


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("object", "content"), "Vide-grenier dimanche"),
        (("actor",), "https://evil.example/actors/mallory"),
        (("@context",), ["https://www.w3.org/ns/activitystreams"]),
        (("proof", "created"), "2026-01-05T10:00:01Z"),
        (("proof", "verificationMethod"), "https://evil.example/actors/mallory#ed25519-key"),
        (("proof", "cryptosuite"), "eddsa-rdfc-2022"),
        (("proof", "proofPurpose"), "authentication"),
        (("proof", "type"), "Ed25519Signature2020"),
        (("proof", "proofValue"), "z" + keys.base58btc_encode(bytes(64))),
        (("proof", "proofValue"), "not-multibase"),
        (("proof", "proofValue"), "z3sXax"),
        (("proof", "@context"), ["https://www.w3.org/ns/credentials/v2"]),
        (("proof", "created"), 1767607200),
    ],
)
def test_any_tampering_is_rejected(path: tuple[str, ...], value: Any) -> None:
    assert isinstance(verify_proof(tampered(path, value), TEST_KEY.public_key()), Rejected)


def test_wrong_key_is_rejected() -> None:
    signed = create_proof(note(), TEST_KEY, ACTOR + "#ed25519-key", CREATED)
    outcome = verify_proof(signed, keys.generate_ed25519_key().public_key())
    assert outcome == Rejected("The proof signature is not valid for this key.")
    rsa_public = keys.generate_rsa_key().public_key()
    assert verify_proof(signed, rsa_public) == Rejected(
        "An eddsa-jcs-2022 proof needs an Ed25519 key."
    )


def test_missing_or_multiple_proofs_are_rejected() -> None:
    signed = create_proof(note(), TEST_KEY, ACTOR + "#ed25519-key", CREATED)
    assert isinstance(verify_proof(note(), TEST_KEY.public_key()), Rejected)
    two = {**signed, "proof": [signed["proof"], signed["proof"]]}
    assert isinstance(verify_proof(two, TEST_KEY.public_key()), Rejected)
    one = {**signed, "proof": [signed["proof"]]}
    assert isinstance(verify_proof(one, TEST_KEY.public_key()), ProofVerified)
