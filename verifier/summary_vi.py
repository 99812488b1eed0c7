"""The Vietnamese summary: the fields Circular 15/2025/TT-BKHCN requires a verifier to show.

Issuing CA, signer, managing unit, signing time or timestamp, integrity,
validity at signing time and the certificate validity period — in plain
Vietnamese for clerks, times in Vietnam time (+07:00).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kyso.layout.signature_fields import ORGANISATION, PERSONAL, classify
from verifier.model import (
    DocumentResult,
    Indication,
    Kind,
    RevocationStatus,
    SignatureResult,
    SignatureSummaryVi,
    Status,
    TimeSource,
)
from verifier.next_steps import next_step

VN_TZ = timezone(timedelta(hours=7))

INDICATION_VI = {
    Indication.TOTAL_PASSED: "HỢP LỆ",
    Indication.TOTAL_FAILED: "KHÔNG HỢP LỆ",
    Indication.INDETERMINATE: "CHƯA XÁC ĐỊNH ĐƯỢC",
    Indication.NO_SIGNATURE_FOUND: "KHÔNG CÓ CHỮ KÝ SỐ",
}


#: How the report names a signature by the Decree 30 role of its signer.
ROLE_VI = {
    PERSONAL: "Chữ ký số của người có thẩm quyền",
    ORGANISATION: "Chữ ký số của cơ quan, tổ chức",
}
ROLE_EN = {PERSONAL: "competent person's signature", ORGANISATION: "organisation's signature"}


def signature_label(sig: SignatureResult) -> str:
    """ "Dấu thời gian tài liệu", or the signature named by its signer's role (Decree 30)."""
    if sig.kind is Kind.DOCUMENT_TIMESTAMP:
        return "Dấu thời gian tài liệu"
    return ROLE_VI.get(sig.signer_role, "Chữ ký số")


def vn_time(t: datetime | None) -> str:
    if t is None:
        return "không có"
    return t.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M:%S (giờ Việt Nam, UTC+07:00)")


def vn_date(t: datetime | None) -> str:
    return t.astimezone(VN_TZ).strftime("%d/%m/%Y") if t else "?"


def _status(sig: SignatureResult, *names: str) -> Status | None:
    found = [c.status for c in sig.checks if c.name in names]
    if not found:
        return None
    for bad in (Status.FAILED, Status.INDETERMINATE):
        if bad in found:
            return bad
    return Status.PASSED


def _integrity(sig: SignatureResult) -> str:
    fmt = _status(
        sig, "BYTE_RANGE", "REVISION_COVERAGE", "CONTENTS", "DETACHED_CONTENT", "SUB_FILTER"
    )
    crypto = _status(sig, "MESSAGE_DIGEST", "SIGNATURE_VALUE")
    changes = _status(sig, "CHANGES_AFTER_SIGNING", "DOCMDP")
    if fmt is Status.FAILED:
        return "KHÔNG đảm bảo: cấu trúc chữ ký không hợp lệ (có dấu hiệu giả mạo)"
    if crypto is Status.FAILED:
        return "KHÔNG đảm bảo: nội dung đã bị thay đổi sau khi ký hoặc chữ ký sai"
    if changes is Status.FAILED:
        return f"KHÔNG đảm bảo: tài liệu bị sửa đổi sau khi ký ({sig.changes.summary_vi})"
    # annotations added after signing: over a signature fails, over content is not confirmed
    if _status(sig, "ANNOTATION_OVERLAP") is Status.FAILED:
        return (
            "KHÔNG đảm bảo: chú thích được thêm sau khi ký che lên chữ ký hoặc chú thích có "
            f"trước ({sig.changes.summary_vi})"
        )
    over_content = _status(sig, "ANNOTATION_OVER_CONTENT")
    if crypto is Status.PASSED and over_content not in (None, Status.PASSED):
        return (
            "Chữ ký đúng nhưng có chú thích được thêm sau khi ký che lên nội dung văn bản; cần "
            f"đối chiếu với bản đã ký ({sig.changes.summary_vi})"
        )
    if crypto is Status.PASSED and changes is Status.PASSED:
        extra = f" ({sig.changes.summary_vi})" if sig.changes.summary_vi else ""
        return "Đảm bảo: nội dung không bị thay đổi sau khi ký" + extra
    if crypto is Status.PASSED:
        return "Chữ ký đúng nhưng chưa xác định được các thay đổi sau khi ký"
    return "Chưa xác định được"


def _validity(sig: SignatureResult) -> str:
    chain = sig.check("CERTIFICATE_CHAIN")
    validity = sig.check("CERTIFICATE_VALIDITY")
    revocation = sig.check("REVOCATION")
    if chain is None:
        return "Chưa kiểm tra (chữ ký không hợp lệ về cấu trúc hoặc mật mã)"
    if chain.status is not Status.PASSED:
        return f"Chưa xác định được: {chain.message_vi}"
    if validity is not None and validity.status is not Status.PASSED:
        return validity.message_vi
    if (
        sig.revocation.status is RevocationStatus.REVOKED
        and revocation is not None
        and revocation.status is Status.FAILED
    ):
        return revocation.message_vi
    if revocation is not None and revocation.status is not Status.PASSED:
        return f"Chưa xác định được: {revocation.message_vi}"
    if sig.revocation.status is RevocationStatus.REVOKED:
        return "Còn hiệu lực tại thời điểm ký (chứng thư đã bị thu hồi sau đó)"
    return "Còn hiệu lực, không bị thu hồi tại thời điểm ký"


def summarise_signature(sig: SignatureResult) -> SignatureSummaryVi:
    cert = sig.certificate
    if sig.signing_time_source is TimeSource.SIGNATURE_TIMESTAMP:
        time_text = f"{vn_time(sig.signing_time)} — theo dấu thời gian"
    elif sig.signing_time_source is TimeSource.TIMESTAMP_TOKEN:
        time_text = f"{vn_time(sig.signing_time)} — thời điểm của dấu thời gian"
    elif sig.signing_time_source is TimeSource.CLAIMED:
        time_text = (
            f"{vn_time(sig.signing_time)} — do người ký khai báo (không có dấu thời gian hợp lệ)"
        )
    else:
        time_text = "không xác định"
    if cert is None:
        return SignatureSummaryVi(
            issuing_ca="không xác định",
            signer="không xác định",
            managing_unit="không xác định",
            signing_time=time_text,
            integrity=_integrity(sig),
            validity_at_signing_time=_validity(sig),
            certificate_validity_period="không xác định",
            result=INDICATION_VI[sig.indication],
        )
    issuer = cert.issuer_common_name or cert.issuer
    if cert.issuer_organisation:
        issuer = f"{issuer} ({cert.issuer_organisation})"
    return SignatureSummaryVi(
        issuing_ca=issuer,
        signer=cert.common_name or cert.subject,
        managing_unit=cert.organisation or cert.issuer_organisation or "không ghi trong chứng thư",
        signing_time=time_text,
        integrity=_integrity(sig),
        validity_at_signing_time=_validity(sig),
        certificate_validity_period=f"từ {vn_date(cert.not_before)} đến {vn_date(cert.not_after)}",
        result=INDICATION_VI[sig.indication],
    )


def document_conclusion(doc: DocumentResult) -> str:
    n = sum(1 for s in doc.signatures if s.kind is Kind.SIGNATURE) or len(doc.signatures)
    if doc.indication is Indication.NO_SIGNATURE_FOUND:
        return "Tài liệu không có chữ ký số."
    if doc.indication is Indication.TOTAL_PASSED:
        return f"Tài liệu hợp lệ: tất cả {n} chữ ký số đều hợp lệ."
    if doc.indication is Indication.TOTAL_FAILED:
        bad = sum(1 for s in doc.signatures if s.indication is Indication.TOTAL_FAILED)
        return f"Tài liệu KHÔNG hợp lệ: {bad}/{n} chữ ký số không hợp lệ. Đề nghị trả lại nơi gửi."
    if not doc.signatures:
        return "Chưa xác định được tính hợp lệ của tài liệu: không đọc được cấu trúc tệp PDF."
    return (
        "Chưa xác định được tính hợp lệ của tài liệu: chưa đủ căn cứ để kết luận "
        "(xem cảnh báo của từng chữ ký)."
    )


def _summary(sig: SignatureResult) -> SignatureSummaryVi:
    return sig.summary_vi if sig.summary_vi is not None else summarise_signature(sig)


def summarise_document(doc: DocumentResult) -> None:
    """Compute the Vietnamese summary once, after aggregation: every signature's fields, the
    document's conclusion and its text (the report converters only read them)."""
    for sig in doc.signatures:
        if sig.kind is Kind.SIGNATURE and sig.certificate is not None:
            sig.signer_role, sig.signer_role_evidence = classify(
                sig.certificate.common_name, sig.certificate.organisation
            )
        sig.summary_vi = summarise_signature(sig)
    doc.conclusion_vi = document_conclusion(doc)
    doc.summary_vi = document_text(doc)


def document_text(doc: DocumentResult) -> str:
    step = next_step(doc.indication, doc.sub_indication)
    lines = [
        f"KẾT QUẢ KIỂM TRA CHỮ KÝ SỐ: {INDICATION_VI[doc.indication]}",
        document_conclusion(doc),
        f"Bước tiếp theo: {step.message_vi} ({step.code})",
    ]
    if doc.file_name:
        lines.append(f"Tệp: {doc.file_name}")
    lines.append(f"Chính sách kiểm tra: {doc.policy}")
    for w in doc.warnings:
        lines.append(f"Cảnh báo: {w.message_vi} ({w.code})")
    for sig in doc.signatures:
        lines.append("")
        lines.append(
            f"{signature_label(sig)} (số {sig.index + 1})"
            + (f" — trường {sig.field_name}" if sig.field_name else "")
        )
        lines.extend("  " + line for line in _summary(sig).lines(sig.kind))
        if sig.kind is Kind.SIGNATURE:
            sig_step = next_step(sig.indication, sig.sub_indication)
            lines.append(f"  Bước tiếp theo: {sig_step.message_vi} ({sig_step.code})")
        for w in sig.warnings:
            lines.append(f"  Cảnh báo: {w.message_vi} ({w.code})")
        for c in sig.checks:
            if c.status in (Status.FAILED, Status.INDETERMINATE, Status.WARNING):
                lines.append(f"  - {c.message_vi} ({c.code})")
    if doc.layout is not None:  # Decree 30/2020 layout: shown, never part of the verdict
        lines.append("")
        lines.extend(doc.layout.summary_lines_vi())
    return "\n".join(lines)


__all__ = [
    "INDICATION_VI",
    "ROLE_EN",
    "ROLE_VI",
    "VN_TZ",
    "document_conclusion",
    "document_text",
    "signature_label",
    "summarise_document",
    "summarise_signature",
    "vn_date",
    "vn_time",
]
