"""Time-stamp validation (EN 319 102-1 5.4): signature timestamps and document timestamps.

A signature timestamp is proof of existence (POE) of the signature only when its imprint
matches the signature value, its own signature verifies and its TSA chains to a time-stamping
anchor; otherwise the signer's claimed time is used and the report says why.  A document
timestamp (``ETSI.RFC3161``) is validated like a signature of its own: ISC, CV, SAV and XCV
of the TSA certificate.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from asn1crypto import x509

from trust_store.model import Purpose
from verifier import constraints as C
from verifier import integrity, revocation, timestamps
from verifier.facts import SignatureFacts
from verifier.model import (
    CertificateSummary,
    CheckResult,
    Indication,
    Outcome,
    Status,
    SubIndication,
    TimestampSummary,
)
from verifier.policy import Policy
from verifier.process import isc, sav, vci, xcv
from verifier.process._context import Context
from verifier.process.fc import Coverage


@dataclass
class SignatureTimestamp:
    """What the first signature timestamp proves: its time (None: no proof) and certificates."""

    checks: list[CheckResult] = field(default_factory=list)
    poe: datetime | None = None
    certs: list[x509.Certificate] = field(default_factory=list)
    summary: TimestampSummary | None = None


def signature_timestamp(sig: SignatureFacts, ctx: Context, policy: Policy) -> SignatureTimestamp:
    """SIGNATURE_TIMESTAMP_PRESENT, _IMPRINT and _VALID for the first signature timestamp."""
    sig.need("timestamp_tokens", "cms_certificates")
    out = SignatureTimestamp()
    tokens = sig.timestamp_tokens
    out.checks.append(
        policy.judge(C.SIGNATURE_TIMESTAMP_PRESENT, Outcome.OK if tokens else Outcome.NOT_OK)
    )
    if not tokens:
        return out
    assert sig.signer_info is not None
    token = timestamps.check_token(
        tokens[0],
        sig.signer_info["signature"].native,
        extra_certs=[*ctx.dss.certs, *ctx.intermediates],
    )
    ts = TimestampSummary(
        time=token.gen_time, tsa=token.tsa_name, digest_algorithm=token.imprint_algorithm
    )
    out.summary, out.certs = ts, token.certs
    unverifiable = token.imprint_ok and token.tsa_cert is None
    intact = token.imprint_ok and (token.signature_ok or unverifiable)
    broken = C.SIGNATURE_TIMESTAMP_SIGNATURE if token.imprint_ok else C.SIGNATURE_TIMESTAMP_IMPRINT
    out.checks.append(
        policy.judge(broken, Outcome.OK if intact else Outcome.NOT_OK, reason=token.reason)
    )
    if not intact:
        ts.indication, ts.sub_indication = Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE
        return out
    if token.tsa_cert is None:
        ts.indication = Indication.INDETERMINATE
        ts.sub_indication = SubIndication.NO_SIGNING_CERTIFICATE_FOUND
        out.checks.append(policy.judge(C.SIGNATURE_TIMESTAMP_TSA_UNKNOWN, Outcome.NOT_OK))
        return out
    tsa = xcv.validate_certificate(
        policy,
        token.tsa_cert,
        vci.initialise(
            ctx,
            Purpose.TIMESTAMPING,
            [*token.certs, *sig.cms_certificates],
            revocation.from_cms(token.signer_info)
            if token.signer_info is not None
            else revocation.EmbeddedValidationData(),
        ),
        poe=None,
        claimed=token.gen_time,
    )
    blocking = [c for c in tsa.checks if c.indication is not None or c.status is not Status.PASSED]
    if not blocking:
        ts.indication = Indication.TOTAL_PASSED
        out.checks.append(
            policy.judge(
                C.SIGNATURE_TIMESTAMP_VALID, Outcome.OK, time=token.gen_time, tsa=token.tsa_name
            )
        )
        out.poe = token.gen_time
        return out
    first = blocking[0]
    ts.indication, ts.sub_indication = Indication.INDETERMINATE, first.sub_indication
    out.checks.append(
        policy.judge(
            # the sub-indication is the TSA chain's
            replace(C.SIGNATURE_TIMESTAMP_VALID, sub=first.sub_indication),
            Outcome.NOT_OK,
            reason_en=first.message_en,
            reason_vi=first.message_vi,
        )
    )
    return out


@dataclass
class DocumentTimestamp:
    """A document timestamp validated as a signature of its own."""

    checks: list[CheckResult] = field(default_factory=list)
    digest_algorithm: str = ""
    certificate: CertificateSummary | None = None
    time: datetime | None = None
    summary: TimestampSummary | None = None
    chain: xcv.ChainResult | None = None


def document_timestamp(
    sig: SignatureFacts, coverage: Coverage, ctx: Context, policy: Policy
) -> DocumentTimestamp:
    """ISC, CV, SAV and XCV of an ``ETSI.RFC3161`` document timestamp."""
    out = DocumentTimestamp()
    sd = sig.signed_data
    assert sd is not None
    info = integrity.tst_info(sd)
    imprint_digest = None
    if info is not None:
        try:
            imprint_algo = info["message_imprint"]["hash_algorithm"]["algorithm"].native
            imprint_digest = integrity.digest_ranges(ctx.data, coverage.ranges, imprint_algo)
            out.digest_algorithm = str(imprint_algo)
        except (integrity.UnsupportedDigest, KeyError, ValueError):
            imprint_digest = None
    token = timestamps.check_token(
        sd,
        None,
        imprint_digest if imprint_digest is not None else b"",
        extra_certs=[*ctx.dss.certs, *ctx.intermediates],
    )
    cert = token.tsa_cert
    check, out.certificate = isc.tsa_certificate(cert, policy)
    out.checks.append(check)
    if cert is None:
        return out
    out.time = token.gen_time
    out.summary = TimestampSummary(
        time=token.gen_time, tsa=token.tsa_name, digest_algorithm=token.imprint_algorithm
    )
    out.checks.append(
        policy.judge(C.TIMESTAMP_IMPRINT, Outcome.OK if token.imprint_ok else Outcome.NOT_OK)
    )
    out.checks.append(
        policy.judge(
            C.TIMESTAMP_SIGNATURE_VALUE,
            Outcome.OK if token.signature_ok else Outcome.NOT_OK,
            reason=token.reason or "the timestamp signature is invalid",
        )
    )
    if token.signer_info is not None:
        algo = str(token.signer_info["digest_algorithm"]["algorithm"].native)
        out.checks.append(sav.digest_algorithm(policy, algo, token.gen_time))
    out.checks.append(sav.public_key_size(policy, cert))
    out.checks.extend(xcv.key_usage(policy, cert, timestamp=True))
    out.chain = xcv.validate_certificate(
        policy,
        cert,
        vci.initialise(ctx, Purpose.TIMESTAMPING, token.certs, revocation.EmbeddedValidationData()),
        poe=None,
        claimed=token.gen_time,
    )
    return out


__all__ = ["DocumentTimestamp", "SignatureTimestamp", "document_timestamp", "signature_timestamp"]
