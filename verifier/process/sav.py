"""SAV (signature acceptance validation, EN 319 102-1 5.2.8): what the policy accepts.

The signed content type, the claimed signing time (for the record) and the cryptographic
constraints: digest algorithm and public key size, from the policy's algorithm rules
(:mod:`kyso.pki.algorithms`, the same data the signer's precheck applies).
"""

from __future__ import annotations

from datetime import datetime

from asn1crypto import cms, x509

from kyso.pki.algorithms import key_strength
from verifier import algorithm_constraints as A
from verifier import constraints as C
from verifier import integrity
from verifier.facts import SignatureFacts
from verifier.model import CheckResult, Outcome
from verifier.policy import Policy

_DISPLAY = {
    "sha1": "SHA-1",
    "sha224": "SHA-224",
    "sha256": "SHA-256",
    "sha384": "SHA-384",
    "sha512": "SHA-512",
    "md5": "MD5",
}


def display(algo: str) -> str:
    """How a digest name reads in the report: "SHA-256", "SHA3-256"."""
    return _DISPLAY.get(algo, algo.upper().replace("_", "-"))


def content_type(sig: SignatureFacts, policy: Policy) -> CheckResult:
    """CONTENT_TYPE: the signed content-type attribute is id-data."""
    assert sig.signer_info is not None
    ok = integrity.content_type_ok(sig.signer_info, "data")
    return policy.judge(C.CONTENT_TYPE, Outcome.OK if ok else Outcome.NOT_OK)


def claimed_signing_time(sig: SignatureFacts, policy: Policy) -> CheckResult:
    """CLAIMED_SIGNING_TIME: the signer's own claim, reported for the record."""
    sig.need("claimed_signing_time")
    claimed = sig.claimed_signing_time
    return policy.judge(
        C.CLAIMED_SIGNING_TIME, Outcome.OK if claimed else Outcome.NOT_OK, claimed=claimed
    )


def digest_acceptable(policy: Policy, algo: str, poe: datetime | None) -> bool:
    """Whether ``algo`` is acceptable for an object whose existence is proven at ``poe``: an
    acceptable digest always; a deprecated one only before the policy's expiry date for it
    (``deprecated_until``: the algorithm's expiry against the proof of existence)."""
    rules = policy.algorithms
    if algo in rules.acceptable_digests:
        return True
    expiry = rules.expiry(algo) if algo in rules.deprecated_digests else None
    return expiry is not None and poe is not None and poe <= expiry


def digest_algorithm(policy: Policy, algo: str, signing_time: datetime | None) -> CheckResult:
    """DIGEST_ALGORITHM: SHA-2/SHA-3; SHA-1 at the policy's level; anything else always fails."""
    rules = policy.algorithms
    name = display(algo)
    if algo in rules.acceptable_digests:
        return policy.judge(C.DIGEST_ALGORITHM_SHA1, Outcome.OK, algorithm=name)
    cite_en, cite_vi = policy.citation("DIGEST_ALGORITHM")
    t = signing_time.strftime("%Y-%m-%d %H:%M:%S %Z") if signing_time else None
    params = {
        "algorithm": name,
        "when_en": f" (signed at {t})" if t else "",
        "when_vi": f" (ký lúc {t})" if t else "",
        "cite_en": f": {cite_en}" if cite_en else "",
        "cite_vi": f": {cite_vi}" if cite_vi else "",
    }
    if algo in rules.deprecated_digests:
        c = C.DIGEST_ALGORITHM_SHA1 if algo == "sha1" else C.DIGEST_ALGORITHM_WEAK
        return policy.judge(c, Outcome.NOT_OK, **params)
    return policy.judge(C.DIGEST_ALGORITHM_BROKEN, Outcome.NOT_OK, **params)


_SCHEMES = {
    "rsassa_pkcs1v15": "RSA PKCS#1 v1.5",
    "rsassa_pss": "RSASSA-PSS",
    "ecdsa": "ECDSA",
    "dsa": "DSA",
    "ed25519": "Ed25519 (EdDSA)",
    "ed448": "Ed448 (EdDSA)",
}


def _cite(policy: Policy, name: str) -> dict[str, str]:
    cite_en, cite_vi = policy.citation(name)
    return {
        "cite_en": f": {cite_en}" if cite_en else "",
        "cite_vi": f": {cite_vi}" if cite_vi else "",
    }


def signature_algorithm(
    policy: Policy, signer_info: cms.SignerInfo, scheme: str
) -> list[CheckResult]:
    """SIGNATURE_ALGORITHM: the scheme is one the policy accepts (Circular 15/2025 Appendix I:
    RSA and ECDSA); for RSASSA-PSS also its parameters (hash and MGF1 hash acceptable digests,
    salt at least ``pss_min_salt_bytes``).  Run only on a value that verified: the policy
    decides acceptability, never whether the bytes are right."""
    rules = policy.algorithms
    name = _SCHEMES.get(scheme, scheme)
    if scheme not in rules.signature_schemes:
        return [
            policy.judge(
                A.SIGNATURE_ALGORITHM, Outcome.NOT_OK, algorithm=name,
                **_cite(policy, "SIGNATURE_ALGORITHM"),
            )
        ]  # fmt: skip
    checks = [policy.judge(A.SIGNATURE_ALGORITHM, Outcome.OK, algorithm=name)]
    if scheme == "rsassa_pss":
        try:
            pss = integrity.pss_parameters(signer_info["signature_algorithm"])
        except (KeyError, ValueError, TypeError):
            return [
                policy.judge(
                    A.PSS_PARAMETERS,
                    Outcome.UNKNOWN,
                    problem="unreadable",
                    **_cite(policy, "SIGNATURE_ALGORITHM"),
                )
            ]
        problems = []
        if pss.hash not in rules.acceptable_digests:
            problems.append(f"hash {display(pss.hash)}")
        if pss.mgf_hash not in rules.acceptable_digests:
            problems.append(f"MGF1 hash {display(pss.mgf_hash)}")
        if pss.salt < rules.pss_min_salt_bytes:
            problems.append(f"salt {pss.salt} < {rules.pss_min_salt_bytes} bytes")
        params = f"{display(pss.hash)}, MGF1-{display(pss.mgf_hash)}, salt {pss.salt}"
        if problems:
            checks = [
                policy.judge(
                    A.PSS_PARAMETERS, Outcome.NOT_OK, problem=", ".join(problems),
                    **_cite(policy, "SIGNATURE_ALGORITHM"),
                )
            ]  # fmt: skip
        else:
            checks = [policy.judge(A.PSS_PARAMETERS, Outcome.OK, params=params)]
    return checks


def public_key_size(policy: Policy, cert: x509.Certificate) -> CheckResult:
    """PUBLIC_KEY_SIZE: RSA and ECDSA keys of at least the policy's sizes."""
    key = key_strength(cert, policy.algorithms)
    if key.minimum is None:
        return policy.judge(C.PUBLIC_KEY_ALGORITHM, Outcome.NOT_OK, key=key.description)
    cite_en, cite_vi = policy.citation("PUBLIC_KEY_SIZE")
    return policy.judge(
        C.PUBLIC_KEY_SIZE,
        Outcome.OK if key.long_enough else Outcome.NOT_OK,
        key=key.description,
        minimum=key.minimum,
        cite_en=f": {cite_en}" if cite_en else "",
        cite_vi=f": {cite_vi}" if cite_vi else "",
    )


__all__ = [
    "claimed_signing_time",
    "content_type",
    "digest_acceptable",
    "digest_algorithm",
    "display",
    "public_key_size",
    "signature_algorithm",
]
