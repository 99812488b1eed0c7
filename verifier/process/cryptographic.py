"""Cryptographic constraints on validation data (EN 319 102-1 5.2.6 and 5.2.8; DSS's
``CryptographicConstraint`` applied to certificates, OCSP responses, CRLs and timestamp tokens).

The signature's own digest and key are judged in SAV; here the same policy (its
``algorithms`` section and the levels of ``DIGEST_ALGORITHM`` and ``PUBLIC_KEY_SIZE``) judges
what the chain and the revocation data were signed with, at the time that matters: a
deprecated digest (SHA-1) is accepted for an object whose proof of existence lies before the
policy's expiry date for it (``deprecated_until``), otherwise it is reported under the level
the policy gives weak digests (vn-gov: WARN; vn-gov-strict: TOTAL_FAILED).  Path validation
itself only refuses MD2/MD5 (:data:`kyso.pki.algorithms.CHAIN_FORBIDDEN_DIGESTS`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from asn1crypto import crl, ocsp, x509
from pyhanko_certvalidator.path import ValidationPath

from kyso.pki.algorithms import key_strength
from verifier import algorithm_constraints as A
from verifier.model import CheckResult, Outcome
from verifier.policy import Policy
from verifier.process.sav import digest_acceptable, display


def _hash_of(algorithm: object) -> str:
    try:
        return str(algorithm.hash_algo)  # type: ignore[attr-defined]
    except (ValueError, KeyError, TypeError, AttributeError):
        return ""


def _cite(policy: Policy, name: str) -> dict[str, str]:
    en, vi = policy.citation(name)
    return {"cite_en": f" ({en})" if en else "", "cite_vi": f" ({vi})" if vi else ""}


def _name(cert: x509.Certificate) -> str:
    try:
        return str(cert.subject.native.get("common_name") or cert.subject.human_friendly)
    except (ValueError, KeyError, TypeError):
        return "?"


def validation_data_algorithms(
    policy: Policy,
    path: ValidationPath,
    ocsps: Iterable[ocsp.OCSPResponse],
    crls: Iterable[crl.CertificateList],
    poe: datetime | None,
    validation_time: datetime,
) -> list[CheckResult]:
    """VALIDATION_DATA_ALGORITHMS for a validated path and the revocation data it had.

    Judged: the digest of every certificate signature below the anchor, the key of every
    issuer in the path (the anchor's included: it signs), the digests of the OCSP responses
    and CRLs.  ``poe``: when the signature (and so what it carries) is proven to exist; else
    the validation time.
    """
    when = poe or validation_time
    weak_digests: list[str] = []
    short_keys: list[str] = []
    certs = list(path.iter_certs(include_root=True))
    anchor = certs[0] if certs else None
    for cert in certs:
        if cert is not anchor:
            algo = _hash_of(cert["signature_algorithm"])
            if algo and not digest_acceptable(policy, algo, when):
                weak_digests.append(f"{display(algo)} ({_name(cert)})")
        if cert is not path.leaf:
            key = key_strength(cert, policy.algorithms)
            if key.minimum is not None and not key.long_enough:
                short_keys.append(f"{key.description} ({_name(cert)})")
    for resp in ocsps:
        try:
            algo = _hash_of(resp["response_bytes"]["response"].parsed["signature_algorithm"])
        except (ValueError, KeyError, TypeError):
            continue
        if algo and not digest_acceptable(policy, algo, when):
            weak_digests.append(f"{display(algo)} (OCSP)")
    for cl in crls:
        algo = _hash_of(cl["signature_algorithm"])
        if algo and not digest_acceptable(policy, algo, when):
            weak_digests.append(f"{display(algo)} (CRL)")
    checks: list[CheckResult] = []
    if weak_digests:
        found = ", ".join(dict.fromkeys(weak_digests))
        checks.append(
            policy.judge(
                A.VALIDATION_DATA_DIGEST,
                Outcome.NOT_OK,
                found=found,
                **_cite(policy, "DIGEST_ALGORITHM"),
            )
        )
    if short_keys:
        found = ", ".join(dict.fromkeys(short_keys))
        checks.append(
            policy.judge(
                A.VALIDATION_DATA_KEY,
                Outcome.NOT_OK,
                found=found,
                **_cite(policy, "PUBLIC_KEY_SIZE"),
            )
        )
    if not checks:
        checks.append(policy.judge(A.VALIDATION_DATA_ALGORITHMS, Outcome.OK))
    return checks


__all__ = ["validation_data_algorithms"]
