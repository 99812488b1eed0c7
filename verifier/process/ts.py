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

from asn1crypto import cms, x509

from kyso.pki.algorithms import key_strength
from trust_store.model import Purpose
from verifier import algorithm_constraints as A
from verifier import constraints as C
from verifier import integrity, revocation, timestamps
from verifier import timestamp_constraints as T
from verifier.facts import SignatureFacts
from verifier.messages import render
from verifier.model import (
    CertificateSummary,
    CheckResult,
    Indication,
    Outcome,
    Status,
    SubIndication,
    TimestampKind,
    TimestampSummary,
)
from verifier.policy import Policy
from verifier.process import isc, sav, vci, xcv
from verifier.process._context import Context
from verifier.process.fc import Coverage


@dataclass
class TokenValidation:
    """One timestamp token judged as what it is: its summary (own indication and reason), the
    certificates it carries and, when it is TOTAL_PASSED, its time as proof of existence."""

    summary: TimestampSummary
    token: timestamps.TokenCheck
    chain_sub: SubIndication = SubIndication.NONE
    certs: list[x509.Certificate] = field(default_factory=list)
    #: Judged checks of the token's algorithms and TSA chain the signature reports beside its
    #: own (weak digests under a WARN policy: the token still counts, with the warning).
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.summary.indication is Indication.TOTAL_PASSED


_BROKEN_SUB = {
    "IMPRINT_MISMATCH": SubIndication.HASH_FAILURE,
    "SIGNATURE_INVALID": SubIndication.SIG_CRYPTO_FAILURE,
}


def _set(
    summary: TimestampSummary, ind: Indication, sub: SubIndication, en: str = "", vi: str = ""
) -> None:
    summary.indication, summary.sub_indication = ind, sub
    summary.reason_en, summary.reason_vi = en, vi


def validate_token(
    signed_data: cms.SignedData,
    kind: TimestampKind,
    ctx: Context,
    policy: Policy,
    *,
    imprint_of: bytes | None = None,
    imprint_digest: bytes | None = None,
    other_certs: tuple[x509.Certificate, ...] = (),
) -> TokenValidation:
    """Validate one RFC 3161 token (EN 319 102-1 5.4): imprint, the token's own signature, the
    TSA certificate (key usage, chain to a time-stamping anchor, revocation) and the token's
    algorithms under the policy at the time that matters (:func:`sav.digest_acceptable`).

    Never raises for a hostile token: what cannot be read makes it TOTAL_FAILED (FORMAT) or
    INDETERMINATE (an algorithm kyso cannot evaluate).  The caller decides what the token's
    verdict means for the signature.
    """
    token = timestamps.check_token(
        signed_data,
        imprint_of,
        imprint_digest,
        extra_certs=[*ctx.dss.certs, *ctx.intermediates, *other_certs],
    )
    summary = TimestampSummary(
        time=token.gen_time, tsa=token.tsa_name, digest_algorithm=token.imprint_algorithm, kind=kind
    )
    out = TokenValidation(summary, token, certs=token.certs)
    reason_en, reason_vi = render(f"ts.reason.{token.code or 'MALFORMED'}", reason=token.reason)
    if token.unsupported and token.imprint_ok:  # a wrong imprint is proven wrong anyway
        _set(summary, Indication.INDETERMINATE, SubIndication.GENERIC, reason_en, reason_vi)
        return out
    if not token.intact:
        sub = _BROKEN_SUB.get(token.code, SubIndication.FORMAT_FAILURE)
        _set(summary, Indication.TOTAL_FAILED, sub, reason_en, reason_vi)
        return out
    if token.tsa_cert is None:
        _set(
            summary,
            Indication.INDETERMINATE,
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            reason_en,
            reason_vi,
        )
        return out
    # acceptance: the token's algorithms and the TSA key, by the same policy as the signature's
    # (levels of DIGEST_ALGORITHM / PUBLIC_KEY_SIZE), at the time that matters
    algorithms = [token.imprint_algorithm]
    if token.signer_info is not None:
        algorithms.append(str(token.signer_info["digest_algorithm"]["algorithm"].native))
    weak = [
        sav.display(a)
        for a in dict.fromkeys(algorithms)
        if not sav.digest_acceptable(policy, a, ctx.now)
    ]
    key = key_strength(token.tsa_cert, policy.algorithms)
    judged = []
    if weak:
        cite_en, cite_vi = policy.citation("DIGEST_ALGORITHM")
        judged.append(
            policy.judge(
                A.VALIDATION_DATA_DIGEST,
                Outcome.NOT_OK,
                found=f"{', '.join(weak)} ({token.tsa_name or 'TSA'})",
                cite_en=f" ({cite_en})" if cite_en else "",
                cite_vi=f" ({cite_vi})" if cite_vi else "",
            )
        )
    if key.minimum is None or not key.long_enough:
        cite_en, cite_vi = policy.citation("PUBLIC_KEY_SIZE")
        judged.append(
            policy.judge(
                A.VALIDATION_DATA_KEY,
                Outcome.NOT_OK,
                found=f"{key.description} ({token.tsa_name or 'TSA'})",
                cite_en=f" ({cite_en})" if cite_en else "",
                cite_vi=f" ({cite_vi})" if cite_vi else "",
            )
        )
    out.checks.extend(judged)
    refused = next((c for c in judged if c.indication is not None), None)
    if refused is not None:
        _set(
            summary,
            Indication.INDETERMINATE,
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            refused.message_en,
            refused.message_vi,
        )
        return out
    usage = [
        c for c in xcv.key_usage(policy, token.tsa_cert, timestamp=True) if c.indication is not None
    ]
    chain = xcv.validate_certificate(
        policy,
        token.tsa_cert,
        vci.initialise(
            ctx,
            Purpose.TIMESTAMPING,
            [*token.certs, *other_certs],
            revocation.from_cms(token.signer_info)
            if token.signer_info is not None
            else revocation.EmbeddedValidationData(),
        ),
        poe=None,
        claimed=token.gen_time,
    )
    blocking = usage + [
        c
        for c in chain.checks
        if c.indication is not None or c.status in (Status.FAILED, Status.INDETERMINATE)
    ]
    out.checks.extend(c for c in chain.checks if c.status is Status.WARNING)
    if blocking:
        first = blocking[0]
        out.chain_sub = first.sub_indication
        _set(
            summary,
            Indication.INDETERMINATE,
            first.sub_indication,
            first.message_en,
            first.message_vi,
        )
        return out
    _set(summary, Indication.TOTAL_PASSED, SubIndication.NONE)
    return out


@dataclass
class SignatureTimestamp:
    """Every signature timestamp judged; ``poe`` is the best one's time (None: no proof)."""

    checks: list[CheckResult] = field(default_factory=list)
    poe: datetime | None = None
    certs: list[x509.Certificate] = field(default_factory=list)
    summary: TimestampSummary | None = None  # the one giving the POE, else the first
    summaries: list[TimestampSummary] = field(default_factory=list)


def _which(i: int, n: int) -> str:
    return f" {i + 1}/{n}" if n > 1 else ""


def signature_timestamp(sig: SignatureFacts, ctx: Context, policy: Policy) -> SignatureTimestamp:
    """SIGNATURE_TIMESTAMP_PRESENT, then _IMPRINT and _VALID for every signature timestamp.

    A signature timestamp is an unsigned attribute: anyone can replace or add one.  One that
    does not verify is reported with its reason and is not proof of existence; it never fails
    the signature (EN 319 102-1 5.4; EU DSS): ``SIGNATURE_TIMESTAMP_IMPRINT`` and
    ``SIGNATURE_TIMESTAMP_VALID`` are judged at the policy's level (vn-gov WARN, strict FAIL →
    INDETERMINATE).  Of the valid ones the earliest gives the signing time.
    """
    sig.need("timestamp_tokens", "cms_certificates")
    out = SignatureTimestamp()
    tokens = sig.timestamp_tokens
    out.checks.append(
        policy.judge(T.SIGNATURE_TIMESTAMP_PRESENT, Outcome.OK if tokens else Outcome.NOT_OK)
    )
    if not tokens:
        return out
    assert sig.signer_info is not None
    value = sig.signer_info["signature"].native
    best: TokenValidation | None = None
    for i, sd in enumerate(tokens):
        which = _which(i, len(tokens))
        v = validate_token(
            sd,
            TimestampKind.SIGNATURE_TIMESTAMP,
            ctx,
            policy,
            imprint_of=value,
            other_certs=tuple(sig.cms_certificates),
        )
        ts = v.summary
        out.summaries.append(ts)
        out.certs.extend(v.certs)
        out.checks.extend(v.checks)
        unsupported = ts.indication is Indication.INDETERMINATE and v.token.unsupported
        if ts.indication is Indication.TOTAL_FAILED or unsupported:
            broken = (
                T.SIGNATURE_TIMESTAMP_SIGNATURE
                if v.token.imprint_ok
                else T.SIGNATURE_TIMESTAMP_IMPRINT
            )
            out.checks.append(
                policy.judge(
                    broken,
                    Outcome.UNKNOWN if unsupported else Outcome.NOT_OK,
                    which=which,
                    reason_en=ts.reason_en,
                    reason_vi=ts.reason_vi,
                )
            )
            continue
        out.checks.append(policy.judge(T.SIGNATURE_TIMESTAMP_IMPRINT, Outcome.OK, which=which))
        if v.token.tsa_cert is None:
            out.checks.append(
                policy.judge(T.SIGNATURE_TIMESTAMP_TSA_UNKNOWN, Outcome.NOT_OK, which=which)
            )
            continue
        if v.valid:
            out.checks.append(
                policy.judge(
                    T.SIGNATURE_TIMESTAMP_VALID,
                    Outcome.OK,
                    which=which,
                    time=ts.time,
                    tsa=ts.tsa,
                )
            )
            if best is None or (
                ts.time is not None
                and best.summary.time is not None
                and ts.time < best.summary.time
            ):
                best = v
            continue
        out.checks.append(
            policy.judge(
                # the sub-indication is the TSA chain's (or the policy's crypto constraints)
                replace(T.SIGNATURE_TIMESTAMP_VALID, sub=ts.sub_indication),
                Outcome.NOT_OK,
                which=which,
                reason_en=ts.reason_en,
                reason_vi=ts.reason_vi,
            )
        )
    if best is not None:
        best.summary.used_as_poe = True
        out.poe, out.summary = best.summary.time, best.summary
    else:
        out.summary = out.summaries[0]
    return out


def content_timestamps(
    sig: SignatureFacts,
    coverage: Coverage,
    ctx: Context,
    policy: Policy,
    signing_time: datetime | None,
) -> tuple[list[CheckResult], list[TimestampSummary]]:
    """CONTENT_TIMESTAMP for every id-aa-ets-contentTimestamp (EN 319 122-1 5.2.8).

    The signer signed the token, so it is part of what was signed: its imprint must be over the
    signed content (the byte ranges), its TSA must chain to a time-stamping anchor and its time
    must not be after the signing time (the best signature timestamp, else the claimed time;
    ETSI TIMESTAMP_ORDER_FAILURE).  A content timestamp that fails leaves the signature
    INDETERMINATE, never TOTAL_PASSED (mandatory constraint).
    """
    sig.need("content_timestamp_tokens")
    tokens = sig.content_timestamp_tokens
    checks: list[CheckResult] = []
    summaries: list[TimestampSummary] = []
    for i, sd in enumerate(tokens):
        which = _which(i, len(tokens))
        digest = None
        try:
            info = integrity.tst_info(sd)
        except (KeyError, ValueError, TypeError):
            info = None
        if info is not None:
            try:
                mi = info["message_imprint"]["hash_algorithm"]
                digest = integrity.digest_ranges(
                    ctx.data,
                    coverage.ranges,
                    str(mi["algorithm"].native),
                    integrity.digest_parameters(mi),
                )
            except (integrity.UnsupportedDigest, KeyError, ValueError, TypeError):
                digest = None
        v = validate_token(
            sd,
            TimestampKind.CONTENT_TIMESTAMP,
            ctx,
            policy,
            imprint_digest=digest if digest is not None else b"",
            other_certs=tuple(sig.cms_certificates),
        )
        ts = v.summary
        summaries.append(ts)
        checks.extend(v.checks)
        if not v.valid:
            c = T.CONTENT_TIMESTAMP
            if ts.indication is Indication.INDETERMINATE:
                c = replace(T.CONTENT_TIMESTAMP, sub=ts.sub_indication)
            checks.append(
                policy.judge(
                    c,
                    Outcome.UNKNOWN if v.token.unsupported else Outcome.NOT_OK,
                    which=which,
                    reason_en=ts.reason_en,
                    reason_vi=ts.reason_vi,
                )
            )
            continue
        if signing_time is not None and ts.time is not None and ts.time > signing_time:
            en, vi = render("ts.reason.ORDER", time=ts.time, signing=signing_time)
            ts.indication, ts.sub_indication = (
                Indication.INDETERMINATE,
                SubIndication.TIMESTAMP_ORDER_FAILURE,
            )
            ts.reason_en, ts.reason_vi = en, vi
            checks.append(
                policy.judge(
                    T.CONTENT_TIMESTAMP_ORDER,
                    Outcome.NOT_OK,
                    which=which,
                    reason_en=en,
                    reason_vi=vi,
                )
            )
            continue
        checks.append(
            policy.judge(T.CONTENT_TIMESTAMP, Outcome.OK, which=which, time=ts.time, tsa=ts.tsa)
        )
    return checks, summaries


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
    if token.unsupported:  # an algorithm kyso cannot evaluate: INDETERMINATE, never FAILED
        out.checks.append(
            policy.judge(C.SIGNATURE_VALUE_UNSUPPORTED, Outcome.UNKNOWN, reason=token.reason)
        )
    else:
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
        vci.initialise(
            ctx,
            Purpose.TIMESTAMPING,
            token.certs,
            revocation.EmbeddedValidationData(),
            archive_poe=ctx.archive_poe(coverage.revision),
        ),
        poe=None,
        claimed=token.gen_time,
    )
    return out


__all__ = [
    "DocumentTimestamp",
    "SignatureTimestamp",
    "TokenValidation",
    "content_timestamps",
    "document_timestamp",
    "signature_timestamp",
    "validate_token",
]
