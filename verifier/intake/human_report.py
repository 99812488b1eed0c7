"""The intake report for clerks, HTML or PDF, in Vietnamese: the conclusion, the package's
header, the findings, the cross-check table and each attachment's verification summary.

The PDF uses the verifier's report writer (embedded, subset Liberation Serif).
"""

from __future__ import annotations

import html

from kyso.edxml.model import Family
from verifier.human_report import _Pdf
from verifier.intake.model import Conclusion, IntakeResult, MatchLevel

_TITLE = {
    Conclusion.ACCEPT: "TIẾP NHẬN",
    Conclusion.ACCEPT_WITH_WARNINGS: "TIẾP NHẬN CÓ LƯU Ý",
    Conclusion.RETURN_TO_SENDER: "TRẢ LẠI NƠI GỬI",
}
_COLOUR = {
    Conclusion.ACCEPT: ("#1b7f3a", (0.11, 0.50, 0.23)),
    Conclusion.ACCEPT_WITH_WARNINGS: ("#b26a00", (0.70, 0.42, 0.0)),
    Conclusion.RETURN_TO_SENDER: ("#b3261e", (0.70, 0.15, 0.12)),
}
_LEVEL_VI = {
    MatchLevel.EXACT: "khớp",
    MatchLevel.NORMALISED: "khớp (sau chuẩn hóa)",
    MatchLevel.WITHOUT_DIACRITICS: "khớp khi bỏ dấu",
    MatchLevel.MISMATCH: "KHÔNG KHỚP",
    MatchLevel.NOT_FOUND: "không tìm thấy trên văn bản",
    MatchLevel.NOT_COMPARED: "không đối chiếu",
}
_FIELD_VI = {
    "number": "Số, ký hiệu",
    "date": "Ngày ban hành",
    "signing_time": "Ngày ký số của cơ quan",
    "place": "Địa danh",
    "issuer": "Cơ quan ban hành (phần đầu văn bản)",
    "issuer_certificate": "Cơ quan ban hành (chứng thư số của cơ quan)",
    "signer": "Người ký (phần chữ ký)",
    "signer_certificate": "Người ký (chứng thư số cá nhân)",
    "competence": "Quyền hạn ký",
    "position": "Chức vụ",
}


def _lines(result: IntakeResult, summaries: dict[int, str]) -> list[tuple[str, list[str]]]:
    """(section title, lines) in reading order."""
    p, h = result.package, result.package.header
    sections: list[tuple[str, list[str]]] = []
    head = [f"Loại gói tin: {p.family.value}; SHA-256: {p.sha256}"]
    if p.family is Family.DOCUMENT:
        head += [
            f"Nơi gửi: {h.sender.organ_name} ({h.sender.organ_id})",
            "Nơi nhận: " + "; ".join(f"{r.organ_name} ({r.organ_id})" for r in h.recipients),
            f"Số, ký hiệu: {h.code_number}/{h.code_notation}",
            f"Địa danh, ngày ban hành: {h.place}, {h.promulgation_date}",
            f"Loại văn bản: {h.type_name}; trích yếu: {h.subject}",
            f"Người ký: {h.signer_competence} {h.signer_position} {h.signer_full_name}".strip(),
            f"Độ khẩn: {h.priority}; loại nghiệp vụ: {h.business_doc_type or '0'}",
        ]
    sections.append(("Thông tin gói tin", head))
    if result.findings:
        sections.append(
            (
                "Các điểm cần lưu ý",
                [f"[{f.severity.value}] {f.message_vi} ({f.rule})" for f in result.findings],
            )
        )
    if result.cross_checks:
        sections.append(
            (
                "Đối chiếu thông tin gói tin với văn bản",
                [
                    f"{_FIELD_VI.get(c.field, c.field)}: gói tin «{c.header_value}», văn bản "
                    f"«{c.document_value}» — {_LEVEL_VI[c.level]}"
                    for c in result.cross_checks
                ],
            )
        )
    for i, a in enumerate(p.attachments):
        text = summaries.get(i, "không kiểm tra chữ ký (không phải PDF hoặc không đọc được)")
        sections.append((f"Tệp đính kèm {i + 1}: {a.attachment_name}", text.splitlines()))
    return sections


def render_html(result: IntakeResult, summaries: dict[int, str]) -> str:
    colour = _COLOUR[result.conclusion][0]
    parts = [
        '<!doctype html><html lang="vi"><meta charset="utf-8"><title>Kết quả tiếp nhận</title>',
        "<h1>KẾT QUẢ KIỂM TRA GÓI TIN ĐẾN</h1>",
        f'<p style="background:{colour};color:#fff;padding:6px"><b>'
        f"{html.escape(_TITLE[result.conclusion])}</b> — {html.escape(result.conclusion_vi)}"
        f"{' (mã trạng thái ' + result.status_code + ')' if result.status_code else ''}</p>",
    ]
    for title, lines in _lines(result, summaries):
        parts.append(f"<h2>{html.escape(title)}</h2><ul>")
        parts.extend(f"<li>{html.escape(line)}</li>" for line in lines)
        parts.append("</ul>")
    parts.append("</html>")
    return "\n".join(parts)


def render_pdf(result: IntakeResult, summaries: dict[int, str]) -> bytes:
    pdf = _Pdf()
    pdf.text("KẾT QUẢ KIỂM TRA GÓI TIN ĐẾN", size=15, bold=True)
    pdf.y -= 4
    code = f" (mã trạng thái {result.status_code})" if result.status_code else ""
    pdf.banner(
        f"{_TITLE[result.conclusion]} — {result.conclusion_vi}{code}",
        _COLOUR[result.conclusion][1],
    )
    for title, lines in _lines(result, summaries):
        pdf.y -= 6
        pdf.text(title, size=12, bold=True)
        for line in lines:
            pdf.text(line, size=10, indent=6)
    pdf.y -= 8
    pdf.text("Báo cáo do kyso tạo (tiếp nhận gói tin edXML, QCVN 102:2016/BTTTT).", size=9)
    return pdf.output()


__all__ = ["render_html", "render_pdf"]
