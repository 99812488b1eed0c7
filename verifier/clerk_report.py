"""What the clerk's report says, once, for both renderings (HTML and PDF).

Each line is Vietnamese running text with its stable English code kept beside it (a code
column), never inside the sentence. Signatures are named by their signer's Decree 30 role;
every conclusion carries its next step (:mod:`verifier.next_steps`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from kyso.errors import InvalidInput
from verifier.model import DocumentResult, Indication, Kind, Status
from verifier.next_steps import next_step
from verifier.summary_vi import INDICATION_VI, signature_label, vn_time

#: The longest file name a report names (code points, after sanitising): NTFS/ext4's 255.
MAX_FILE_NAME_CHARS = 255


def file_base_name(raw: str) -> str:
    """The caller's file name as a report shows it: NFC, the last path component (``/`` or
    ``\\``), control and format characters removed, spaces collapsed; "" for none.

    Raises InvalidInput ``OPTION_INVALID`` when longer than :data:`MAX_FILE_NAME_CHARS`.
    """
    text = unicodedata.normalize("NFC", raw)
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    text = " ".join(text.split())
    if len(text) > MAX_FILE_NAME_CHARS:
        raise InvalidInput(
            "OPTION_INVALID",
            option="file_name",
            problem=f"longer than {MAX_FILE_NAME_CHARS} characters",
        )
    return "" if text in (".", "..") else text


@dataclass
class Row:
    """One line: Vietnamese text, and the stable English code beside it ("" for none)."""

    text: str
    code: str = ""
    label: str = ""  # a field name ("Người ký") shown before the text


@dataclass
class Section:
    title: str
    indication: Indication
    rows: list[Row] = field(default_factory=list)


@dataclass
class ClerkReport:
    title: str
    banner: str
    indication: Indication
    header: list[Row]
    sections: list[Section]
    footer: str


def build(doc: DocumentResult) -> ClerkReport:
    """The report's content from a validated document (nothing is judged here)."""
    step = next_step(doc.indication, doc.sub_indication)
    header = []
    if doc.file_name:
        header.append(Row(doc.file_name, label="Tệp"))
    header += [
        Row(doc.document_sha256, label="SHA-256 của tệp"),
        Row(doc.policy, label="Chính sách kiểm tra"),
        Row(vn_time(doc.validation_time), label="Thời điểm kiểm tra"),
        Row(step.message_vi, step.code, label="Bước tiếp theo"),
    ]
    header += [Row(w.message_vi, w.code, label="Cảnh báo") for w in doc.warnings]
    sections = []
    for sig in doc.signatures:
        title = f"{signature_label(sig)} (số {sig.index + 1}): {INDICATION_VI[sig.indication]}"
        section = Section(title, sig.indication)
        if sig.summary_vi is not None:
            for line in sig.summary_vi.lines(sig.kind)[1:]:
                label, _, value = line.partition(": ")
                section.rows.append(Row(value, label=label))
        if sig.sub_indication.value != "NONE":
            section.rows.append(
                Row(INDICATION_VI[sig.indication], sig.sub_indication.value, label="Kết luận")
            )
        if sig.kind is Kind.SIGNATURE:
            sig_step = next_step(sig.indication, sig.sub_indication)
            section.rows.append(Row(sig_step.message_vi, sig_step.code, label="Bước tiếp theo"))
        section.rows += [Row(w.message_vi, w.code, label="Lưu ý") for w in sig.warnings]
        section.rows += [
            Row(c.message_vi, c.code, label="Vấn đề")
            for c in sig.checks
            if c.status in (Status.FAILED, Status.INDETERMINATE, Status.WARNING)
        ]
        sections.append(section)
    return ClerkReport(
        title="KẾT QUẢ KIỂM TRA CHỮ KÝ SỐ",
        banner=f"{INDICATION_VI[doc.indication]} — {doc.conclusion_vi}",
        indication=doc.indication,
        header=header,
        sections=sections,
        footer="Báo cáo do kyso tạo theo Thông tư 15/2025/TT-BKHCN.",
    )


__all__ = ["MAX_FILE_NAME_CHARS", "ClerkReport", "Row", "Section", "build", "file_base_name"]
