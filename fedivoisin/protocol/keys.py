"""Key material: generation, PEM, Mastodon `publicKey` blocks and FEP-521a Multikeys.

Why here: every layer that signs or verifies needs the same small set of conversions, and
keeping them pure (no storage, no I/O) lets tests pin them with fixed keys. RSA-2048 stays
the interoperable default for HTTP signatures; Ed25519 backs FEP-8b32 object proofs.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey

# Multicodec prefixes (unsigned varints) from the multiformats table used by FEP-521a.
ED25519_PUB_PREFIX = b"\xed\x01"  # ed25519-pub 0xed: raw 32-byte key
RSA_PUB_PREFIX = b"\x85\x24"  # rsa-pub 0x1205: DER PKCS#1 RSAPublicKey
ED25519_PRIV_PREFIX = b"\x80\x26"  # ed25519-priv 0x1300: raw 32-byte seed

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}


def generate_rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    """A fresh RSA key (public exponent 65537), the fediverse's common denominator."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def generate_ed25519_key() -> ed25519.Ed25519PrivateKey:
    """A fresh Ed25519 key, for object integrity proofs and RFC 9421 `ed25519`."""
    return ed25519.Ed25519PrivateKey.generate()


def private_key_pem(key: PrivateKey) -> str:
    """Unencrypted PKCS#8 PEM; protecting it at rest is the store's job."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_key_pem(key: PublicKey | PrivateKey) -> str:
    """SubjectPublicKeyInfo PEM, the form Mastodon publishes as `publicKeyPem`."""
    pub = (
        key.public_key() if isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) else key
    )
    return pub.public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo,
    ).decode("ascii")


def load_private_key_pem(pem: str | bytes) -> PrivateKey:
    """Load an unencrypted PEM private key (PKCS#8 or PKCS#1); only RSA and Ed25519.

    Only our own keys are loaded (generated here, read from our database), so RSA's
    consistency check is skipped: it costs ~60 ms per key, paid by every worker process
    before the first delivery of each sender."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    key = serialization.load_pem_private_key(
        data, password=None, unsafe_skip_rsa_key_validation=True
    )
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise ValueError("only RSA and Ed25519 private keys are supported")
    return key


def load_public_key_pem(pem: str | bytes) -> PublicKey:
    """Load a PEM public key (SPKI, or PKCS#1 `RSA PUBLIC KEY`); only RSA and Ed25519."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise ValueError("only RSA and Ed25519 public keys are supported")
    return key


def public_key_block(actor_id: str, pem: str) -> dict[str, str]:
    """The Mastodon-style `publicKey` member of an actor document."""
    return {"id": actor_id + "#main-key", "owner": actor_id, "publicKeyPem": pem}


def base58btc_encode(data: bytes) -> str:
    """Bitcoin base58 (each leading zero byte becomes '1'), as used by multibase 'z'."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    out: list[str] = []
    while n:
        n, rem = divmod(n, 58)
        out.append(_B58_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(out))


def base58btc_decode(text: str) -> bytes:
    """Inverse of `base58btc_encode`; raises ValueError on characters outside the alphabet."""
    n = 0
    for char in text:
        digit = _B58_INDEX.get(char)
        if digit is None:
            raise ValueError("invalid base58btc character")
        n = n * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def multibase_decode(value: str) -> bytes:
    """Decode a base58btc multibase string ('z' prefix), the only base FEP-521a uses."""
    if not value.startswith("z"):
        raise ValueError("only base58btc ('z') multibase values are supported")
    return base58btc_decode(value[1:])


def multikey_encode(public_key: PublicKey) -> str:
    """FEP-521a `publicKeyMultibase`: 'z' + base58btc(multicodec prefix + key bytes)."""
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return "z" + base58btc_encode(ED25519_PUB_PREFIX + raw)
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return "z" + base58btc_encode(RSA_PUB_PREFIX + der)


def multikey_decode(value: str) -> PublicKey:
    """Parse a Multikey (Ed25519 or RSA); raises ValueError for anything else."""
    data = multibase_decode(value)
    if data[:2] == ED25519_PUB_PREFIX:
        if len(data) != 34:
            raise ValueError("an Ed25519 multikey holds exactly 32 key bytes")
        return ed25519.Ed25519PublicKey.from_public_bytes(data[2:])
    if data[:2] == RSA_PUB_PREFIX:
        key = serialization.load_der_public_key(data[2:])  # PKCS#1 DER
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError("the RSA multikey does not hold an RSA key")
        return key
    raise ValueError("unsupported multikey type (only Ed25519 and RSA)")


def ed25519_private_key_from_multibase(value: str) -> ed25519.Ed25519PrivateKey:
    """Read an `ed25519-priv` multibase secret (the form test vectors publish keys in)."""
    data = multibase_decode(value)
    if data[:2] != ED25519_PRIV_PREFIX or len(data) != 34:
        raise ValueError("not an ed25519-priv multibase key")
    return ed25519.Ed25519PrivateKey.from_private_bytes(data[2:])


def multikey_block(actor_id: str, public_key: PublicKey) -> dict[str, Any]:
    """The FEP-521a verification method an actor lists under `assertionMethod`."""
    return {
        "id": actor_id + "#ed25519-key",
        "type": "Multikey",
        "controller": actor_id,
        "publicKeyMultibase": multikey_encode(public_key),
    }
