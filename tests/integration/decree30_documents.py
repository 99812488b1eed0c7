"""Decree 30/2020 documents for the layout tests, in the variants issue 10 lists.

Real PDFs: text in embedded, subset Liberation Serif (regular, bold, italic, bold italic:
Times New Roman metrics, Vietnamese coverage), shaped with pyHanko's OpenType engine and a
ToUnicode map, laid out after Decree 30/2020 Appendix I (A4, margins 20/20/30/20 mm, the
header in two columns, place and date in italics on the number's row, the signer block bottom
right, the recipients bottom left). :class:`Spec` switches each element; :func:`scanned`
renders a document and wraps the picture as an image-only PDF (what an office scanner makes).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from documents import FONT_DIR, _PerMilleGlyphAccumulator
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

MM = 72 / 25.4
A4 = (595.28, 841.89)
LETTER = (612.0, 792.0)
LEFT, RIGHT, TOP, BOTTOM = 30 * MM, 20 * MM, 20 * MM, 20 * MM
FONTS = {
    "regular": ("/F1", FONT_DIR / "LiberationSerif-Regular.ttf"),
    "bold": ("/F2", FONT_DIR / "LiberationSerif-Bold.ttf"),
    "italic": ("/F3", FONT_DIR / "LiberationSerif-Italic.ttf"),
    "bold_italic": ("/F4", FONT_DIR / "LiberationSerif-BoldItalic.ttf"),
}
#: gap between the last title line's baseline and the name line's baseline
SIGNATURE_GAP = 35 * MM
NAME_BASELINE = BOTTOM + 60


@dataclass(frozen=True)
class Block:
    titles: tuple[str, ...] = ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    name: str = "Nguyễn Thị Hồng Nhung"


@dataclass(frozen=True)
class Spec:
    issuer: tuple[str, ...] = ("ỦY BAN NHÂN DÂN", "TỈNH SÓC TRĂNG")
    title: str | None = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    motto: str | None = "Độc lập - Tự do - Hạnh phúc"
    number: str = "Số: 15/QĐ-UBND"
    place_date: str = "Sóc Trăng, ngày 05 tháng 01 năm 2026"
    place_date_italic: bool = True
    type_name: str = "QUYẾT ĐỊNH"
    subject: str = "Về việc ban hành Quy chế công tác văn thư"
    extra_pages: int = 0  # body pages before the page with the signer block
    recipients: tuple[str, ...] = ("- Như Điều 2;", "- CT, các PCT UBND tỉnh;", "- Lưu: VT, KT.")
    blocks: tuple[Block, ...] = (Block(),)
    size: tuple[float, float] = A4
    rotate: int = 0  # 90: a landscape page, MediaBox portrait with /Rotate 90
    attachment: bool = False  # a separate appendix instead of the main document
    plain_text: bool = False  # no /ActualText spans (for geometry_documents.turned: see build)
    body: tuple[str, ...] = field(
        default=(
            "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025;",
            "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ;",
            "Xét đề nghị của Chánh Văn phòng Ủy ban nhân dân tỉnh.",
        )
    )


class _Doc:
    def __init__(self, width: float, height: float) -> None:
        self.writer = PdfFileWriter(stream_xrefs=False)
        self.fonts: dict[str, GlyphAccumulator] = {}
        self.pages: list[list[bytes]] = []
        self.width, self.height = width, height
        self.plain_text = False

    def font(self, style: str) -> tuple[str, GlyphAccumulator]:
        name, path = FONTS[style]
        if name not in self.fonts:
            handle = io.BytesIO(Path(path).read_bytes())
            self.fonts[name] = _PerMilleGlyphAccumulator(self.writer, handle, 12)
        return name, self.fonts[name]

    def text(
        self, x: float, y: float, text: str, size: float = 13, style: str = "regular",
        align: str = "left",
    ) -> None:  # fmt: skip
        name, engine = self.font(style)
        shaped = engine.shape(text)
        width = shaped.x_advance * size
        if align == "center":
            x -= width / 2
        elif align == "right":
            x -= width
        ops = shaped.graphics_ops
        if self.plain_text:  # without pyHanko's /ActualText spans: the ToUnicode map speaks
            ops = re.sub(rb"/Span <<.*?>> BDC|EMC", b"", ops, flags=re.S)
        self.pages[-1].append(b"BT %s %g Tf %.2f %.2f Td %s ET" % (name.encode(), size, x, y, ops))

    def output(self, media: tuple[float, float], rotate: int) -> bytes:
        fonts = generic.DictionaryObject(
            {generic.pdf_name(n): e.as_resource() for n, e in self.fonts.items()}
        )
        resources = self.writer.add_object(
            generic.DictionaryObject({generic.pdf_name("/Font"): fonts})
        )
        for ops in self.pages:
            if rotate == 90:  # canvas (landscape, as seen) → user space of the portrait page
                ops = [b"q 0 1 -1 0 %.2f 0 cm" % media[0], *ops, b"Q"]
            stream = self.writer.add_object(generic.StreamObject(stream_data=b"\n".join(ops)))
            page = PageObject(stream, (0, 0, *media), resources)
            if rotate:
                page[generic.pdf_name("/Rotate")] = generic.NumberObject(rotate)
            self.writer.insert_page(page)
        out = io.BytesIO()
        self.writer.write(out)
        return out.getvalue()


def block_columns(spec: Spec) -> list[float]:
    """Centre x of each signer block's column (as seen)."""
    width = _canvas(spec)[0]
    right = width - RIGHT - 40 * MM
    if len(spec.blocks) == 1:
        return [right]
    return [LEFT + 40 * MM, right][: len(spec.blocks)]


def _canvas(spec: Spec) -> tuple[float, float]:
    w, h = spec.size
    return (h, w) if spec.rotate in (90, 270) else (w, h)


def build(spec: Spec = Spec()) -> bytes:
    """The document ``spec`` describes, unsigned."""
    width, height = _canvas(spec)
    doc = _Doc(width, height)
    # PDFium places the characters of an /ActualText span along the span's box, which is wrong
    # once the page content is turned (docs/layout.md); real producers rarely write such spans
    doc.plain_text = spec.rotate != 0 or spec.plain_text
    doc.pages.append([])
    left_col = LEFT + 35 * MM
    right_col = width - RIGHT - 55 * MM
    y = height - TOP - 12
    if spec.attachment:
        doc.text(width / 2, y, "Phụ lục", 14, "bold", "center")
        y -= 18
        doc.text(width / 2, y, "DANH SÁCH CÁN BỘ ĐƯỢC CỬ ĐI BỒI DƯỠNG", 14, "bold", "center")
        y -= 18
        doc.text(
            width / 2, y, "(Kèm theo Quyết định số 15/QĐ-UBND ngày 05 tháng 01 năm 2026 "
            "của Ủy ban nhân dân tỉnh Sóc Trăng)", 12, "italic", "center",
        )  # fmt: skip
        y -= 30
        for i in range(1, 6):
            doc.text(LEFT, y, f"{i}. Cán bộ số {i}, Văn phòng Ủy ban nhân dân tỉnh.", 13)
            y -= 20
        return doc.output(spec.size, spec.rotate)
    row = y
    for i, line in enumerate(spec.issuer):
        doc.text(left_col, row, line, 12 if i == 0 else 13, "regular" if i == 0 else "bold",
                 "center")  # fmt: skip
        row -= 16
    if spec.title:
        doc.text(right_col, y, spec.title, 12, "bold", "center")
    if spec.motto:
        doc.text(right_col, y - 16, spec.motto, 13, "bold", "center")
    y = min(row, y - 16) - 28
    doc.text(left_col, y, spec.number, 13, "regular", "center")
    doc.text(right_col, y, spec.place_date, 13, "italic" if spec.place_date_italic else
             "regular", "center")  # fmt: skip
    y -= 44
    centre = (LEFT + width - RIGHT) / 2
    doc.text(centre, y, spec.type_name, 14, "bold", "center")
    y -= 18
    doc.text(centre, y, spec.subject, 14, "bold", "center")
    y -= 34
    for line in spec.body:
        doc.text(LEFT + 10 * MM, y, line, 13)
        y -= 21
    for n in range(spec.extra_pages):
        doc.pages.append([])
        doc.text(width / 2, height - TOP + 12, str(n + 2), 13, "regular", "center")
        yy = height - TOP - 30
        for k in range(20):
            doc.text(LEFT + 10 * MM, yy, f"Điều {k + 3 + 20 * n}. Nội dung quy định thứ {k}.", 13)
            yy -= 21
    y = min(y, height - TOP - 60) - 20 if spec.extra_pages else y - 10
    doc.text(LEFT + 10 * MM, y, "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.", 14)
    # signer block(s) bottom right (joint documents: left and right), recipients bottom left
    title_top = NAME_BASELINE + SIGNATURE_GAP + 16 * (max(len(b.titles) for b in spec.blocks) - 1)
    for block, col in zip(spec.blocks, block_columns(spec), strict=True):
        ty = title_top
        for t in block.titles:
            doc.text(col, ty, t, 14, "bold", "center")
            ty -= 16
        doc.text(col, NAME_BASELINE, block.name, 14, "bold", "center")
    if spec.recipients and len(spec.blocks) < 2:
        ry = title_top
        doc.text(LEFT, ry, "Nơi nhận:", 12, "bold_italic")
        for item in spec.recipients:
            ry -= 14
            doc.text(LEFT, ry, item, 11)
    return doc.output(spec.size, spec.rotate)


def signature_area(spec: Spec = Spec(), index: int = 0) -> tuple[float, float, float, float]:
    """A rectangle (user space, unrotated A4) between block ``index``'s title and name."""
    col = block_columns(spec)[index]
    top = NAME_BASELINE + SIGNATURE_GAP - 16
    return (col - 30 * MM, NAME_BASELINE + 20, col + 30 * MM, top)


def scanned(pdf: bytes, dpi: int = 200) -> bytes:
    """``pdf`` rendered page by page and wrapped as an image-only PDF of the same page size."""
    from PIL import Image

    from kyso.layout.ocr import render
    from kyso.layout.text import close_document, open_document

    doc = open_document(pdf)  # PDFium calls under kyso's process-wide lock
    try:
        images = [Image.open(io.BytesIO(render(doc, i, dpi))) for i in range(len(doc))]
    finally:
        close_document(doc)
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return out.getvalue()


CORRECT = Spec()
VARIANTS: dict[str, Spec] = {
    "correct": CORRECT,
    "number_not_padded": replace(CORRECT, number="Số: 5/QĐ-UBND"),
    "number_lower_case": replace(CORRECT, number="Số: 05/qđ-ubnd"),
    "no_motto": replace(CORRECT, motto=None),
    "recipients_without_archive": replace(
        CORRECT, recipients=("- Như Điều 2;", "- CT, các PCT UBND tỉnh.")
    ),
    "letter": replace(CORRECT, size=LETTER),
    "rotated_landscape": replace(CORRECT, rotate=90),
    "two_column_header": replace(
        CORRECT,
        issuer=("BỘ KHOA HỌC VÀ CÔNG NGHỆ", "CỤC AN TOÀN BỨC XẠ", "VÀ HẠT NHÂN"),
        number="Số: 15/QĐ-ATBXHN",
        place_date="Hà Nội, ngày 05 tháng 01 năm 2026",
    ),
    "two_signer_blocks": replace(
        CORRECT,
        blocks=(
            Block(("TM. BAN CHẤP HÀNH", "CHỦ TỊCH"), "Trần Văn Bình"),
            Block(("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"), "Nguyễn Thị Hồng Nhung"),
        ),
    ),
    "long": replace(CORRECT, extra_pages=2),
    "attachment": replace(CORRECT, attachment=True),
}
