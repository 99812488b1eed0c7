"""ISC (identification of the signing certificate, EN 319 102-1 5.2.3).

The SignerInfo's sid must name a certificate the signature (or the document's DSS) carries, and
an ESS signing-certificate(-v2) attribute, when present, must hash to that certificate.
"""

from __future__ import annotations

from asn1crypto import x509

from verifier import constraints as C
from verifier.facts import SignatureFacts
from verifier.identification import check_ess_reference, describe_certificate
from verifier.model import CertificateSummary, CheckResult, Outcome
from verifier.policy import Policy


def signing_certificate(
    sig: SignatureFacts, policy: Policy
) -> tuple[list[CheckResult], x509.Certificate | None, CertificateSummary | None]:
    """The ISC checks, the signer's certificate (None: not found, stop) and its summary."""
    sig.need("signer_certificate")
    cert = sig.signer_certificate
    if cert is None:
        return [policy.judge(C.SIGNING_CERTIFICATE, Outcome.UNKNOWN)], None, None
    summary = describe_certificate(cert)
    checks = [policy.judge(C.SIGNING_CERTIFICATE, Outcome.OK, subject=summary.subject)]
    assert sig.signer_info is not None
    ess = check_ess_reference(sig.signer_info, cert)
    checks.append(
        policy.judge(
            C.SIGNING_CERTIFICATE_REFERENCE,
            Outcome.OK if ess.ok else Outcome.NOT_OK,
            reason=ess.reason,
        )
    )
    checks.append(
        policy.judge(
            C.SIGNING_CERTIFICATE_REFERENCE_PRESENT, Outcome.OK if ess.present else Outcome.NOT_OK
        )
    )
    return checks, cert, summary


def tsa_certificate(
    cert: x509.Certificate | None, policy: Policy
) -> tuple[CheckResult, CertificateSummary | None]:
    """A document timestamp's TSA certificate (found by the token check)."""
    if cert is None:
        return policy.judge(C.TSA_CERTIFICATE, Outcome.UNKNOWN), None
    summary = describe_certificate(cert)
    return policy.judge(C.TSA_CERTIFICATE, Outcome.OK, subject=summary.subject), summary


__all__ = ["signing_certificate", "tsa_certificate"]
