"""Key generation, PEM round trips, Mastodon key blocks and FEP-521a Multikeys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import given
from hypothesis import strategies as st

from fedivoisin.protocol import keys

FIXTURES = Path("/work/shared/fixtures")
VECTORS = Path(__file__).parent / "vectors"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return keys.generate_rsa_key()


def test_generated_rsa_key_is_2048_bits_with_exponent_65537(rsa_key: rsa.RSAPrivateKey) -> None:
    assert rsa_key.key_size == 2048
    assert rsa_key.public_key().public_numbers().e == 65537


def test_private_pem_is_unencrypted_pkcs8_and_round_trips(rsa_key: rsa.RSAPrivateKey) -> None:
    for key in (rsa_key, keys.generate_ed25519_key()):
        pem = keys.private_key_pem(key)
        assert pem.startswith("-----BEGIN PRIVATE KEY-----\n")
        assert keys.private_key_pem(keys.load_private_key_pem(pem)) == pem


def test_public_pem_is_subject_public_key_info_and_round_trips(rsa_key: rsa.RSAPrivateKey) -> None:
    pem = keys.public_key_pem(rsa_key.public_key())
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert keys.public_key_pem(rsa_key) == pem  # a private key gives its public half
    assert keys.public_key_pem(keys.load_public_key_pem(pem)) == pem


def test_pkcs1_rsa_public_key_pem_loads() -> None:
    vectors = json.loads((VECTORS / "rfc9421_appendix_b.json").read_text())
    pem = vectors["keys"]["test-key-rsa"]["public_pem"]
    assert pem.startswith("-----BEGIN RSA PUBLIC KEY-----")
    assert isinstance(keys.load_public_key_pem(pem), rsa.RSAPublicKey)


def test_other_key_types_are_refused() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    private = ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = ec_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ValueError):
        keys.load_private_key_pem(private)
    with pytest.raises(ValueError):
        keys.load_public_key_pem(public)
    with pytest.raises(ValueError):
        keys.load_public_key_pem("not a key")


def test_public_key_block_has_mastodon_shape() -> None:
    actor = "https://lilas.example/actors/alice"
    assert keys.public_key_block(actor, "PEM") == {
        "id": "https://lilas.example/actors/alice#main-key",
        "owner": actor,
        "publicKeyPem": "PEM",
    }


@pytest.mark.parametrize(
    ("hex_data", "encoded"),
    [  # Bitcoin Core src/test/data/base58_encode_decode.json
        ("", ""),
        ("61", "2g"),
        ("626262", "a3gV"),
        ("636363", "aPEr"),
        ("73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"),
        (
            "00eb15231dfceb60925886b67d065299925915aeb172c06647",
            "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L",
        ),
        ("516b6fcd0f", "ABnLTmg"),
        ("bf4f89001e670274dd", "3SEo3LWLoPntC"),
        ("572e4794", "3EFU7m"),
        ("ecac89cad93923c02321", "EJDM8drfXA6uyA"),
        ("10c8511e", "Rt5zm"),
        ("00000000000000000000", "1111111111"),
    ],
)
def test_base58btc_matches_bitcoin_vectors(hex_data: str, encoded: str) -> None:
    assert keys.base58btc_encode(bytes.fromhex(hex_data)) == encoded
    assert keys.base58btc_decode(encoded) == bytes.fromhex(hex_data)


@given(st.binary(max_size=80))
def test_base58btc_round_trips_any_bytes_including_leading_zeros(data: bytes) -> None:
    assert keys.base58btc_decode(keys.base58btc_encode(data)) == data


def test_base58btc_rejects_characters_outside_the_alphabet() -> None:
    for bad in ("0", "O", "I", "l", "+"):
        with pytest.raises(ValueError):
            keys.base58btc_decode("z2" + bad)


def test_ed25519_multikey_matches_the_published_key_pair() -> None:
    """W3C vc-di-eddsa TestVectors/keyPair.json (also the FEP-8b32 key)."""
    pair = json.loads((VECTORS / "eddsa_jcs_2022.json").read_text())["w3c"]["key_pair"]
    private = keys.ed25519_private_key_from_multibase(pair["privateKeyMultibase"])
    assert keys.multikey_encode(private.public_key()) == pair["publicKeyMultibase"]
    assert pair["publicKeyMultibase"].startswith("z6Mk")
    decoded = keys.multikey_decode(pair["publicKeyMultibase"])
    assert isinstance(decoded, ed25519.Ed25519PublicKey)
    assert keys.multikey_encode(decoded) == pair["publicKeyMultibase"]


def test_mitra_actor_multikeys_decode_to_its_published_keys() -> None:
    """mitra/person-multikey.json lists an RSA and an Ed25519 Multikey next to its PEM."""
    actor = json.loads((FIXTURES / "mitra" / "person-multikey.json").read_text())
    rsa_multikey, ed_multikey = (m["publicKeyMultibase"] for m in actor["assertionMethod"])
    rsa_public = keys.multikey_decode(rsa_multikey)
    assert isinstance(rsa_public, rsa.RSAPublicKey)
    assert keys.public_key_pem(rsa_public) == actor["publicKey"]["publicKeyPem"]
    assert keys.multikey_encode(rsa_public) == rsa_multikey
    assert keys.multikey_encode(keys.multikey_decode(ed_multikey)) == ed_multikey


def test_multikey_round_trips_generated_keys(rsa_key: rsa.RSAPrivateKey) -> None:
    ed_public = keys.generate_ed25519_key().public_key()
    assert keys.multikey_encode(ed_public).startswith("z6Mk")
    for public in (ed_public, rsa_key.public_key()):
        decoded = keys.multikey_decode(keys.multikey_encode(public))
        assert keys.public_key_pem(decoded) == keys.public_key_pem(public)


def test_multikey_decode_rejects_other_bases_codecs_and_lengths() -> None:
    ed_raw = bytes(range(32))
    with pytest.raises(ValueError):
        keys.multikey_decode("f" + (keys.ED25519_PUB_PREFIX + ed_raw).hex())  # base16
    with pytest.raises(ValueError):  # secp256k1-pub 0xe7
        keys.multikey_decode("z" + keys.base58btc_encode(b"\xe7\x01" + b"\x02" + ed_raw))
    with pytest.raises(ValueError):  # truncated Ed25519 key
        keys.multikey_decode("z" + keys.base58btc_encode(keys.ED25519_PUB_PREFIX + ed_raw[:31]))
    with pytest.raises(ValueError):
        keys.multikey_decode("z" + keys.base58btc_encode(keys.RSA_PUB_PREFIX + b"\x30\x00"))


def test_multikey_block_has_fep_521a_shape() -> None:
    actor = "https://lilas.example/actors/alice"
    public = keys.generate_ed25519_key().public_key()
    assert keys.multikey_block(actor, public) == {
        "id": actor + "#ed25519-key",
        "type": "Multikey",
        "controller": actor,
        "publicKeyMultibase": keys.multikey_encode(public),
    }
