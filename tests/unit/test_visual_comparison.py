"""The visual comparison's renderer and comparator on hand-made revisions (no signing).

A one-page document and an incremental update that changes one 10-pt glyph ("100.000" to
"700.000"): the default resolution must find it, with the rectangle where it is; a later
signature's widget over it must hide it; hostile page sizes and budgets must stop rendering
(the page is then "not compared", never "looks the same").
"""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

from kyso.pdf.rendering import RenderedPage, render_page
from verifier.visual_comparison import PageRenders, VisualLimits, compare

LINE = b"BT /F1 10 Tf 100 700 Td (Tong so tien: %s dong) Tj ET"
LINE_BOX = (100, 696, 260, 710)  # where that 10-pt line is drawn, generously


def _font() -> generic.DictionaryObject:
    return generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Font"),
            generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
            generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica"),
        }
    )


def one_page(content: bytes, box: tuple[float, ...] = (0, 0, 595, 842)) -> bytes:
    writer = PdfFileWriter(stream_xrefs=False)
    stream = writer.add_object(generic.StreamObject(stream_data=content))
    resources = generic.DictionaryObject(
        {
            generic.NameObject("/Font"): generic.DictionaryObject(
                {generic.NameObject("/F1"): writer.add_object(_font())}
            )
        }
    )
    writer.insert_page(PageObject(stream, box, resources))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def with_new_content(data: bytes, content: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    page = writer.root["/Pages"]["/Kids"][0]
    page[generic.NameObject("/Contents")] = writer.add_object(
        generic.StreamObject(stream_data=content)
    )
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def glyph_changed() -> tuple[bytes, int]:
    signed = one_page(LINE % b"100.000")
    return with_new_content(signed, LINE % b"700.000"), len(signed)


def test_a_10pt_glyph_change_is_found_where_it_is(glyph_changed: tuple[bytes, int]) -> None:
    data, signed_end = glyph_changed
    result = compare(PageRenders(data, VisualLimits()), {1: (signed_end, len(data))}, {})
    assert result.compared_pages == [1]
    (diff,) = result.differences
    assert diff.page == 1 and diff.over_content
    x0, y0, x1, y1 = diff.rect
    assert LINE_BOX[0] <= x0 < x1 <= LINE_BOX[2] and LINE_BOX[1] - 6 <= y0 < y1 <= LINE_BOX[3] + 6
    assert x1 - x0 < 20  # the one glyph, not the whole line
    assert "trang 1 hiển thị khác" in diff.description_vi


def test_identical_revisions_show_no_difference() -> None:
    signed = one_page(LINE % b"100.000")
    data = with_new_content(signed, LINE % b"100.000")
    result = compare(PageRenders(data, VisualLimits()), {1: (len(signed), len(data))}, {})
    assert result.compared_pages == [1] and not result.differences


def test_a_later_signatures_widget_is_left_out(glyph_changed: tuple[bytes, int]) -> None:
    data, signed_end = glyph_changed
    result = compare(
        PageRenders(data, VisualLimits()), {1: (signed_end, len(data))}, {1: [LINE_BOX]}
    )
    assert result.compared_pages == [1] and not result.differences


def test_something_new_on_blank_paper_is_not_over_content() -> None:
    signed = one_page(LINE % b"100.000")
    data = with_new_content(signed, (LINE % b"100.000") + b" 0 g 300 300 50 50 re f")
    (diff,) = compare(
        PageRenders(data, VisualLimits()), {1: (len(signed), len(data))}, {}
    ).differences
    assert not diff.over_content
    assert diff.rect[0] <= 300 and diff.rect[2] >= 350


def test_a_huge_page_is_not_rendered_and_not_compared() -> None:
    # 200 x 200 inches: at 50 dpi 100 million pixels; the bound allows 4 million (< 36 dpi)
    data = one_page(LINE % b"1", box=(0, 0, 14400, 14400))
    assert render_page(data, 0, dpi=50, min_dpi=36, max_pixels=4_000_000) is None
    result = compare(PageRenders(data, VisualLimits()), {1: (len(data), len(data))}, {})
    assert result.not_compared == [1] and not result.compared_pages


def test_a_large_page_is_rendered_at_a_resolution_that_fits() -> None:
    data = one_page(LINE % b"1", box=(0, 0, 2384, 3370))  # A0
    page = render_page(data, 0, dpi=50, min_dpi=36, max_pixels=4_000_000)
    assert page is not None
    w, h = page.image.size
    assert w * h <= 4_000_000 and page.scale * 72 >= 36


def test_renders_stop_at_the_document_budget(glyph_changed: tuple[bytes, int]) -> None:
    data, signed_end = glyph_changed
    renders = PageRenders(data, VisualLimits(max_renders=1))
    result = compare(renders, {1: (signed_end, len(data))}, {})
    assert result.not_compared == [1]


def test_not_a_pdf_is_not_rendered() -> None:
    assert render_page(b"%PDF-1.7 garbage", 0, dpi=50, min_dpi=36, max_pixels=10**6) is None


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_pixels_and_points_map_back_for_every_rotation(rotation: int) -> None:
    crop = (10.0, 20.0, 610.0, 820.0)
    size = (600, 800) if rotation in (0, 180) else (800, 600)
    page = RenderedPage(Image.new("L", size, 255), 1.0, crop, rotation)
    rect = (110.0, 220.0, 160.0, 240.0)
    box = page.to_pixels(rect)
    assert all(0 <= v <= max(size) for v in box)
    assert page.to_points(box) == rect


def test_renders_stop_when_the_time_budget_is_spent(glyph_changed: tuple[bytes, int]) -> None:
    data, signed_end = glyph_changed
    renders = PageRenders(data, VisualLimits(budget_seconds=1e-9))
    result = compare(renders, {1: (signed_end, len(data))}, {})
    assert result.not_compared == [1] and not result.differences
