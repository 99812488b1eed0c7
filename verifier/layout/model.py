"""The layout report's data: plain, independent of protobuf (mapped in kyso/server)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from verifier.model import Level


class LayoutStatus(enum.Enum):
    PASSED = "PASSED"  # no FAIL or WARN finding
    FAILED = "FAILED"  # at least one FAIL finding: unacceptable under the policy
    WARNING = "WARNING"  # WARN findings only
    NOT_CHECKED = "NOT_CHECKED"  # layout checking off, or page 1 could not be read


class DocumentKind(enum.Enum):
    MAIN = "main"
    ATTACHMENT = "attachment"
    COPY = "copy"
    UNKNOWN = "unknown"


class Outcome(enum.Enum):
    VIOLATED = "VIOLATED"  # the rule does not hold
    UNKNOWN = "UNKNOWN"  # it could not be established (ambiguous, unreadable)
    NOT_APPLICABLE = "NOT_APPLICABLE"  # the rule does not apply to this document
    MEASURED = "MEASURED"  # the rule holds; the finding records a measurement (INFORM)


@dataclass
class Finding:
    rule: str  # stable rule id, e.g. NUMBER_SYMBOL
    code: str  # stable finding code, e.g. NUMBER_SYMBOL_NOT_PADDED
    severity: Level
    outcome: Outcome
    page: int | None
    rect: tuple[float, float, float, float] | None  # PDF user space, points
    expected: str
    found: str
    message_en: str
    message_vi: str
    text_source: str = ""  # text_layer, ocr, signature (widgets) or "" (not from text)


@dataclass
class LayoutReport:
    status: LayoutStatus
    document_kind: DocumentKind = DocumentKind.UNKNOWN
    kind_evidence: str = ""
    text_source: str = "none"  # text_layer, ocr, none
    findings: list[Finding] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)  # rule ids that hold
    ocr_pages: list[int] = field(default_factory=list)
    elapsed_ms: float = 0.0
    policy: str = ""

    def summary_lines_vi(self) -> list[str]:
        """The report for clerks, in Vietnamese (FAIL and WARN findings; INFORM counted)."""
        lines = [f"Thể thức văn bản (Nghị định 30/2020/NĐ-CP): {STATUS_VI[self.status]}"]
        lines.append(
            f"Loại văn bản: {KIND_VI[self.document_kind]}; nguồn văn bản: "
            f"{SOURCE_VI.get(self.text_source, self.text_source)}"
        )
        for f in self.findings:
            if f.severity in (Level.FAIL, Level.WARN):
                where = f" (trang {f.page})" if f.page else ""
                lines.append(f"  - [{f.severity.value}] {f.message_vi}{where} [{f.code}]")
        return lines


STATUS_VI = {
    LayoutStatus.PASSED: "ĐÚNG THỂ THỨC",
    LayoutStatus.FAILED: "SAI THỂ THỨC",
    LayoutStatus.WARNING: "CÓ ĐIỂM CẦN LƯU Ý",
    LayoutStatus.NOT_CHECKED: "CHƯA KIỂM TRA ĐƯỢC",
}
KIND_VI = {
    DocumentKind.MAIN: "văn bản chính",
    DocumentKind.ATTACHMENT: "phụ lục / tài liệu kèm theo",
    DocumentKind.COPY: "bản sao điện tử",
    DocumentKind.UNKNOWN: "không xác định",
}
SOURCE_VI = {
    "text_layer": "lớp văn bản của tệp PDF",
    "ocr": "nhận dạng ký tự (OCR) từ ảnh quét",
    "none": "không đọc được nội dung",
}
