"""Key usage and extended key usage of the signer (Circular 15/2025 App. II 1.4-1.5)."""

from __future__ import annotations

from asn1crypto import x509

from verifier.model import CheckResult, Indication, Outcome, SubIndication
from verifier.policy import Policy

_SIGNING_USAGES = frozenset({"digital_signature", "non_repudiation"})
# EKUs compatible with document signing; a certificate with none is unrestricted.
_DOCUMENT_EKUS = frozenset(
    {
        "any_extended_key_usage",
        "email_protection",
        "client_auth",
        "1.2.840.113583.1.1.5",  # Adobe Authentic Documents Trust
        "1.3.6.1.4.1.311.10.3.12",  # Microsoft document signing
        "1.3.6.1.5.5.7.3.36",  # id-kp-documentSigning (RFC 9336)
        "code_signing",
    }
)


def check_key_usage(
    policy: Policy, cert: x509.Certificate, *, timestamp: bool = False
) -> list[CheckResult]:
    results: list[CheckResult] = []
    ku = cert.key_usage_value
    usages = set(ku.native) if ku is not None else None
    if usages is None or usages & _SIGNING_USAGES:
        results.append(
            policy.judge(
                "KEY_USAGE",
                Outcome.OK,
                "KEY_USAGE_OK",
                "the certificate may be used for signatures",
                "Chứng thư số được phép dùng để ký",
            )
        )
    else:
        results.append(
            policy.judge(
                "KEY_USAGE",
                Outcome.NOT_OK,
                "KEY_USAGE_NOT_SIGNING",
                f"the certificate's key usage ({', '.join(sorted(usages))}) does not allow "
                "signatures",
                "Chứng thư số không có mục đích sử dụng để ký (digitalSignature/nonRepudiation)",
                failure=Indication.INDETERMINATE,
                sub=SubIndication.SIG_CONSTRAINTS_FAILURE,
            )
        )
    eku = cert.extended_key_usage_value
    ekus = set(eku.native) if eku is not None else None
    if timestamp:
        ok = ekus is not None and "time_stamping" in ekus
        results.append(
            policy.judge(
                "EXTENDED_KEY_USAGE",
                Outcome.OK if ok else Outcome.NOT_OK,
                "EXTENDED_KEY_USAGE_OK" if ok else "EXTENDED_KEY_USAGE_NOT_TIMESTAMPING",
                "the TSA certificate is for time-stamping"
                if ok
                else "the TSA certificate lacks id-kp-timeStamping",
                "Chứng thư số của TSA dùng để cấp dấu thời gian"
                if ok
                else "Chứng thư số của TSA không có mục đích cấp dấu thời gian",
                failure=Indication.INDETERMINATE,
                sub=SubIndication.SIG_CONSTRAINTS_FAILURE,
            )
        )
        return results
    if ekus is None or ekus & _DOCUMENT_EKUS:
        results.append(
            policy.judge(
                "EXTENDED_KEY_USAGE",
                Outcome.OK,
                "EXTENDED_KEY_USAGE_OK",
                "extended key usage compatible with document signing",
                "Mục đích sử dụng mở rộng phù hợp với ký văn bản",
            )
        )
    else:
        results.append(
            policy.judge(
                "EXTENDED_KEY_USAGE",
                Outcome.NOT_OK,
                "EXTENDED_KEY_USAGE_MISMATCH",
                f"extended key usage {', '.join(sorted(map(str, ekus)))} is not for "
                "document signing",
                "Mục đích sử dụng mở rộng của chứng thư số không dành cho ký văn bản",
                failure=Indication.INDETERMINATE,
                sub=SubIndication.SIG_CONSTRAINTS_FAILURE,
            )
        )
    return results
