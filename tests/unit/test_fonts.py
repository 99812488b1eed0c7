"""The one font helper: what the signer's appearances and the clerk's report draw with."""

from __future__ import annotations

from io import BytesIO

import pytest
from pyhanko.pdf_utils.writer import PdfFileWriter

from kyso.pdf import fonts


def test_both_sides_draw_with_liberation_serif() -> None:
    assert fonts.SERIF_REGULAR.is_file() and fonts.SERIF_BOLD.is_file()
    assert fonts.font_program(fonts.SERIF_REGULAR) is fonts.font_program(fonts.SERIF_REGULAR)


def test_text_width_uses_the_font_metrics() -> None:
    # Liberation Serif is metric-compatible with Times New Roman: "M" is 889/1000 em
    assert fonts.text_width("M", 10) == pytest.approx(8.89, abs=0.01)
    assert fonts.text_width("ĐĐ", 10) == pytest.approx(2 * fonts.text_width("Đ", 10))
    assert fonts.text_width("☃", 10) == pytest.approx(5.0)  # missing glyph: half an em
    assert fonts.text_width("Hà Nội", 10, fonts.SERIF_BOLD) > fonts.text_width("Hà Nội", 10)


def test_shaping_font_advances_in_thousandths_of_an_em() -> None:
    writer = PdfFileWriter(stream_xrefs=False)
    font = fonts.ShapingFont(writer, fonts.SERIF_REGULAR, 12)
    shaped = font.shape("Kết quả")
    assert shaped.x_advance == pytest.approx(fonts.text_width("Kết quả", 1), rel=0.02)
    writer.add_object(font.as_resource())
    out = BytesIO()
    writer.write(out)  # the subset is written with the document
    assert b"/FontFile2" in out.getvalue()


def test_cid_set_names_every_glyph_of_the_subset() -> None:
    """PDF/A-1 6.3.5 wants a /CIDSet for a CID font subset, and PDF/A-2 6.2.11.4.2 wants it to
    name every glyph in the program: accent components of Vietnamese letters included."""
    from fontTools import ttLib

    font = fonts.FontCache().get(fonts.SERIF_REGULAR, ["Số: 15/QĐ-UBND, Ủy ban"])
    program = ttLib.TTFont(BytesIO(__import__("zlib").decompress(font.font_program)))
    count = len(program.getGlyphOrder())
    assert count > len(set(font.cmap.values()))  # composites bring their components
    bits = "".join(f"{b:08b}" for b in font.cid_set())
    assert bits[:count] == "1" * count and set(bits[count:]) <= {"0"}
    writer = PdfFileWriter()
    descendant = font.embed(writer).get_object()["/DescendantFonts"][0].get_object()
    cid_set = descendant["/FontDescriptor"]["/CIDSet"].get_object()
    assert cid_set.data == font.cid_set()
