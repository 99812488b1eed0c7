"""Algorithm rules (Circular 15/2025/TT-BKHCN Appendix I) as data, read by both sides.

The validation policy (``verifier/policies/*.json``, ``algorithms`` section) is parsed into an
:class:`AlgorithmRules`; the signer's precheck applies the defaults below to its own certificate,
so the two sides cannot drift apart.  Digest names are asn1crypto's (``sha256``, ``sha3_256``).
"""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import x509

#: SHA-2 and SHA-3: the only digests a policy may accept (Appendix I).
STRONG_DIGESTS = frozenset(
    {"sha256", "sha384", "sha512", "sha512_224", "sha512_256", "sha3_256", "sha3_384", "sha3_512"}
)
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
    try:
        bits = int(pk.bit_size)
    except (ValueError, KeyError, TypeError):
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
    "DEFAULT_RULES",
    "DEPRECATED_DIGESTS",
    "ECDSA_CURVES",
    "SIGNING_KEY_USAGES",
    "STRONG_DIGESTS",
    "AlgorithmRules",
    "KeyStrength",
    "key_strength",
]
