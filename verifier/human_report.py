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
from kyso.pdf.pdfa import declare_pdfa
from verifier import clerk_report
from verifier.layout.model import LayoutStatus
from verifier.model import DocumentResult, Indication

logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

_A4 = (595.28, 841.89)
_MARGIN = 56.0
_CODE_COLUMN = 150.0  # points on the right of a row for its English code
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


def render_html(doc: DocumentResult) -> str:
    """The clerk's report as one HTML page (UTF-8, no external resource): codes in their own
    column, the next step for each conclusion, the file named when the caller gave its name."""
    e = html.escape
    report = clerk_report.build(doc)

    def table(rows: list[clerk_report.Row]) -> str:
        cells = "".join(
            f"<tr><th>{e(r.label)}</th><td>{e(r.text)}</td><td class='code'>{e(r.code)}</td></tr>"
            for r in rows
        )
        return f"<table>{cells}</table>"

    parts = [
        "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>",
        f"<title>{e(report.title.capitalize())}</title>",
        "<style>body{font-family:'Times New Roman','Liberation Serif',serif;"
        "max-width:56em;margin:2em auto;}"
        ".banner{color:#fff;padding:.6em 1em;font-weight:bold;border-radius:4px}"
        "table{border-collapse:collapse;width:100%}th{text-align:left;width:16em;"
        "vertical-align:top;padding:.15em .6em .15em 0}td{vertical-align:top;padding:.15em 0}"
        "td.code{font-family:monospace;font-size:.8em;color:#555;width:14em;padding-left:1em}"
        "</style></head><body>",
        f"<h1>{e(report.title)}</h1>",
        f"<p class='banner' style='background:{_COLOURS[report.indication][0]}'>"
        f"{e(report.banner)}</p>",
        table(report.header),
    ]
    for section in report.sections:
        colour = _COLOURS[section.indication][0]
        parts.append(f"<h2 class='banner' style='background:{colour}'>{e(section.title)}</h2>")
        parts.append(table(section.rows))
    if doc.layout is not None:
        title, *rest = doc.layout.summary_lines_vi()
        colour = _LAYOUT_COLOURS[doc.layout.status][0]
        parts.append(f"<h2 class='banner' style='background:{colour}'>{e(title)}</h2>")
        parts.append("<ul>" + "".join(f"<li>{e(x.strip())}</li>" for x in rest) + "</ul>")
    parts.append(f"<p><small>{e(report.footer)}</small></p></body></html>")
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
            self._line(line, size, bold, indent, colour)

    def row(self, row: clerk_report.Row) -> None:
        """A labelled line: the label in bold, the text wrapped, the code small on the right."""
        size, indent = 10.0, 6.0
        code_width = _CODE_COLUMN if row.code else 0.0
        width = _A4[0] - 2 * _MARGIN - indent - code_width
        text = f"{row.label}: {row.text}" if row.label else row.text
        lines = self._wrap(text, size, False, width)
        if self.y < _MARGIN + size * 1.35 * min(len(lines), 3):
            self.new_page()
        if row.code:
            name, engine = self.font(False)
            shaped = engine.shape(row.code)
            x = _A4[0] - _MARGIN - min(shaped.x_advance * 7, code_width - 4)
            self.pages[-1].append(
                b"BT 0.40 0.40 0.40 rg %s 7 Tf %.2f %.2f Td %s ET"
                % (name.encode(), x, self.y, shaped.graphics_ops)
            )
        for line in lines:
            self._line(line, size, False, indent, None)

    def _line(
        self,
        line: str,
        size: float,
        bold: bool,
        indent: float,
        colour: tuple[float, float, float] | None,
    ) -> None:
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

    def _footer(self, number: int, total: int, file_name: str) -> bytes:
        """ "Trang X/Y" at the bottom right, the file's name (shortened) at the bottom left."""
        name, engine = self.font(False)
        page = engine.shape(f"Trang {number}/{total}")
        ops = b"BT 0.30 0.30 0.30 rg %s 8 Tf %.2f %.2f Td %s ET" % (
            name.encode(),
            _A4[0] - _MARGIN - page.x_advance * 8,
            _MARGIN / 2,
            page.graphics_ops,
        )
        if file_name:
            short = file_name if len(file_name) <= 80 else file_name[:77] + "…"
            left = engine.shape(short)
            ops += b" BT 0.30 0.30 0.30 rg %s 8 Tf %.2f %.2f Td %s ET" % (
                name.encode(),
                _MARGIN,
                _MARGIN / 2,
                left.graphics_ops,
            )
        return ops

    def output(self, file_name: str = "") -> bytes:
        total = len(self.pages)
        footers = [self._footer(i + 1, total, file_name) for i in range(total)]
        resources = generic.DictionaryObject(
            {
                generic.pdf_name("/Font"): generic.DictionaryObject(
                    {generic.pdf_name(n): f.as_resource() for n, f in self.fonts.items()}
                )
            }
        )
        ref = self.writer.add_object(resources)
        for ops, footer in zip(self.pages, footers, strict=True):
            data = b"\n".join([*ops, footer])
            contents = self.writer.add_object(generic.StreamObject(stream_data=data))
            self.writer.insert_page(PageObject(contents, (0, 0, *_A4), ref))
        declare_pdfa(self.writer, 2, "B", "Kết quả kiểm tra chữ ký số")
        out = BytesIO()
        self.writer.write(out)
        return out.getvalue()


def render_pdf(doc: DocumentResult) -> bytes:
    """The clerk's report as an A4 PDF with embedded fonts, "Trang X/Y" on every page and the
    codes in a narrow column on the right."""
    report = clerk_report.build(doc)
    pdf = _Pdf()
    pdf.text(report.title, size=15, bold=True)
    pdf.y -= 4
    pdf.banner(report.banner, _COLOURS[report.indication][1])
    for row in report.header:
        pdf.row(row)
    for section in report.sections:
        pdf.y -= 8
        pdf.banner(section.title, _COLOURS[section.indication][1])
        for row in section.rows:
            pdf.row(row)
    if doc.layout is not None:
        title, *rest = doc.layout.summary_lines_vi()
        pdf.y -= 8
        pdf.banner(title, _LAYOUT_COLOURS[doc.layout.status][1])
        for line in rest:
            pdf.text(line.strip(), size=10, indent=6)
    pdf.y -= 8
    pdf.text(report.footer, size=9)
    return pdf.output(doc.file_name)
