"""The report for clerks: HTML and PDF, in Vietnamese, with a pass/fail banner per signature.

The PDF is written with pyHanko's writer and an embedded, subset Liberation
Serif (metric-compatible with Times New Roman, covers Vietnamese), so it
prints and extracts correctly without any font installed on the reader's side.
"""

from __future__ import annotations

import html
import logging
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

from kyso.pdf.fonts import SERIF_BOLD, SERIF_REGULAR, ShapingFont
from verifier.layout.model import LayoutStatus
from verifier.model import DocumentResult, Indication, Kind, Status
from verifier.summary_vi import INDICATION_VI, vn_time

logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

_A4 = (595.28, 841.89)
_MARGIN = 56.0
_COLOURS = {
    Indication.TOTAL_PASSED: ("#1b7f3a", (0.11, 0.50, 0.23)),
    Indication.TOTAL_FAILED: ("#b3261e", (0.70, 0.15, 0.12)),
    Indication.INDETERMINATE: ("#b26a00", (0.70, 0.42, 0.0)),
    Indication.NO_SIGNATURE_FOUND: ("#555555", (0.33, 0.33, 0.33)),
}

_LAYOUT_COLOURS = {
    LayoutStatus.PASSED: _COLOURS[Indication.TOTAL_PASSED],
    LayoutStatus.FAILED: _COLOURS[Indication.TOTAL_FAILED],
    LayoutStatus.WARNING: _COLOURS[Indication.INDETERMINATE],
    LayoutStatus.NOT_CHECKED: _COLOURS[Indication.NO_SIGNATURE_FOUND],
}


def _sections(doc: DocumentResult) -> list[tuple[str, Indication, list[str], list[str]]]:
    """(title, indication, summary lines, problem lines) per signature."""
    out = []
    for sig in doc.signatures:
        label = "Dấu thời gian tài liệu" if sig.kind is Kind.DOCUMENT_TIMESTAMP else "Chữ ký số"
        title = f"{label} {sig.index + 1}: {INDICATION_VI[sig.indication]}"
        lines = sig.summary_vi.lines(sig.kind)[1:] if sig.summary_vi is not None else []
        problems = [w.message_vi for w in sig.warnings]
        problems += [
            f"{c.message_vi} [{c.code}]"
            for c in sig.checks
            if c.status in (Status.FAILED, Status.INDETERMINATE, Status.WARNING)
        ]
        out.append((title, sig.indication, lines, problems))
    return out


def render_html(doc: DocumentResult) -> str:
    e = html.escape
    colour = _COLOURS[doc.indication][0]
    parts = [
        "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>",
        "<title>Kết quả kiểm tra chữ ký số</title>",
        "<style>body{font-family:'Times New Roman','Liberation Serif',serif;"
        "max-width:52em;margin:2em auto;}"
        ".banner{color:#fff;padding:.6em 1em;font-weight:bold;border-radius:4px}"
        "dl{display:grid;grid-template-columns:18em 1fr;gap:.2em 1em}dt{font-weight:bold}"
        ".problems li{color:#7a1d16}</style></head><body>",
        "<h1>Kết quả kiểm tra chữ ký số</h1>",
        f"<p class='banner' style='background:{colour}'>{e(INDICATION_VI[doc.indication])} — "
        f"{e(doc.conclusion_vi)}</p>",
        f"<p>Chính sách kiểm tra: <b>{e(doc.policy)}</b> · Thời điểm kiểm tra: "
        f"{e(vn_time(doc.validation_time))}"
        f" · SHA-256 của tệp: <code>{e(doc.document_sha256)}</code></p>",
    ]
    for w in doc.warnings:
        parts.append(f"<p class='problems'>Cảnh báo: {e(w.message_vi)} [{e(w.code)}]</p>")
    for title, ind, lines, problems in _sections(doc):
        parts.append(
            f"<h2 class='banner' style='background:{_COLOURS[ind][0]}'>{e(title)}</h2><dl>"
        )
        for line in lines:
            key, _, value = line.partition(": ")
            parts.append(f"<dt>{e(key)}</dt><dd>{e(value)}</dd>")
        parts.append("</dl>")
        if problems:
            parts.append(
                "<ul class='problems'>" + "".join(f"<li>{e(p)}</li>" for p in problems) + "</ul>"
            )
    if doc.layout is not None:
        title, *rest = doc.layout.summary_lines_vi()
        colour = _LAYOUT_COLOURS[doc.layout.status][0]
        parts.append(f"<h2 class='banner' style='background:{colour}'>{e(title)}</h2>")
        parts.append("<ul class='problems'>" + "".join(f"<li>{e(x.strip())}</li>" for x in rest))
        parts.append("</ul>")
    parts.append(
        "<p><small>Báo cáo do kyso tạo theo Thông tư 15/2025/TT-BKHCN.</small></p></body></html>"
    )
    return "".join(parts)


class _Pdf:
    def __init__(self) -> None:
        self.writer = PdfFileWriter(stream_xrefs=False)
        self.fonts: dict[str, ShapingFont] = {}
        self.pages: list[list[bytes]] = []
        self.y = 0.0
        self.new_page()

    def font(self, bold: bool) -> tuple[str, ShapingFont]:
        name, path = ("/F2", SERIF_BOLD) if bold else ("/F1", SERIF_REGULAR)
        if name not in self.fonts:
            self.fonts[name] = ShapingFont(self.writer, path, 12)
        return name, self.fonts[name]

    def new_page(self) -> None:
        self.pages.append([])
        self.y = _A4[1] - _MARGIN

    def _wrap(self, text: str, size: float, bold: bool, width: float) -> list[str]:
        _, engine = self.font(bold)
        words, lines, current = text.split(), [], ""
        for word in words:
            trial = f"{current} {word}".strip()
            if current and engine.shape(trial).x_advance * size > width:
                lines.append(current)
                current = word
            else:
                current = trial
        if current:
            lines.append(current)
        return lines or [""]

    def text(
        self,
        text: str,
        size: float = 11,
        bold: bool = False,
        indent: float = 0,
        colour: tuple[float, float, float] | None = None,
    ) -> None:
        width = _A4[0] - 2 * _MARGIN - indent
        for line in self._wrap(text, size, bold, width):
            if self.y < _MARGIN + size:
                self.new_page()
            name, engine = self.font(bold)
            shaped = engine.shape(line)
            fill = b"%.2f %.2f %.2f rg " % (colour or (0.0, 0.0, 0.0))
            self.pages[-1].append(
                b"BT %s%s %g Tf %.2f %.2f Td %s ET"
                % (fill, name.encode(), size, _MARGIN + indent, self.y, shaped.graphics_ops)
            )
            self.y -= size * 1.35

    def banner(self, text: str, colour: tuple[float, float, float]) -> None:
        n = len(self._wrap(text, 12, True, _A4[0] - 2 * _MARGIN - 6))
        h = 12 * 1.35 * n + 6
        if self.y - h < _MARGIN + 20:
            self.new_page()
        top = self.y + 12
        self.pages[-1].append(
            b"q %.2f %.2f %.2f rg %.2f %.2f %.2f %.2f re f Q"
            % (*colour, _MARGIN, top - h, _A4[0] - 2 * _MARGIN, h)
        )
        self.text(text, size=12, bold=True, indent=6, colour=(1, 1, 1))
        self.y -= 4

    def output(self) -> bytes:
        resources = generic.DictionaryObject(
            {
                generic.pdf_name("/Font"): generic.DictionaryObject(
                    {generic.pdf_name(n): f.as_resource() for n, f in self.fonts.items()}
                )
            }
        )
        ref = self.writer.add_object(resources)
        for ops in self.pages:
            contents = self.writer.add_object(generic.StreamObject(stream_data=b"\n".join(ops)))
            self.writer.insert_page(PageObject(contents, (0, 0, *_A4), ref))
        out = BytesIO()
        self.writer.write(out)
        return out.getvalue()


def render_pdf(doc: DocumentResult) -> bytes:
    pdf = _Pdf()
    pdf.text("KẾT QUẢ KIỂM TRA CHỮ KÝ SỐ", size=15, bold=True)
    pdf.y -= 4
    pdf.banner(
        f"{INDICATION_VI[doc.indication]} — {doc.conclusion_vi}", _COLOURS[doc.indication][1]
    )
    pdf.text(
        f"Chính sách kiểm tra: {doc.policy}. Thời điểm kiểm tra: {vn_time(doc.validation_time)}."
    )
    pdf.text(f"SHA-256 của tệp: {doc.document_sha256}", size=9)
    for w in doc.warnings:
        pdf.text(f"Cảnh báo: {w.message_vi} [{w.code}]")
    for title, ind, lines, problems in _sections(doc):
        pdf.y -= 8
        pdf.banner(title, _COLOURS[ind][1])
        for line in lines:
            pdf.text(line, indent=6)
        for p in problems:
            pdf.text(f"– {p}", size=10, indent=12)
    if doc.layout is not None:
        title, *rest = doc.layout.summary_lines_vi()
        pdf.y -= 8
        pdf.banner(title, _LAYOUT_COLOURS[doc.layout.status][1])
        for line in rest:
            pdf.text(line.strip(), size=10, indent=6)
    pdf.y -= 8
    pdf.text("Báo cáo do kyso tạo theo Thông tư 15/2025/TT-BKHCN.", size=9)
    return pdf.output()
