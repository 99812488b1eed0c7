"""Algorithm rules (Circular 15/2025/TT-BKHCN Appendix I) as data, read by both sides.

The validation policy (``verifier/policies/*.json``, ``algorithms`` section) is parsed into an
:class:`AlgorithmRules`; the signer's precheck applies the defaults below to its own certificate,
so the two sides cannot drift apart.  Digest names are asn1crypto's (``sha256``, ``sha3_256``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asn1crypto import x509

#: SHA-2, SHA-3 and SHAKE: the only digests a policy may accept (Appendix I lists SHA-256/384/512,
#: SHA-512/224, SHA-512/256, SHA3-* and SHAKE*; ``shake*_len`` is RFC 8419's Ed448 digest).
STRONG_DIGESTS = frozenset(
    {
        "sha256", "sha384", "sha512", "sha512_224", "sha512_256", "sha3_256", "sha3_384",
        "sha3_512", "shake128", "shake256", "shake128_len", "shake256_len",
    }
)  # fmt: skip
#: Signature schemes (verifier.integrity names) and the families their keys belong to.
SIGNATURE_SCHEMES: dict[str, str] = {
    "rsassa_pkcs1v15": "rsa",
    "rsassa_pss": "rsa",
    "ecdsa": "ec",
    "dsa": "dsa",
    "ed25519": "ed25519",
    "ed448": "ed448",
}
#: Circular 15/2025 Appendix I: RSA (PKCS#1 v2.1: v1.5 and RSASSA-PSS) and ECDSA (X9.62).
CIRCULAR_SIGNATURE_SCHEMES = frozenset({"rsassa_pkcs1v15", "rsassa_pss", "ecdsa"})
#: Fixed key sizes of the EdDSA curves (RFC 8032), in bits.
EDDSA_BITS = {"ed25519": 256, "ed448": 456}
#: Weak digests a policy may tolerate at a lower level (government tools still produce SHA-1).
DEPRECATED_DIGESTS = frozenset({"sha1"})
#: Digests forbidden inside certificate chains and revocation data, whatever the policy says
#: (SHA-1 there is judged by the policy's own constraints, not by path validation).
CHAIN_FORBIDDEN_DIGESTS = frozenset({"md2", "md5"})
#: Named curves of at least 256 bits a signer may hold a key on.
ECDSA_CURVES = frozenset(
    {
        "secp256r1",
        "secp384r1",
        "secp521r1",
        "brainpoolp256r1",
        "brainpoolp384r1",
        "brainpoolp512r1",
    }
)
#: Key usages that allow signing documents (RFC 5280 4.2.1.3).
SIGNING_KEY_USAGES = frozenset({"digital_signature", "non_repudiation"})


@dataclass(frozen=True)
class AlgorithmRules:
    """What a policy accepts; the defaults are Appendix I's floor."""

    acceptable_digests: frozenset[str] = STRONG_DIGESTS
    # Judged by the DIGEST_ALGORITHM constraint's level; anything else is refused outright.
    deprecated_digests: frozenset[str] = DEPRECATED_DIGESTS
    rsa_min_bits: int = 2048
    ecdsa_min_bits: int = 256
    # Checked by the signer's precheck (its own key); the verifier judges ECDSA keys by size.
    ecdsa_curves: frozenset[str] = ECDSA_CURVES
    #: Signature schemes the policy accepts (SIGNATURE_ALGORITHM); others are verified but not
    #: accepted (an EdDSA signature is checked, then judged by the policy).
    signature_schemes: frozenset[str] = CIRCULAR_SIGNATURE_SCHEMES
    #: RSASSA-PSS: the smallest salt accepted, in bytes (RFC 8017 9.1 allows 0 to hLen).
    pss_min_salt_bytes: int = 0
    #: Until when a deprecated digest is still accepted for objects with a proof of existence
    #: before it (algorithm expiry, ETSI TS 119 312 style); absent: never.
    deprecated_until: tuple[tuple[str, datetime], ...] = ()

    def expiry(self, digest: str) -> datetime | None:
        """When ``digest`` stopped being acceptable (None: no such date in the policy)."""
        return dict(self.deprecated_until).get(digest)


DEFAULT_RULES = AlgorithmRules()


@dataclass(frozen=True)
class KeyStrength:
    """A certificate's public key against the rules (``minimum`` None: algorithm not allowed)."""

    description: str  # "RSA 2048", "ECDSA secp256r1"
    algorithm: str  # asn1crypto's name: "rsa", "ec", ...
    bits: int
    curve: str  # "" unless EC
    minimum: int | None

    @property
    def long_enough(self) -> bool:
        return self.minimum is not None and self.bits >= self.minimum


def key_strength(cert: x509.Certificate, rules: AlgorithmRules = DEFAULT_RULES) -> KeyStrength:
    """Describe ``cert``'s public key and the minimum size the rules set for its algorithm."""
    pk = cert.public_key
    algo = pk.algorithm
    if algo in EDDSA_BITS:
        # asn1crypto's bit_size raises UnboundLocalError on EdDSA keys; their size is fixed.
        bits = EDDSA_BITS[algo]
        return KeyStrength(algo.capitalize(), algo, bits, algo, bits)
    try:
        bits = int(pk.bit_size)
    except (ValueError, KeyError, TypeError, UnboundLocalError):
        bits = 0
    curve = ""
    if algo == "rsa":
        desc = f"RSA {bits}"
    elif algo == "ec":
        try:
            curve = str(pk.curve[1])
        except (ValueError, KeyError, TypeError):
            curve = "?"
        desc = f"ECDSA {curve}"
    else:
        desc = f"{algo.upper()} {bits}"
    minimum = {"rsa": rules.rsa_min_bits, "ec": rules.ecdsa_min_bits}.get(algo)
    return KeyStrength(desc, algo, bits, curve, minimum)


__all__ = [
    "CHAIN_FORBIDDEN_DIGESTS",
    "CIRCULAR_SIGNATURE_SCHEMES",
    "DEFAULT_RULES",
    "DEPRECATED_DIGESTS",
    "ECDSA_CURVES",
    "EDDSA_BITS",
    "SIGNATURE_SCHEMES",
    "SIGNING_KEY_USAGES",
    "STRONG_DIGESTS",
    "AlgorithmRules",
    "KeyStrength",
    "key_strength",
]
