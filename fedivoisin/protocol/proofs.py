"""FEP-8b32 Object Integrity Proofs with the `eddsa-jcs-2022` cryptosuite.

Why: a proof travels with the object, so a forwarded or relayed activity can be checked
without trusting the server that delivered it. Algorithm (W3C vc-di-eddsa §3.3):
    hash = SHA-256(JCS(proof config without proofValue)) || SHA-256(JCS(document without proof))
    proofValue = 'z' + base58btc(Ed25519-sign(hash))
JCS is the JSON Canonicalization Scheme, RFC 8785, implemented below for plain JSON values.

Peers disagree on whether the document's `@context` joins the proof configuration: the
FEP-8b32 test vector and Mitra leave it out, Fedify hashes it in without emitting it, and
vc-di-eddsa copies it into the emitted proof. `create_proof` follows vc-di-eddsa by
default (every one of those verifiers accepts that form); `verify_proof` tries the proof as
written first, then the Fedify form.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from .keys import PublicKey, base58btc_encode, multibase_decode
from .signatures_common import Rejected

CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_TYPE = "DataIntegrityProof"
_MAX_SAFE_INT = 2**53


@dataclass(frozen=True, slots=True)
class ProofVerified:
    """The proof is valid for the given key; binding `verification_method` to the object's
    `actor`/`attributedTo` (same controller) is the caller's job."""

    verification_method: str
    created: str | None


def canonicalize(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical UTF-8 bytes of a JSON value.

    Object members sorted by UTF-16 code units, no whitespace, ECMAScript number
    serialisation, and JSON string escaping limited to `"`, `\\` and control characters.
    """
    return "".join(_jcs(value)).encode("utf-8")


def create_proof(
    document: Mapping[str, Any],
    private_key: ed25519.Ed25519PrivateKey,
    verification_method: str,
    created: str,
    *,
    include_context: bool = True,
) -> dict[str, Any]:
    """Return a copy of `document` with an `eddsa-jcs-2022` `proof` member added.

    `include_context=False` produces the FEP-8b32/Mitra form (no `@context` in the proof).
    """
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
        "created": created,
    }
    if include_context and "@context" in unsecured:
        proof["@context"] = unsecured["@context"]
    signature = private_key.sign(_hash_data(proof, unsecured))
    proof["proofValue"] = "z" + base58btc_encode(signature)
    return {**unsecured, "proof": proof}


def verify_proof(document: Mapping[str, Any], public_key: PublicKey) -> ProofVerified | Rejected:
    """Check the document's single `eddsa-jcs-2022` proof against `public_key`."""
    if not isinstance(public_key, ed25519.Ed25519PublicKey):
        return Rejected("An eddsa-jcs-2022 proof needs an Ed25519 key.")
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if not isinstance(proof, dict):
        return Rejected("The document must carry exactly one proof object.")
    problem = _check_proof_fields(proof)
    if problem is not None:
        return problem
    signature = _decode_proof_value(proof["proofValue"])
    if signature is None:
        return Rejected("The proofValue is not a base58btc Ed25519 signature.")
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in config and not _context_starts_with(
        document.get("@context"), config["@context"]
    ):
        return Rejected("The proof @context does not match the document.")
    try:
        for candidate_config, unsecured in _candidates(document, config):
            if _ed25519_ok(public_key, signature, _hash_data(candidate_config, unsecured)):
                return ProofVerified(proof["verificationMethod"], proof.get("created"))
    except ValueError:
        return Rejected("The document is not canonicalisable JSON.")
    return Rejected("The proof signature is not valid for this key.")


def _check_proof_fields(proof: Mapping[str, Any]) -> Rejected | None:
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return Rejected("Only DataIntegrityProof with eddsa-jcs-2022 is supported.")
    if proof.get("proofPurpose") != "assertionMethod":
        return Rejected("The proof purpose must be assertionMethod.")
    if not isinstance(proof.get("verificationMethod"), str):
        return Rejected("The proof must name its verificationMethod.")
    if not isinstance(proof.get("proofValue"), str):
        return Rejected("The proof must carry a proofValue.")
    if "created" in proof and not isinstance(proof["created"], str):
        return Rejected("The proof created time must be a string.")
    return None


def _candidates(
    document: Mapping[str, Any], config: dict[str, Any]
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Proof configs and unsecured documents to try, most standard first.

    An LD signature (`signature`) added after the proof is removed, as FEP-8b32 says;
    if that fails the document is also tried with it, for signers that proved it.
    """
    without_proof = {k: v for k, v in document.items() if k != "proof"}
    if "@context" in config:
        without_proof["@context"] = config["@context"]
    documents = [{k: v for k, v in without_proof.items() if k != "signature"}]
    if "signature" in without_proof:
        documents.append(without_proof)
    configs = [config]
    if "@context" not in config and "@context" in document:
        configs.append({**config, "@context": document["@context"]})  # Fedify
    for candidate in configs:
        for unsecured in documents:
            yield candidate, unsecured


def _context_starts_with(document_context: Any, proof_context: Any) -> bool:
    """vc-di-eddsa: the document's @context must begin with the proof's @context."""
    doc = document_context if isinstance(document_context, list) else [document_context]
    mine = proof_context if isinstance(proof_context, list) else [proof_context]
    return doc[: len(mine)] == mine


def _hash_data(config: Mapping[str, Any], unsecured: Mapping[str, Any]) -> bytes:
    return (
        hashlib.sha256(canonicalize(config)).digest()
        + hashlib.sha256(canonicalize(unsecured)).digest()
    )


def _decode_proof_value(value: str) -> bytes | None:
    try:
        signature = multibase_decode(value)
    except ValueError:
        return None
    return signature if len(signature) == 64 else None


def _ed25519_ok(key: ed25519.Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def _jcs(value: Any) -> Iterator[str]:
    if value is None:
        yield "null"
    elif value is True:
        yield "true"
    elif value is False:
        yield "false"
    elif isinstance(value, str):
        yield _jcs_string(value)
    elif isinstance(value, int | float):
        yield _jcs_number(value)
    elif isinstance(value, list | tuple):
        yield "["
        for i, item in enumerate(value):
            if i:
                yield ","
            yield from _jcs(item)
        yield "]"
    elif isinstance(value, Mapping):
        yield "{"
        for i, key in enumerate(sorted(value, key=_utf16_key)):
            if i:
                yield ","
            yield _jcs_string(key)
            yield ":"
            yield from _jcs(value[key])
        yield "}"
    else:
        raise ValueError(f"not a JSON value: {type(value).__name__}")


def _utf16_key(key: object) -> bytes:
    if not isinstance(key, str):
        raise ValueError("JSON object keys must be strings")
    return key.encode("utf-16-be", "surrogatepass")


def _jcs_string(text: str) -> str:
    """JSON string escaping identical to ECMAScript JSON.stringify for valid Unicode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("strings must be valid Unicode (no lone surrogates)") from error
    return json.dumps(text, ensure_ascii=False)


def _jcs_number(number: float) -> str:
    """ECMAScript Number::toString (RFC 8785 §3.2.2.3) of an IEEE 754 double."""
    if isinstance(number, int) and abs(number) < _MAX_SAFE_INT:
        return str(number)
    value = float(number)  # big ints: JSON numbers are doubles
    if not math.isfinite(value):
        raise ValueError("NaN and Infinity are not JSON numbers")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, exponent = _shortest_digits(abs(value))
    k, n = len(digits), exponent  # value = 0.digits * 10**n
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * -n + digits
    else:
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        e = n - 1
        body = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + body


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits (Python's repr, as ECMAScript) and exponent n,
    such that value == 0.d1d2…dk × 10**n."""
    mantissa, _, exp = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    leading_zeros = len(whole + fraction) - len(digits)
    n = len(whole) + int(exp or 0) - leading_zeros
    return digits.rstrip("0") or "0", n
