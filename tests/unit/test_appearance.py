"""signer.appearance: images recoloured for Decree 30/2020 Appendix I and the drawings of the
visible signatures, on hand-made PNGs and pyHanko writers in memory (no server, no token)."""

from __future__ import annotations

import io
import re
import zlib

import pytest
from fontTools import ttLib
from PIL import Image
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.writer import PdfFileWriter

from kyso.errors import InvalidInput
from signer import appearance
from signer.appearance import (
    BLUE,
    RED,
    TEXT_LEADING,
    TEXT_PADDING,
    TEXT_SIZE,
    ImageCache,
    image_style,
    text_box_size,
    text_style,
    text_width,
)

_CM = re.compile(rb"^q ([\d.]+) 0 0 ([\d.]+) ([\d.]+) ([\d.]+) cm /Im0 Do Q$")
_TD = re.compile(rb"BT /F1 ([\d.]+) Tf ([\d.]+) ([\d.]+) Td <([0-9a-f]+)> Tj ET")


def _png(img: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


def _ink_on_transparent() -> bytes:
    img = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    img.putpixel((3, 4), (10, 20, 30, 255))
    img.putpixel((5, 6), (200, 200, 200, 128))
    return _png(img)


# ----------------------------------------------------------------------------- images
def test_a_transparent_png_keeps_its_shape_in_the_ink_colour() -> None:
    prepared = ImageCache().get(_ink_on_transparent(), BLUE)
    assert (prepared.width, prepared.height, prepared.aspect) == (40, 20, 2.0)
    assert zlib.decompress(prepared.rgb) == bytes(BLUE) * (40 * 20)  # one colour: box 7c blue
    alpha = zlib.decompress(prepared.alpha)
    assert len(alpha) == 40 * 20
    assert alpha[4 * 40 + 3] == 255 and alpha[6 * 40 + 5] == 128
    assert alpha.count(0) == 40 * 20 - 2


def test_an_opaque_scan_becomes_ink_where_it_is_dark() -> None:
    img = Image.new("L", (4, 1), 255)  # white paper
    img.putpixel((1, 0), 0)  # black ink
    img.putpixel((2, 0), 200)
    prepared = ImageCache().get(_png(img), RED)
    assert zlib.decompress(prepared.alpha) == bytes([0, 255, 55, 0])
    assert zlib.decompress(prepared.rgb) == bytes(RED) * 4


def test_prepared_images_are_cached_by_content_and_colour() -> None:
    cache = ImageCache(size=2)
    png = _ink_on_transparent()
    blue = cache.get(png, BLUE)
    assert cache.get(bytes(png), BLUE) is blue  # same content, another bytes object
    red = cache.get(png, RED)
    assert red is not blue
    cache.get(_png(Image.new("L", (2, 2), 0)), BLUE)  # a third entry evicts the oldest
    assert cache.get(png, RED) is red
    assert cache.get(png, BLUE) is not blue


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image",
        _png(Image.new("RGB", (4, 4)), "JPEG"),
        _png(Image.new("RGB", (4, 4)), "GIF"),
        _png(Image.new("1", (6000, 6000))),  # 36 Mpixel: Pillow refuses over 2 x 16 Mpixel
        b"\x89PNG" + bytes(8 * 1024 * 1024),  # over 8 MiB
    ],
    ids=["empty", "text", "jpeg", "gif", "too-many-pixels", "too-many-bytes"],
)
def test_only_a_readable_png_of_sane_size_is_accepted(data: bytes) -> None:
    with pytest.raises(InvalidInput) as info:
        ImageCache().get(data, BLUE)
    assert info.value.code == "IMAGE_INVALID"
    assert info.value.message_vi


# ----------------------------------------------------------------------------- drawings
@pytest.mark.parametrize(
    ("box", "aspect", "expected"),
    [
        ((200.0, 100.0), 2.0, (200.0, 100.0, 0.0, 0.0)),  # fits exactly
        ((200.0, 50.0), 2.0, (100.0, 50.0, 50.0, 0.0)),  # too wide a box: centred across
        ((100.0, 200.0), 2.0, (100.0, 50.0, 0.0, 75.0)),  # too tall a box: centred up and down
    ],
)
def test_the_image_is_scaled_to_fit_and_centred(
    box: tuple[float, float], aspect: float, expected: tuple[float, float, float, float]
) -> None:
    img = Image.new("RGBA", (int(20 * aspect), 20), (0, 0, 0, 255))
    prepared = ImageCache().get(_png(img), BLUE)
    stamp = image_style(prepared).create_stamp(
        PdfFileWriter(), BoxConstraints(width=box[0], height=box[1]), {}
    )
    m = _CM.match(stamp.render())
    assert m is not None
    assert tuple(float(v) for v in m.groups()) == pytest.approx(expected, abs=0.001)


def test_attachment_lines_are_right_aligned_in_the_box() -> None:
    lines = ["Số: 15/QĐ-UBND", "05/01/2026 10:00:00 +07:00"]
    stamp = text_style(lines).create_stamp(
        PdfFileWriter(), BoxConstraints(width=220, height=40), {}
    )
    drawn = _TD.findall(stamp.render())
    assert len(drawn) == 2
    for (size, x, y, _glyphs), text, row in zip(drawn, lines, range(2), strict=True):
        assert float(size) == TEXT_SIZE
        right = float(x) + text_width(text, TEXT_SIZE)
        assert right == pytest.approx(220 - TEXT_PADDING, abs=0.01)
        assert float(y) == pytest.approx(40 - TEXT_PADDING - TEXT_SIZE - row * TEXT_LEADING)


# ----------------------------------------------------------------------------- metrics
def test_text_width_scales_with_size_and_adds_up() -> None:
    assert text_width("", TEXT_SIZE) == 0
    one = text_width("Đ", 10)
    assert one > 0
    assert text_width("Đ", 20) == pytest.approx(2 * one)
    assert text_width("ĐĐĐ", 10) == pytest.approx(3 * one)
    assert text_width("iii", 10) < text_width("WWW", 10)  # a proportional serif


def test_a_character_outside_the_font_counts_half_an_em() -> None:
    assert text_width("\ue000", 10) == pytest.approx(5.0)


def test_text_box_size_fits_the_widest_line_and_every_line() -> None:
    short, long_ = "Số: 1", "Ngày 05 tháng 01 năm 2026"
    width, height = text_box_size([short, long_])
    assert width == pytest.approx(text_width(long_, TEXT_SIZE) + 2 * TEXT_PADDING)
    _, one_line = text_box_size([long_])
    assert height - one_line == pytest.approx(TEXT_LEADING)
    assert one_line > TEXT_SIZE + 2 * TEXT_PADDING


def test_the_default_font_covers_vietnamese() -> None:
    """Every precomposed Vietnamese letter has a glyph of its own (text is drawn NFC)."""
    cmap = ttLib.TTFont(str(appearance.DEFAULT_FONT), lazy=True).getBestCmap()
    letters = "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
    assert [c for c in letters + letters.upper() if ord(c) not in cmap] == []


# ----------------------------------------------------------------------------- rotation, PDF/A
@pytest.mark.parametrize(
    ("rotation", "matrix"),
    [
        (0, None),
        (90, [0, 1, -1, 0, 50, 0]),
        (180, [-1, 0, 0, -1, 200, 50]),
        (270, [0, -1, 1, 0, 0, 200]),
    ],
)
def test_on_a_turned_page_the_form_is_laid_out_upright_and_turned_back(
    rotation: int, matrix: list[float] | None
) -> None:
    """The widget /Rect is 200 x 50 as the reader sees it; in user space it is 50 x 200 on a
    page turned by 90 or 270 degrees. The form is drawn 200 x 50 and /Matrix turns it back."""
    img = Image.new("RGBA", (40, 10), (0, 0, 0, 255))
    style = image_style(ImageCache().get(_png(img), BLUE)).rotated(rotation)
    user = (50.0, 200.0) if rotation in (90, 270) else (200.0, 50.0)
    stamp = style.create_stamp(PdfFileWriter(), BoxConstraints(width=user[0], height=user[1]), {})
    form = stamp.as_form_xobject()
    x1, y1, x2, y2 = (float(v) for v in form["/BBox"])  # pyHanko writes [0 h w 0]
    assert (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)) == (0, 0, 200, 50)
    if matrix is None:
        assert "/Matrix" not in form
        return
    got = [float(v) for v in form["/Matrix"]]
    assert got == matrix
    # the form's box, through /Matrix, is the widget's box at the origin (ISO 32000-1 12.5.5)
    a, b, c, d, e, f = got
    corners = [(a * x + c * y + e, b * x + d * y + f) for x in (0, 200) for y in (0, 50)]
    assert min(p[0] for p in corners) == 0 and max(p[0] for p in corners) == user[0]
    assert min(p[1] for p in corners) == 0 and max(p[1] for p in corners) == user[1]


def test_a_stencil_image_has_no_soft_mask_and_paints_in_the_ink() -> None:
    """PDF/A-1 (ISO 19005-1 6.4): no /SMask; the shape is a 1-bit /ImageMask."""
    img = Image.new("RGBA", (16, 2), (0, 0, 0, 0))
    img.putpixel((0, 0), (0, 0, 0, 255))  # ink
    img.putpixel((1, 0), (0, 0, 0, 100))  # under half: paper
    prepared = ImageCache().get(_png(img), RED)
    writer = PdfFileWriter()
    stamp = image_style(prepared, appearance.InkMode.STENCIL_CMYK).create_stamp(
        writer, BoxConstraints(width=16, height=2), {}
    )
    ops = stamp.render()
    assert ops.startswith(b"q 0.000 1.000 1.000 0.137 k q ")
    xobject = stamp.resources.xobject["/Im0"].get_object()
    assert xobject["/ImageMask"] is True or bool(xobject["/ImageMask"])
    assert "/SMask" not in xobject and "/ColorSpace" not in xobject
    assert int(xobject["/BitsPerComponent"]) == 1
    rows = zlib.decompress(prepared.stencil)
    assert rows == bytes([0b01111111, 0xFF, 0xFF, 0xFF])  # 0 paints; rows padded to bytes


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (appearance.InkMode.STENCIL_RGB, b"0.000 0.000 0.784 rg"),
        (appearance.InkMode.STENCIL_CMYK, b"1.000 1.000 0.000 0.216 k"),
        (appearance.InkMode.STENCIL_GRAY, b"0.089 g"),
    ],
)
def test_the_ink_in_the_output_intents_colour_space(
    mode: appearance.InkMode, expected: bytes
) -> None:
    assert appearance.ink_operator(BLUE, mode) == expected
