"""DocumentResult → kyso.v1.ValidationReport (the wire form of the report)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from kyso.v1 import common_pb2
from kyso.v1 import verifier_pb2 as pb
from verifier.layout.model import LayoutReport, LayoutStatus
from verifier.model import (
    DocumentResult,
    Indication,
    Kind,
    Level,
    Message,
    RevocationSource,
    RevocationStatus,
    SignatureResult,
    Status,
    SubIndication,
    TimeSource,
    TimestampKind,
    TimestampSummary,
)
from verifier.next_steps import next_step
from verifier.summary_vi import INDICATION_VI

_INDICATION = {
    Indication.TOTAL_PASSED: pb.INDICATION_TOTAL_PASSED,
    Indication.TOTAL_FAILED: pb.INDICATION_TOTAL_FAILED,
    Indication.INDETERMINATE: pb.INDICATION_INDETERMINATE,
    Indication.NO_SIGNATURE_FOUND: pb.INDICATION_NO_SIGNATURE_FOUND,
}
_STATUS = {
    Status.PASSED: pb.CHECK_PASSED,
    Status.FAILED: pb.CHECK_FAILED,
    Status.WARNING: pb.CHECK_WARNING,
    Status.INDETERMINATE: pb.CHECK_INDETERMINATE,
    Status.INFORMATION: pb.CHECK_INFORMATION,
    Status.SKIPPED: pb.CHECK_SKIPPED,
}
_LEVEL = {
    Level.FAIL: pb.LEVEL_FAIL,
    Level.WARN: pb.LEVEL_WARN,
    Level.INFORM: pb.LEVEL_INFORM,
    Level.IGNORE: pb.LEVEL_IGNORE,
}
_TIME_SOURCE = {
    TimeSource.NONE: pb.SIGNING_TIME_SOURCE_NONE,
    TimeSource.SIGNATURE_TIMESTAMP: pb.SIGNING_TIME_SOURCE_SIGNATURE_TIMESTAMP,
    TimeSource.CLAIMED: pb.SIGNING_TIME_SOURCE_CLAIMED,
    TimeSource.TIMESTAMP_TOKEN: pb.SIGNING_TIME_SOURCE_TIMESTAMP_TOKEN,
}
_REV_SOURCE = {
    RevocationSource.NONE: pb.REVOCATION_DATA_SOURCE_NONE,
    RevocationSource.EMBEDDED: pb.REVOCATION_DATA_SOURCE_EMBEDDED,
    RevocationSource.OCSP: pb.REVOCATION_DATA_SOURCE_OCSP,
    RevocationSource.CRL: pb.REVOCATION_DATA_SOURCE_CRL,
}
_REV_STATUS = {
    RevocationStatus.UNKNOWN: pb.REVOCATION_RESULT_UNKNOWN,
    RevocationStatus.GOOD: pb.REVOCATION_RESULT_GOOD,
    RevocationStatus.REVOKED: pb.REVOCATION_RESULT_REVOKED,
    RevocationStatus.NOT_CHECKED: pb.REVOCATION_RESULT_NOT_CHECKED,
}

_CONCLUSION_EN = {
    Indication.TOTAL_PASSED: "All signatures are valid.",
    Indication.TOTAL_FAILED: "At least one signature is invalid.",
    Indication.INDETERMINATE: "The validity could not be established.",
    Indication.NO_SIGNATURE_FOUND: "The document has no signature.",
}


def indication_pb(i: Indication) -> Any:
    return _INDICATION[i]


def sub_indication_pb(s: SubIndication) -> Any:
    return pb.SubIndication.Value(f"SUB_INDICATION_{s.value}")


def _ts(t: datetime | None) -> Timestamp | None:
    if t is None:
        return None
    out = Timestamp()
    out.FromDatetime(t)
    return out


_TIMESTAMP_KIND = {
    TimestampKind.SIGNATURE_TIMESTAMP: pb.TIMESTAMP_KIND_SIGNATURE,
    TimestampKind.CONTENT_TIMESTAMP: pb.TIMESTAMP_KIND_CONTENT,
    TimestampKind.DOCUMENT_TIMESTAMP: pb.TIMESTAMP_KIND_DOCUMENT,
}


def _timestamp(summary: TimestampSummary, ts: pb.TimestampValidation) -> None:
    ts.tsa, ts.digest_algorithm = summary.tsa, summary.digest_algorithm
    ts.indication = indication_pb(summary.indication)
    ts.sub_indication = sub_indication_pb(summary.sub_indication)
    ts.kind = _TIMESTAMP_KIND[summary.kind]
    ts.proof_of_existence = summary.used_as_poe
    if summary.reason_en or summary.reason_vi:
        ts.reason.CopyFrom(
            common_pb2.LocalizedMessage(
                code=sub_indication_pb_name(summary.sub_indication),
                message_en=summary.reason_en,
                message_vi=summary.reason_vi,
            )
        )
    if (t := _ts(summary.time)) is not None:
        ts.time.CopyFrom(t)


def sub_indication_pb_name(sub: SubIndication) -> str:
    """The ETSI sub-indication's name, the stable code of a timestamp's reason."""
    return sub.value


def _msg(m: Message) -> common_pb2.LocalizedMessage:
    return common_pb2.LocalizedMessage(
        code=m.code, message_vi=m.message_vi, message_en=m.message_en
    )


def _signature(sig: SignatureResult) -> pb.SignatureReport:
    out = pb.SignatureReport(
        index=sig.index,
        kind=pb.SIGNATURE_KIND_DOCUMENT_TIMESTAMP
        if sig.kind is Kind.DOCUMENT_TIMESTAMP
        else pb.SIGNATURE_KIND_SIGNATURE,
        field_name=sig.field_name,
        sub_filter=sig.sub_filter,
        indication=indication_pb(sig.indication),
        sub_indication=sub_indication_pb(sig.sub_indication),
        signing_time_source=_TIME_SOURCE[sig.signing_time_source],
        digest_algorithm=sig.digest_algorithm,
        signature_algorithm=sig.signature_algorithm,
        revision=sig.revision,
        covers_whole_document=sig.covers_whole_document,
    )
    for c in sig.checks:
        out.checks.append(
            pb.CheckResult(
                name=c.name,
                building_block=c.block,
                status=_STATUS[c.status],
                level=_LEVEL[c.level],
                message=common_pb2.LocalizedMessage(
                    code=c.code, message_vi=c.message_vi, message_en=c.message_en
                ),
            )
        )
    cert = sig.certificate
    if cert is not None:
        out.signer_name = cert.common_name
        out.organisation = cert.organisation
        sc = out.signer_certificate
        sc.subject, sc.common_name, sc.organisation = (
            cert.subject,
            cert.common_name,
            cert.organisation,
        )
        sc.serial_hex, sc.issuer, sc.issuer_common_name = (
            cert.serial_hex,
            cert.issuer,
            cert.issuer_common_name,
        )
        sc.sha256, sc.public_key = cert.sha256, cert.public_key
        if (nb := _ts(cert.not_before)) is not None:
            sc.not_before.CopyFrom(nb)
        if (na := _ts(cert.not_after)) is not None:
            sc.not_after.CopyFrom(na)
    if (t := _ts(sig.signing_time)) is not None:
        out.signing_time.CopyFrom(t)
    if (t := _ts(sig.claimed_signing_time)) is not None:
        out.claimed_signing_time.CopyFrom(t)
    if sig.timestamp is not None:
        _timestamp(sig.timestamp, out.signature_timestamp)
    for summary in sig.timestamps:
        _timestamp(summary, out.timestamps.add())
    rv = out.revocation
    rv.status, rv.source, rv.reason = (
        _REV_STATUS[sig.revocation.status],
        _REV_SOURCE[sig.revocation.source],
        sig.revocation.reason,
    )
    if (t := _ts(sig.revocation.produced_at)) is not None:
        rv.produced_at.CopyFrom(t)
    if (t := _ts(sig.revocation.revocation_time)) is not None:
        rv.revocation_time.CopyFrom(t)
    out.trust_anchor.subject, out.trust_anchor.sha256 = (
        sig.trust_anchor_subject,
        sig.trust_anchor_sha256,
    )
    ch = out.changes_after
    ch.analysed, ch.level, ch.docmdp_violated = (
        sig.changes.analysed,
        sig.changes.level,
        sig.changes.docmdp_violated,
    )
    ch.summary.CopyFrom(
        common_pb2.LocalizedMessage(
            code=f"CHANGES_{sig.changes.level or 'NOT_ANALYSED'}",
            message_vi=sig.changes.summary_vi,
            message_en=sig.changes.summary_en,
        )
    )
    for change in sig.changes.changes:
        ch.changes.append(
            pb.DocumentChange(
                kind=change.kind,
                revision=change.revision,
                description=common_pb2.LocalizedMessage(
                    code=change.kind,
                    message_vi=change.description_vi,
                    message_en=change.description_en,
                ),
                objects=list(change.objects),
                page=change.page,
                level=change.level,
            )
        )
    ch.visually_compared = sig.changes.visually_compared
    ch.compared_pages.extend(sig.changes.compared_pages)
    for d in sig.changes.visual_differences:
        x0, y0, x1, y1 = d.rect
        ch.visual_differences.append(
            pb.VisualDifference(
                page=d.page,
                x0=x0,
                y0=y0,
                x1=x1,
                y1=y1,
                description=common_pb2.LocalizedMessage(
                    code="VISUAL_DIFFERENCE" if d.over_content else "VISUAL_ADDITION",
                    message_vi=d.description_vi,
                    message_en=d.description_en,
                ),
            )
        )
    warnings = list(sig.warnings)
    for c in sig.checks:
        if c.status in (Status.WARNING, Status.INDETERMINATE, Status.FAILED):
            warnings.append(Message(c.code, c.message_en, c.message_vi))
    out.warnings.extend(_msg(w) for w in warnings)
    s = sig.summary_vi  # computed once, in validation
    if s is not None:
        out.summary_vi.CopyFrom(
            pb.VietnameseSummary(
                issuing_ca=s.issuing_ca,
                signer=s.signer,
                managing_unit=s.managing_unit,
                signing_time=s.signing_time,
                integrity=s.integrity,
                validity_at_signing_time=s.validity_at_signing_time,
                certificate_validity_period=s.certificate_validity_period,
                result=s.result,
                text="\n".join(s.lines(sig.kind)),
            )
        )
    out.conclusion.CopyFrom(
        common_pb2.LocalizedMessage(
            code=sig.indication.value,
            message_vi=INDICATION_VI[sig.indication],
            message_en=sig.indication.value,
        )
    )
    out.signer_role = sig.signer_role
    if sig.kind is Kind.SIGNATURE:
        out.next_step.CopyFrom(_step(sig.indication, sig.sub_indication))
    return out


def _step(indication: Indication, sub: SubIndication) -> common_pb2.LocalizedMessage:
    step = next_step(indication, sub)
    return common_pb2.LocalizedMessage(
        code=step.code, message_vi=step.message_vi, message_en=step.message_en
    )


_LAYOUT_STATUS = {
    LayoutStatus.PASSED: pb.LAYOUT_STATUS_PASSED,
    LayoutStatus.FAILED: pb.LAYOUT_STATUS_FAILED,
    LayoutStatus.WARNING: pb.LAYOUT_STATUS_WARNING,
    LayoutStatus.NOT_CHECKED: pb.LAYOUT_STATUS_NOT_CHECKED,
}


def layout_pb(report: LayoutReport) -> pb.LayoutReport:
    """The layout report (verifier.layout.model) in its wire form."""
    out = pb.LayoutReport(
        status=_LAYOUT_STATUS[report.status],
        document_kind=report.document_kind.value,
        kind_evidence=report.kind_evidence,
        text_source=report.text_source,
        passed_rules=report.passed,
        ocr_pages=report.ocr_pages,
        elapsed_ms=report.elapsed_ms,
        policy=report.policy,
        summary_vi="\n".join(report.summary_lines_vi()),
    )
    for f in report.findings:
        finding = pb.LayoutFinding(
            rule=f.rule,
            code=f.code,
            severity=_LEVEL[f.severity],
            outcome=f.outcome.value,
            expected=f.expected,
            found=f.found,
            message_en=f.message_en,
            message_vi=f.message_vi,
            text_source=f.text_source,
        )
        if f.page is not None:
            finding.page = f.page
        if f.rect is not None:
            finding.rect.CopyFrom(
                pb.PdfRect(x0=f.rect[0], y0=f.rect[1], x1=f.rect[2], y1=f.rect[3])
            )
        out.findings.append(finding)
    return out


def to_proto(doc: DocumentResult) -> pb.ValidationReport:
    out = pb.ValidationReport(
        indication=indication_pb(doc.indication),
        sub_indication=sub_indication_pb(doc.sub_indication),
        policy=doc.policy,
        document_sha256=doc.document_sha256,
        revisions=doc.revisions,
        trust_store_version=doc.trust_store_version,
        elapsed_ms=doc.elapsed_ms,
        summary_vi=doc.summary_vi,
        file_name=doc.file_name,
    )
    out.next_step.CopyFrom(_step(doc.indication, doc.sub_indication))
    if (t := _ts(doc.validation_time)) is not None:
        out.validation_time.CopyFrom(t)
    out.signatures.extend(_signature(s) for s in doc.signatures)
    out.warnings.extend(_msg(w) for w in doc.warnings)
    out.conclusion.CopyFrom(
        common_pb2.LocalizedMessage(
            code=doc.indication.value,
            message_vi=doc.conclusion_vi,
            message_en=_CONCLUSION_EN[doc.indication],
        )
    )
    if doc.layout is not None:
        out.layout.CopyFrom(layout_pb(doc.layout))
    return out
