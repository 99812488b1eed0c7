"""A sample draft for the demo: a one-page decision laid out after Decree 30/2020 Appendix I.

Written by the embedded defaults next to the demo keys (``demo/mau-quyet-dinh.pdf``) so that
the README's tour can sign something real: ``kyso sign`` without ``--anchor`` finds its signer
block (title lines "KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH", the space for the signature, the demo
signer's name), and ``kyso layout`` finds nothing wrong with it before or after signing.

A4 with the margins of Appendix I (top and bottom 20 mm, left 30 mm, right 20 mm), the header
in two columns (issuer | national title and motto), number and place-date on one row (the date
in italics), type and subject centred, the signer block bottom right and the recipients bottom
left; Liberation Serif (Times New Roman metrics, Vietnamese coverage), embedded as subsets by
:mod:`kyso.pdf.fonts` with ToUnicode maps, so the text extracts exactly.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

from kyso.pdf import fonts

MM = 72 / 25.4
_A4 = (595.28, 841.89)
_LEFT, _RIGHT, _TOP, _BOTTOM = 30 * MM, 20 * MM, 20 * MM, 20 * MM
_STYLES = {
    "regular": ("/F1", fonts.SERIF_REGULAR),
    "bold": ("/F2", fonts.SERIF_BOLD),
    "italic": ("/F3", fonts.FONT_DIR / "LiberationSerif-Italic.ttf"),
    "bold_italic": ("/F4", fonts.FONT_DIR / "LiberationSerif-BoldItalic.ttf"),
}
#: file name of the sample in the demo directory
SAMPLE_NAME = "mau-quyet-dinh.pdf"

# (x, y of the baseline in points, text, size, style, alignment), filled by sample_decision
_Run = tuple[float, float, str, float, str, str]


def _runs(signer_name: str) -> list[_Run]:
    width, height = _A4
    left_col = _LEFT + 35 * MM
    right_col = width - _RIGHT - 55 * MM
    centre = (_LEFT + width - _RIGHT) / 2
    runs: list[_Run] = []
    y = height - _TOP - 12
    runs += [
        (left_col, y, "ỦY BAN NHÂN DÂN", 12, "regular", "center"),
        (left_col, y - 16, "TỈNH DEMO", 13, "bold", "center"),
        (right_col, y, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, "bold", "center"),
        (right_col, y - 16, "Độc lập - Tự do - Hạnh phúc", 13, "bold", "center"),
    ]
    y -= 16 + 28
    runs += [
        (left_col, y, "Số: 01/QĐ-UBND", 13, "regular", "center"),
        (right_col, y, "Demo, ngày 05 tháng 01 năm 2026", 13, "italic", "center"),
    ]
    y -= 44
    runs += [
        (centre, y, "QUYẾT ĐỊNH", 14, "bold", "center"),
        (centre, y - 18, "Về việc ban hành Quy chế công tác văn thư", 14, "bold", "center"),
        (centre, y - 48, "ỦY BAN NHÂN DÂN TỈNH DEMO", 14, "bold", "center"),
    ]
    y -= 82
    for line in (
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025;",
        "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ;",
        "Xét đề nghị của Chánh Văn phòng Ủy ban nhân dân tỉnh.",
    ):
        runs.append((_LEFT + 10 * MM, y, line, 13, "regular", "left"))
        y -= 21
    runs.append((centre, y - 10, "QUYẾT ĐỊNH:", 14, "bold", "center"))
    y -= 34
    for line in (
        "Điều 1. Ban hành kèm theo Quyết định này Quy chế công tác văn thư.",
        "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
    ):
        runs.append((_LEFT + 10 * MM, y, line, 14, "regular", "left"))
        y -= 21
    # the signer block (Appendix I box 7) bottom right, the recipients (box 9) bottom left
    column = width - _RIGHT - 40 * MM
    name_y = _BOTTOM + 60
    title_y = name_y + 35 * MM
    runs += [
        (column, title_y + 16, "KT. CHỦ TỊCH", 14, "bold", "center"),
        (column, title_y, "PHÓ CHỦ TỊCH", 14, "bold", "center"),
        (column, name_y, signer_name, 14, "bold", "center"),
        (_LEFT, title_y + 16, "Nơi nhận:", 12, "bold_italic", "left"),
    ]
    ry = title_y + 16
    for item in ("- Như Điều 2;", "- CT, các PCT UBND tỉnh;", "- Lưu: VT, KT."):
        ry -= 14
        runs.append((_LEFT, ry, item, 11, "regular", "left"))
    return runs


def sample_decision(signer_name: str) -> bytes:
    """The draft decision, unsigned, with ``signer_name`` (NFC) on the signer block's name
    line; PDF bytes (one A4 page, classic cross-reference table)."""
    runs = _runs(unicodedata.normalize("NFC", signer_name))
    cache = fonts.FontCache()
    prepared = {style: cache.get(path, _texts(runs, style)) for style, (_, path) in _STYLES.items()}
    writer = PdfFileWriter(stream_xrefs=False)
    ops: list[bytes] = []
    for x, y, text, size, style, align in runs:
        font = prepared[style]
        shift = {"center": font.width(text, size) / 2, "left": 0.0}.get(align, 0.0)
        glyphs = font.glyphs(text).hex().encode()
        resource = _STYLES[style][0].encode()
        ops.append(b"BT %s %g Tf %.2f %.2f Td <%s> Tj ET" % (resource, size, x - shift, y, glyphs))
    font_dict = generic.DictionaryObject(
        {
            generic.pdf_name(name): prepared[style].embed(writer)
            for style, (name, _) in _STYLES.items()
        }
    )
    resources = writer.add_object(generic.DictionaryObject({generic.pdf_name("/Font"): font_dict}))
    contents = writer.add_object(generic.StreamObject(stream_data=b"\n".join(ops)))
    writer.insert_page(PageObject(contents, (0, 0, *_A4), resources))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _texts(runs: Iterable[_Run], style: str) -> list[str]:
    return [text for _, _, text, _, s, _ in runs if s == style]


def write_sample(path: Path, signer_name: str) -> None:
    """Write :func:`sample_decision` to ``path`` (replaced atomically)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(sample_decision(signer_name))
    tmp.replace(path)


__all__ = ["SAMPLE_NAME", "sample_decision", "write_sample"]
