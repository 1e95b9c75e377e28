"""An INDEPENDENT draft-cavage HTTP signer, written only with `cryptography`, `hashlib`,
`base64` and `email.utils`.

Why: if the tests signed with fedivoisin's own code, a bug shared by signer and verifier
(a wrong signing string, a missing header) would pass unnoticed. This is what a Mastodon
peer sends: `(request-target) host date digest` signed with RSA-SHA256 (PKCS#1 v1.5).
Every field can be overridden so a test can build exactly the forgery it wants.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import time
from collections.abc import Sequence
from functools import cache

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

AS2 = "application/activity+json"
DEFAULT_COVERED = ("(request-target)", "host", "date", "digest")
GET_COVERED = ("(request-target)", "host", "date")


@cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """One RSA-2048 key per name for the whole session (generation costs ~50 ms)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def digest_of(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def http_date(moment: float) -> str:
    return email.utils.formatdate(moment, usegmt=True)


def sign(
    method: str,
    host: str,
    target: str,
    body: bytes | None,
    *,
    key_id: str,
    key: rsa.RSAPrivateKey,
    now: float | None = None,
    covered: Sequence[str] | None = None,
    overrides: dict[str, str] | None = None,
    algorithm: str = "rsa-sha256",
    send_headers_param: bool = True,
) -> dict[str, str]:
    """Headers for a signed request to `host` + `target` (path and query).

    `overrides` replaces header values AFTER the defaults are computed and BEFORE signing,
    so the signature covers them (e.g. an old Date). Tamper with the returned dict to send
    something other than what was signed.
    """
    moment = time.time() if now is None else now
    if covered is None:
        covered = DEFAULT_COVERED if body is not None else GET_COVERED
    values: dict[str, str] = {"host": host, "date": http_date(moment)}
    if body is not None:
        values["digest"] = digest_of(body)
        values["content-type"] = AS2
    for name, value in (overrides or {}).items():
        values[name.lower()] = value
    lines = []
    for name in covered:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        else:
            lines.append(f"{name}: {values[name]}")
    signed = key.sign("\n".join(lines).encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    params = [f'keyId="{key_id}"', f'algorithm="{algorithm}"']
    if send_headers_param:
        params.append(f'headers="{" ".join(covered)}"')
    params.append(f'signature="{base64.b64encode(signed).decode("ascii")}"')
    headers = {name.title(): value for name, value in values.items()}
    headers["Signature"] = ",".join(params)
    return headers
