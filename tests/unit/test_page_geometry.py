"""kyso.pdf.page_geometry: the view (as displayed) against user space, and the page's boxes.

The expected view coordinates are poppler's: ``pdftotext -bbox -cropbox`` of a word drawn at a
known user-space position on pages with each /Rotate, offset boxes and /UserUnit (measured with
poppler 22.12 when this was written, and checked again here against pdftotext itself).
"""

from __future__ import annotations

import re
import subprocess
from io import BytesIO

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

from kyso.pdf.page_geometry import PageGeometry, page_geometry

A4 = (0.0, 0.0, 595.0, 842.0)


def _page(**entries: object) -> generic.DictionaryObject:
    page = generic.DictionaryObject()
    for key, value in entries.items():
        if isinstance(value, tuple):
            value = generic.ArrayObject(generic.FloatObject(v) for v in value)
        elif isinstance(value, int):
            value = generic.NumberObject(value)
        elif isinstance(value, float):
            value = generic.FloatObject(value)
        page[generic.pdf_name("/" + key)] = value
    return page


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
@pytest.mark.parametrize("box", [A4, (200.0, 300.0, 795.0, 1142.0), (-50.0, -20.0, 300.0, 400.0)])
def test_view_and_user_space_are_inverse(rotate: int, box: tuple[float, ...]) -> None:
    geo = PageGeometry(box, rotate)  # type: ignore[arg-type]
    for ux, uy in [(box[0], box[1]), (box[2], box[3]), (box[0] + 17.5, box[1] + 123.25)]:
        vx, vy = geo.to_view(ux, uy)
        assert geo.to_user(vx, vy) == pytest.approx((ux, uy))
    w, h = geo.view_size
    corners = [geo.to_view(x, y) for x in (box[0], box[2]) for y in (box[1], box[3])]
    flat = [v for corner in sorted(corners) for v in corner]
    assert flat == pytest.approx([0, 0, 0, h, w, 0, w, h])


@pytest.mark.parametrize(
    ("rotate", "expected_top_left"),
    # where the user-space point at the box's top-left corner as drawn (x1, y2) is seen
    [(0, "top-left"), (90, "top-right"), (180, "bottom-right"), (270, "bottom-left")],
)
def test_the_turn_is_clockwise_as_displayed(rotate: int, expected_top_left: str) -> None:
    geo = PageGeometry(A4, rotate)
    vx, vy = geo.to_view(A4[0], A4[3])
    w, h = geo.view_size
    seen = ("top" if vy == 0 else "bottom") + "-" + ("left" if vx == 0 else "right")
    assert (vx in (0, w) and vy in (0, h)) and seen == expected_top_left


def _one_word_pdf(page_entries: dict[str, object], x: float, y: float) -> bytes:
    w = PdfFileWriter(stream_xrefs=False)
    font = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Font"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
            generic.pdf_name("/BaseFont"): generic.pdf_name("/Helvetica"),
        }
    )
    res = generic.DictionaryObject(
        {
            generic.pdf_name("/Font"): generic.DictionaryObject(
                {generic.pdf_name("/F1"): w.add_object(font)}
            )
        }
    )
    content = w.add_object(
        generic.StreamObject(stream_data=b"BT /F1 10 Tf %g %g Td (MARK) Tj ET" % (x, y))
    )
    media = page_entries.pop("MediaBox", A4)
    page = PageObject(content, media, w.add_object(res))  # type: ignore[arg-type]
    for key, value in _page(**page_entries).items():
        page[key] = value
    w.insert_page(page)
    out = BytesIO()
    w.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "entries",
    [
        {},
        {"Rotate": 90},
        {"Rotate": 180},
        {"Rotate": 270},
        {"MediaBox": (200.0, 300.0, 795.0, 1142.0)},
        {"CropBox": (50.0, 60.0, 400.0, 700.0), "Rotate": 90},
        {"CropBox": (50.0, 60.0, 400.0, 700.0), "Rotate": 270},
        {"UserUnit": 2.0, "Rotate": 180},
    ],
)
def test_poppler_reports_words_in_the_view(entries: dict[str, object]) -> None:
    """A word drawn at a known user-space point is where the view says, by pdftotext."""
    media = entries.get("MediaBox", A4)
    x, y = media[0] + 100, media[1] + 200  # type: ignore[index]
    pdf = _one_word_pdf(dict(entries), x, y)
    out = subprocess.run(
        ["pdftotext", "-bbox", "-cropbox", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    (word,) = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', out
    )
    left, top, right, bottom = (float(v) for v in word)
    geo = page_geometry(
        _page(MediaBox=media, **{k: v for k, v in entries.items() if k != "MediaBox"})
    )
    assert geo is not None
    # the word's box in user space, back from the view, starts at the drawing point
    ux1, uy1, ux2, uy2 = geo.rect_to_user((left, top, right, bottom))
    assert ux1 == pytest.approx(x, abs=0.5)
    assert uy1 == pytest.approx(y - 2.1, abs=0.5)  # Helvetica's descender at 10 pt
    assert ux2 - ux1 == pytest.approx(28.9, abs=0.5) and uy2 - uy1 == pytest.approx(9.25, abs=0.5)


def test_crop_box_is_clipped_to_the_media_box_and_inherited() -> None:
    parent = _page(MediaBox=A4, CropBox=(-10.0, 100.0, 300.0, 900.0), Rotate=90)
    page = _page()
    page[generic.pdf_name("/Parent")] = parent
    geo = page_geometry(page)
    assert geo == PageGeometry((0.0, 100.0, 300.0, 842.0), 90, 1.0)
    assert geo.view_size == (742.0, 300.0)


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ({"MediaBox": A4, "CropBox": (700.0, 900.0, 800.0, 1000.0)}, PageGeometry(A4)),
        ({"MediaBox": A4, "Rotate": 45}, PageGeometry(A4)),
        ({"MediaBox": A4, "Rotate": -90}, PageGeometry(A4, 270)),
        ({"MediaBox": A4, "UserUnit": 0.0}, PageGeometry(A4)),
        ({"MediaBox": (595.0, 842.0, 0.0, 0.0)}, PageGeometry(A4)),
    ],
)
def test_odd_values_fall_back_as_viewers_do(entries: dict[str, object], expected: object) -> None:
    assert page_geometry(_page(**entries)) == expected


def test_no_media_box_is_no_geometry() -> None:
    assert page_geometry(_page(Rotate=90)) is None


def test_lengths_follow_the_user_unit() -> None:
    assert PageGeometry(A4, 0, 2.0).length(72.0) == 36.0


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
@pytest.mark.parametrize("box", [A4, (200.0, 300.0, 795.0, 1142.0), (-50.0, -20.0, 300.0, 400.0)])
def test_rectangles_map_as_their_corners_do(rotate: int, box: tuple[float, ...]) -> None:
    """rect_to_view / rect_to_user (written out for speed) are the point maps' spans, in either
    corner order; the layout reader's geometry gives the same rectangles."""
    from kyso.layout.geometry import PageGeometry as LayoutGeometry
    from kyso.layout.geometry import Rect as LayoutRect

    geo = PageGeometry(box, rotate)  # type: ignore[arg-type]
    rect = (box[0] + 10.0, box[1] + 20.0, box[0] + 60.0, box[1] + 35.0)
    a, b = geo.to_view(rect[0], rect[1]), geo.to_view(rect[2], rect[3])
    span = (min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]))
    assert geo.rect_to_view(rect) == pytest.approx(span)
    assert geo.rect_to_view((rect[2], rect[3], rect[0], rect[1])) == pytest.approx(span)
    assert geo.rect_to_user(span) == pytest.approx(rect)
    assert geo.rect_to_user((span[2], span[3], span[0], span[1])) == pytest.approx(rect)
    layout = LayoutGeometry(1, LayoutRect(*box), rotate)
    assert layout.to_view(LayoutRect(*rect)).as_tuple() == pytest.approx(span, abs=0.01)
    assert (layout.view_width, layout.view_height) == geo.view_size
