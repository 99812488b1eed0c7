"""Intake results ↔ protobuf: the verifier's report read as evidence, the intake report built.

:func:`evidence` reduces a ``kyso.v1.ValidationReport`` (however it was produced: in this
thread or a worker process) to what the cross-check reads; :func:`to_proto` writes the
``kyso.v1.IntakeReport``.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from kyso.edxml.model import Family, Organisation, Package
from kyso.v1 import common_pb2
from kyso.v1 import intake_pb2 as ipb
from kyso.v1 import verifier_pb2 as pb
from verifier.intake.model import (
    AttachmentEvidence,
    Conclusion,
    IntakeResult,
    MatchLevel,
    Severity,
    SignatureEvidence,
)

_KIND = {
    Family.DOCUMENT: ipb.PACKAGE_KIND_DOCUMENT,
    Family.STATUS: ipb.PACKAGE_KIND_STATUS,
    Family.LEGACY_EDOC: ipb.PACKAGE_KIND_LEGACY_EDOC,
    Family.REFUSED: ipb.PACKAGE_KIND_REFUSED,
}
_CONCLUSION = {
    Conclusion.ACCEPT: ipb.INTAKE_CONCLUSION_ACCEPT,
    Conclusion.ACCEPT_WITH_WARNINGS: ipb.INTAKE_CONCLUSION_ACCEPT_WITH_WARNINGS,
    Conclusion.RETURN_TO_SENDER: ipb.INTAKE_CONCLUSION_RETURN_TO_SENDER,
}
_SEVERITY = {
    Severity.FAIL: ipb.FINDING_SEVERITY_FAIL,
    Severity.WARN: ipb.FINDING_SEVERITY_WARN,
    Severity.INFO: ipb.FINDING_SEVERITY_INFO,
}


def _short(enum_type: Any, value: int, prefix: str) -> str:
    return str(enum_type.Name(value)).removeprefix(prefix)


def evidence(report: Any) -> AttachmentEvidence:
    """The facts of a ``ValidationReport`` the intake reads (signatures, not timestamps)."""
    sigs = []
    for s in report.signatures:
        if s.kind != pb.SIGNATURE_KIND_SIGNATURE:
            continue
        when = s.signing_time.ToDatetime(tzinfo=UTC) if s.HasField("signing_time") else None
        sigs.append(
            SignatureEvidence(
                index=s.index,
                indication=_short(pb.Indication, s.indication, "INDICATION_"),
                sub_indication=_short(pb.SubIndication, s.sub_indication, "SUB_INDICATION_"),
                common_name=s.signer_certificate.common_name or s.signer_name,
                organisation=s.signer_certificate.organisation or s.organisation,
                signing_time=when,
                conclusion_en=s.conclusion.message_en,
            )
        )
    return AttachmentEvidence(
        indication=_short(pb.Indication, report.indication, "INDICATION_"),
        sub_indication=_short(pb.SubIndication, report.sub_indication, "SUB_INDICATION_"),
        signatures=sigs,
    )


def _organisation(o: Organisation) -> Any:
    return ipb.Organisation(
        organ_id=o.organ_id,
        organization_in_charge=o.organization_in_charge,
        organ_name=o.organ_name,
        address=o.address,
        email=o.email,
        telephone=o.telephone,
        fax=o.fax,
        website=o.website,
    )


def _header(p: Package) -> Any:
    h = p.header
    return ipb.PackageHeader(
        sender=_organisation(h.sender),
        recipients=[_organisation(r) for r in h.recipients],
        code_number=h.code_number,
        code_notation=h.code_notation,
        place=h.place,
        promulgation_date=h.promulgation_date,
        document_type=h.document_type,
        type_detail=h.type_detail,
        type_name=h.type_name,
        subject=h.subject,
        content=h.content,
        signer_competence=h.signer_competence,
        signer_position=h.signer_position,
        signer_full_name=h.signer_full_name,
        priority=h.priority,
        business_doc_type=h.business_doc_type,
        business_doc_reason=h.business_doc_reason,
        business_document_id=h.business_document_id,
        document_id=h.document_id,
        due_date=h.due_date,
        to_places=h.to_places,
        steering_type=h.steering_type,
    )


def to_proto(
    result: IntakeResult, reports: dict[int, Any], main: int | None, elapsed_ms: float
) -> Any:
    """The ``IntakeReport`` of ``result``; ``reports``: attachment index -> ValidationReport."""
    p = result.package
    out = ipb.IntakeReport(
        kind=_KIND[p.family],
        conclusion=_CONCLUSION[result.conclusion],
        conclusion_message=common_pb2.LocalizedMessage(
            code=result.conclusion.value,
            message_vi=result.conclusion_vi,
            message_en=result.conclusion_en,
        ),
        edxml_status_code=result.status_code,
        status_description_vi=result.status_description_vi,
        lenient_parse=p.lenient,
        package_sha256=p.sha256,
        package_size=p.size,
        policy=result.policy,
        elapsed_ms=elapsed_ms,
        package_signature=ipb.PackageSignatureInfo(
            present=p.signature.present,
            namespace=p.signature.namespace,
            signature_method=p.signature.signature_method,
            subject_name=p.signature.subject_name,
        ),
    )
    if p.family in (Family.DOCUMENT, Family.STATUS):
        out.header.CopyFrom(_header(p))
    if p.family is Family.STATUS:
        s = p.status
        out.status.CopyFrom(
            ipb.StatusMessage(
                status_code=s.code,
                description=s.description,
                timestamp=s.timestamp,
                response_for_organ_id=s.response_for_organ_id,
                response_for_code=s.response_for_code,
                response_for_document_id=s.response_for_document_id,
            )
        )
    for i, a in enumerate(p.attachments):
        att = out.attachments.add(
            index=i,
            content_id=a.content_id,
            name=a.attachment_name,
            description=a.description,
            declared_type=a.content_type,
            detected_type=a.detected_type,
            size=a.size,
            sha256=a.sha256,
            unzipped=a.unzipped,
            main_document=i == main,
            verified=i in reports,
        )
        if i in reports:
            att.validation.CopyFrom(reports[i])
    for c in result.cross_checks:
        out.cross_checks.add(
            field=c.field,
            header_value=c.header_value,
            document_value=c.document_value,
            source=c.source,
            level=ipb.MatchLevel.Value(f"MATCH_LEVEL_{MatchLevel(c.level).value}"),
            attachment=c.attachment,
            rule=c.rule,
        )
    for f in result.findings:
        out.findings.add(
            rule=f.rule,
            severity=_SEVERITY[f.severity],
            message=common_pb2.LocalizedMessage(
                code=f.rule, message_vi=f.message_vi, message_en=f.message_en
            ),
            header_value=f.header_value,
            document_value=f.document_value,
            attachment=f.attachment,
        )
    return out


__all__ = ["evidence", "to_proto"]
