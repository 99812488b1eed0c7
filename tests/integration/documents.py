"""Real PDFs for tests: A4 pages with Vietnamese text in embedded, subset Liberation Serif.

Liberation Serif is metric-compatible with Times New Roman (what Decree 30/2020 asks for) and
covers Vietnamese; glyphs are shaped by pyHanko's OpenType engine with a ToUnicode map, so
``pdftotext`` gives the text back exactly.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

from tests.log_scan import DOCUMENT_MARKER

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
FONT_REGULAR = FONT_DIR / "LiberationSerif-Regular.ttf"
FONT_BOLD = FONT_DIR / "LiberationSerif-Bold.ttf"

# fontTools reports every table it drops while subsetting; that is expected here.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

MM = 72 / 25.4
A4 = (595.28, 841.89)
LEFT_MARGIN = 30 * MM  # Decree 30/2020 Appendix I: left 30-35 mm, right 15-20 mm
RIGHT_MARGIN = 20 * MM
TOP_MARGIN = 20 * MM
BOTTOM_MARGIN = 20 * MM


class _PerMilleGlyphAccumulator(GlyphAccumulator):
    """pyHanko 0.38 writes /W widths and TJ adjustments in font units, which PDF reads as
    thousandths of an em: right only for fonts with 1000 units per em. Liberation Serif has
    2048, so glyphs would be spaced twice too wide. Shaping at a 1000-unit scale fixes both."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._per_mille = 1000 / self.units_per_em
        self.hb_font.scale = (1000, 1000)
        self.units_per_em = 1000

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        cached = self._glyphs.get(glyph_id)
        if cached is not None:
            return cached
        cid, width = super()._get_cid_and_width(glyph_id)
        self._glyphs[glyph_id] = result = (cid, round(width * self._per_mille))
        return result


@dataclass
class _Page:
    ops: list[bytes] = field(default_factory=list)


class _Document:
    """A tiny layout engine: absolutely positioned lines of text on A4 pages."""

    def __init__(self) -> None:
        self.writer = PdfFileWriter(stream_xrefs=False)
        self._fonts: dict[str, GlyphAccumulator] = {}
        self.pages: list[_Page] = []

    def new_page(self) -> _Page:
        page = _Page()
        self.pages.append(page)
        return page

    def _font(self, bold: bool) -> tuple[str, GlyphAccumulator]:
        """Fonts are created on first use: an engine with no glyphs cannot be written."""
        name, path = ("/F2", FONT_BOLD) if bold else ("/F1", FONT_REGULAR)
        if name not in self._fonts:
            handle = BytesIO(path.read_bytes())  # fontTools reads tables lazily
            self._fonts[name] = _PerMilleGlyphAccumulator(self.writer, handle, 12)
        return name, self._fonts[name]

    def width(self, text: str, size: float, bold: bool = False) -> float:
        return self._font(bold)[1].shape(text).x_advance * size

    def text(
        self,
        page: _Page,
        x: float,
        y: float,
        text: str,
        size: float = 13,
        bold: bool = False,
        align: str = "left",
    ) -> None:
        """Draw one line; ``x`` is the left edge, centre or right edge depending on ``align``."""
        font, engine = self._font(bold)
        shaped = engine.shape(text)
        width = shaped.x_advance * size
        if align == "center":
            x -= width / 2
        elif align == "right":
            x -= width
        page.ops.append(
            b"BT %s %g Tf %.2f %.2f Td %s ET" % (font.encode(), size, x, y, shaped.graphics_ops)
        )

    def line(self, page: _Page, x1: float, y1: float, x2: float, y2: float) -> None:
        page.ops.append(b"q 0.6 w %.2f %.2f m %.2f %.2f l S Q" % (x1, y1, x2, y2))

    def output(self) -> bytes:
        resources = generic.DictionaryObject(
            {
                generic.pdf_name("/Font"): generic.DictionaryObject(
                    {generic.pdf_name(name): eng.as_resource() for name, eng in self._fonts.items()}
                )
            }
        )
        resources_ref = self.writer.add_object(resources)
        for page in self.pages:
            # The log scan's marker (tests/log_scan.py): a comment, invisible on the page.
            ops = [b"% " + DOCUMENT_MARKER.encode(), *page.ops]
            stream = generic.StreamObject(stream_data=b"\n".join(ops))
            contents = self.writer.add_object(stream)
            self.writer.insert_page(PageObject(contents, (0, 0, *A4), resources_ref))
        out = BytesIO()
        self.writer.write(out)
        return out.getvalue()


def make_pdf(lines: Sequence[str], pages: int = 1) -> bytes:
    """An A4 PDF with ``lines`` (13 pt) from the top of page 1, flowing onto further pages when
    needed; at least ``pages`` pages, every page after the first numbered at the top centre."""
    doc = _Document()
    leading = 13 * 1.5
    page = doc.new_page()
    y = A4[1] - TOP_MARGIN - 13
    for text in lines:
        if y < BOTTOM_MARGIN:
            page = doc.new_page()
            y = A4[1] - TOP_MARGIN - 13 - leading
        doc.text(page, LEFT_MARGIN, y, text)
        y -= leading
    while len(doc.pages) < pages:
        doc.new_page()
    for number, extra in enumerate(doc.pages[1:], start=2):
        doc.text(extra, A4[0] / 2, A4[1] - TOP_MARGIN + 12, str(number), size=13, align="center")
    return doc.output()


#: Text of the sample decision, for assertions in tests.
DECREE30_NAME = "Nguyễn Thị Hồng Nhung"
DECREE30_TITLE = ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
DECREE30_NUMBER = "Số: 15/QĐ-UBND"
DECREE30_BODY = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025;",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ",
    "về công tác văn thư;",
    "Xét đề nghị của Chánh Văn phòng Ủy ban nhân dân tỉnh.",
)
#: Vertical gap (pt) between the last title line's baseline and the name line's baseline.
DECREE30_SIGNATURE_GAP = 35 * MM


def decree30_pdf(date_line: str = "Sóc Trăng, ngày 05 tháng 01 năm 2026") -> bytes:
    """A one-page decision laid out after Decree 30/2020 Appendix I, unsigned."""
    doc = _Document()
    page = doc.new_page()
    width, height = A4
    left_col = LEFT_MARGIN + 35 * MM  # centre of the issuing-authority column
    right_col = width - RIGHT_MARGIN - 55 * MM  # centre of the national-motto column
    y = height - TOP_MARGIN - 12
    doc.text(page, left_col, y, "ỦY BAN NHÂN DÂN", size=12, align="center")
    doc.text(
        page, right_col, y, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True, align="center"
    )
    y -= 16
    doc.text(page, left_col, y, "TỈNH SÓC TRĂNG", size=13, bold=True, align="center")
    doc.text(page, right_col, y, "Độc lập - Tự do - Hạnh phúc", size=13, bold=True, align="center")
    doc.line(page, left_col - 15 * MM, y - 4, left_col + 15 * MM, y - 4)
    doc.line(page, right_col - 30 * MM, y - 4, right_col + 30 * MM, y - 4)
    y -= 28
    doc.text(page, left_col, y, DECREE30_NUMBER, size=13, align="center")
    doc.text(page, right_col, y, date_line, size=13, align="center")
    y -= 44
    centre = (LEFT_MARGIN + width - RIGHT_MARGIN) / 2
    doc.text(page, centre, y, "QUYẾT ĐỊNH", size=14, bold=True, align="center")
    y -= 18
    doc.text(
        page,
        centre,
        y,
        "Về việc ban hành Quy chế công tác văn thư",
        size=14,
        bold=True,
        align="center",
    )
    y -= 30
    doc.text(page, centre, y, "ỦY BAN NHÂN DÂN TỈNH SÓC TRĂNG", size=14, bold=True, align="center")
    y -= 28
    for text in DECREE30_BODY:
        doc.text(page, LEFT_MARGIN + 10 * MM, y, text, size=13)
        y -= 21
    y -= 10
    doc.text(page, centre, y, "QUYẾT ĐỊNH:", size=14, bold=True, align="center")
    y -= 24
    doc.text(
        page,
        LEFT_MARGIN + 10 * MM,
        y,
        "Điều 1. Ban hành kèm theo Quyết định này Quy chế công tác văn thư.",
        size=14,
    )
    y -= 21
    doc.text(
        page, LEFT_MARGIN + 10 * MM, y, "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.", size=14
    )

    # signature block (bottom right) and recipients (bottom left)
    sign_col = width - RIGHT_MARGIN - 40 * MM
    name_y = BOTTOM_MARGIN + 50
    title_y = name_y + DECREE30_SIGNATURE_GAP + 16
    doc.text(page, sign_col, title_y + 16, DECREE30_TITLE[0], size=14, bold=True, align="center")
    doc.text(page, sign_col, title_y, DECREE30_TITLE[1], size=14, bold=True, align="center")
    doc.text(page, sign_col, name_y, DECREE30_NAME, size=14, bold=True, align="center")
    ry = title_y + 16
    doc.text(page, LEFT_MARGIN, ry, "Nơi nhận:", size=12, bold=True)
    for item in ("- Như Điều 2;", "- CT, các PCT UBND tỉnh;", "- Lưu: VT, KT."):
        ry -= 14
        doc.text(page, LEFT_MARGIN, ry, item, size=11)
    return doc.output()
