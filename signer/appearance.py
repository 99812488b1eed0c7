"""Visible signatures of Decree 30/2020 Appendix I, drawn as pyHanko appearance streams.

* personal: the handwritten signature, recoloured blue (box 7c: *màu xanh*);
* organisation: the seal, recoloured red, at its real size;
* attachment: no image, a text box (number and symbol, signing time) in a Times New Roman
  metric-compatible serif (Liberation Serif: full Vietnamese coverage), size 10, black; the
  embedded font subset is made once per character set (:mod:`kyso.pdf.fonts`).

Images are decoded, recoloured and compressed once per (PNG, colour) and only their
encoded bytes are copied into each document.

On a page with /Rotate the appearance is drawn upright for the reader: the form is laid out
in the visible orientation and its /Matrix turns it against the page's rotation (ISO 32000-1
12.5.5: the form's bounding box, transformed by /Matrix, is fitted to the widget's /Rect).
In a PDF/A document (:class:`InkMode` ``STENCIL``) an image is written as a stencil mask
(``/ImageMask``, painted in the ink colour) instead of an RGB image with a soft mask:
PDF/A-1 forbids /SMask and transparency (ISO 19005-1 6.4), and a stencil needs no device
colour space beyond the ink's, which follows the output intent's (6.2.3.3).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import io
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import AppearanceContent, ResourceType
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.stamp.base import BaseStampStyle

from kyso.errors import InvalidInput
from kyso.pdf import fonts
from kyso.pdf.fonts import FontCache

BLUE = (0, 0, 200)  # ink of a personal signature
RED = (220, 0, 0)  # seal
MM = 72 / 25.4
DEFAULT_FONT = fonts.SERIF_REGULAR
TEXT_SIZE = 10.0
TEXT_LEADING = 12.0
TEXT_PADDING = 2.0
_MAX_PIXELS = 4096 * 4096
_MAX_PNG_BYTES = 8 * 1024 * 1024
FONTS = FontCache()  # text box fonts, subset once per (font, characters)


class InkMode(enum.Enum):
    """How an image's shape is written: a soft mask (smooth edges; PDF 1.4 transparency) or a
    1-bit stencil mask in an output intent's colour space (no transparency: PDF/A-1)."""

    SOFT_MASK = "soft_mask"
    STENCIL_GRAY = "stencil_gray"
    STENCIL_RGB = "stencil_rgb"
    STENCIL_CMYK = "stencil_cmyk"


@dataclass(frozen=True)
class PreparedImage:
    """An image recoloured to one ink colour, its shape kept in a soft mask and in a 1-bit
    stencil (ink where the alpha is at least half); Flate encoded."""

    width: int
    height: int
    rgb: bytes
    alpha: bytes
    stencil: bytes = b""
    colour: tuple[int, int, int] = (0, 0, 0)

    @property
    def aspect(self) -> float:
        """Width / height in pixels: the box keeps it (the image is never stretched)."""
        return self.width / self.height


def _prepare(png: bytes, colour: tuple[int, int, int]) -> PreparedImage:
    if len(png) > _MAX_PNG_BYTES:
        raise InvalidInput("IMAGE_INVALID", problem="too large")
    try:
        Image.MAX_IMAGE_PIXELS = _MAX_PIXELS
        with Image.open(io.BytesIO(png)) as img:
            if img.format != "PNG":
                raise InvalidInput("IMAGE_INVALID", problem="not a PNG")
            img.load()
            if img.mode in ("RGBA", "LA") or "transparency" in img.info:
                alpha = img.convert("RGBA").getchannel("A")
            else:  # no transparency: dark ink on a light background
                alpha = img.convert("L").point(lambda v: 255 - v)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise InvalidInput("IMAGE_INVALID", problem="not a readable PNG") from exc
    w, h = alpha.size
    if w == 0 or h == 0:
        raise InvalidInput("IMAGE_INVALID", problem="empty")
    rgb = bytes(colour) * (w * h)
    # stencil sample 0 paints (ImageMask, default /Decode [0 1]); no dithering
    stencil = alpha.point(lambda v: 0 if v >= 128 else 255, mode="1")
    return PreparedImage(
        w,
        h,
        zlib.compress(rgb, 6),
        zlib.compress(alpha.tobytes(), 6),
        zlib.compress(stencil.tobytes(), 6),
        colour,
    )


class ImageCache:
    """Prepared images by content hash and colour; small LRU shared by all requests."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[tuple[bytes, tuple[int, int, int]], PreparedImage] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, png: bytes, colour: tuple[int, int, int]) -> PreparedImage:
        """``png`` recoloured to ``colour`` (RGB 0-255), prepared once per (content, colour).

        Raises :class:`InvalidInput` ``IMAGE_INVALID`` for anything but a readable PNG of at
        most 8 MiB; Pillow refuses a decompression bomb over twice ``_MAX_PIXELS`` (16 Mpixel)
        and only warns between once and twice that."""
        key = (hashlib.sha256(png).digest(), colour)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        prepared = _prepare(png, colour)
        with self._lock:
            self._items[key] = prepared
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return prepared


@lru_cache(maxsize=256)
def _image_entries(
    width: int, height: int, colour_space: str
) -> tuple[tuple[generic.NameObject, generic.PdfObject], ...]:
    """The entries of an image dictionary; PDF names and numbers are immutable, so they are
    built once (creating pyHanko's generic objects is a visible part of a signature's cost)."""
    return (
        (generic.pdf_name("/Type"), generic.pdf_name("/XObject")),
        (generic.pdf_name("/Subtype"), generic.pdf_name("/Image")),
        (generic.pdf_name("/Width"), generic.NumberObject(width)),
        (generic.pdf_name("/Height"), generic.NumberObject(height)),
        (generic.pdf_name("/ColorSpace"), generic.pdf_name(colour_space)),
        (generic.pdf_name("/BitsPerComponent"), generic.NumberObject(8)),
        (generic.pdf_name("/Filter"), generic.pdf_name("/FlateDecode")),
    )


def _image_xobject(writer: BasePdfFileWriter, img: PreparedImage) -> generic.IndirectObject:
    def _dict(colour_space: str) -> dict[generic.NameObject, generic.PdfObject]:
        return dict(_image_entries(img.width, img.height, colour_space))

    mask = writer.add_object(generic.StreamObject(_dict("/DeviceGray"), encoded_data=img.alpha))
    main = _dict("/DeviceRGB")
    main[generic.pdf_name("/SMask")] = mask
    return writer.add_object(generic.StreamObject(main, encoded_data=img.rgb))


def _stencil_xobject(writer: BasePdfFileWriter, img: PreparedImage) -> generic.IndirectObject:
    name = generic.pdf_name
    entries = {
        name("/Type"): name("/XObject"),
        name("/Subtype"): name("/Image"),
        name("/Width"): generic.NumberObject(img.width),
        name("/Height"): generic.NumberObject(img.height),
        name("/ImageMask"): generic.BooleanObject(True),
        name("/BitsPerComponent"): generic.NumberObject(1),
        name("/Filter"): name("/FlateDecode"),
    }
    return writer.add_object(generic.StreamObject(entries, encoded_data=img.stencil))


def ink_operator(colour: tuple[int, int, int], mode: InkMode) -> bytes:
    """The fill-colour operator for ``colour`` (RGB 0-255) in the device space of ``mode``:
    ``rg``, ``k`` (naive RGB to CMYK: no ICC conversion) or ``g`` (luminance, ITU-R BT.601)."""
    r, g, b = (c / 255 for c in colour)
    if mode is InkMode.STENCIL_CMYK:
        k = 1 - max(r, g, b)
        if k >= 1:
            return b"0 0 0 1 k"
        c, m, y = ((1 - v - k) / (1 - k) for v in (r, g, b))
        return b"%.3f %.3f %.3f %.3f k" % (c, m, y, k)
    if mode is InkMode.STENCIL_GRAY:
        return b"%.3f g" % (0.299 * r + 0.587 * g + 0.114 * b)
    return b"%.3f %.3f %.3f rg" % (r, g, b)


_MATRICES = {  # /Matrix turning an upright form against the page's /Rotate; w, h: form box
    90: lambda w, h: (0, 1, -1, 0, h, 0),
    180: lambda w, h: (-1, 0, 0, -1, w, h),
    270: lambda w, h: (0, -1, 1, 0, 0, w),
}


class _Decree30Content(AppearanceContent):
    """An appearance laid out in the page's visible orientation; ``rotation`` (the page's
    /Rotate) becomes the form's /Matrix so that it shows upright."""

    rotation: int = 0

    def as_form_xobject(self) -> generic.StreamObject:
        """The form XObject, with a /Matrix on a rotated page (see the module's note)."""
        form = super().as_form_xobject()
        matrix = _MATRICES.get(self.rotation)
        if matrix is not None:
            form[generic.pdf_name("/Matrix")] = generic.ArrayObject(
                generic.FloatObject(v) for v in matrix(self.box.width, self.box.height)
            )
        return form


class _ImageAppearance(_Decree30Content):
    def __init__(
        self, writer: BasePdfFileWriter, box: BoxConstraints, img: PreparedImage, mode: InkMode
    ) -> None:
        super().__init__(writer=writer, box=box)
        self._img = img
        self._mode = mode

    def render(self) -> bytes:
        """The image scaled to fit the box, aspect kept, centred."""
        writer = self._ensure_writer
        if self._mode is InkMode.SOFT_MASK:
            ref, ink = _image_xobject(writer, self._img), b""
        else:
            ref = _stencil_xobject(writer, self._img)
            ink = ink_operator(self._img.colour, self._mode)
        self.set_resource(ResourceType.XOBJECT, generic.pdf_name("/Im0"), ref)
        bw, bh = self.box.width, self.box.height
        w = min(bw, bh * self._img.aspect)
        h = w / self._img.aspect
        draw = b"q %.3f 0 0 %.3f %.3f %.3f cm /Im0 Do Q" % (w, h, (bw - w) / 2, (bh - h) / 2)
        return b"q " + ink + b" " + draw + b" Q" if ink else draw


class _TextAppearance(_Decree30Content):
    def __init__(
        self, writer: BasePdfFileWriter, box: BoxConstraints, lines: Sequence[str], font: Path
    ) -> None:
        super().__init__(writer=writer, box=box)
        self._lines = lines
        self._font = font

    def render(self) -> bytes:
        """Right-aligned lines in the cached font subset (see :mod:`kyso.pdf.fonts`)."""
        font = FONTS.get(self._font, self._lines)
        ops = [b"q 0 g"]
        y = self.box.height - TEXT_PADDING - TEXT_SIZE
        for text in self._lines:
            x = self.box.width - TEXT_PADDING - font.width(text, TEXT_SIZE)  # right aligned
            ops.append(
                b"BT /F1 %g Tf %.2f %.2f Td <%s> Tj ET"
                % (TEXT_SIZE, x, y, font.glyphs(text).hex().encode("ascii"))
            )
            y -= TEXT_LEADING
        ops.append(b"Q")
        self.set_resource(
            ResourceType.FONT, generic.pdf_name("/F1"), font.embed(self._ensure_writer)
        )
        return b"\n".join(ops)


@dataclass(frozen=True)
class Decree30Style(BaseStampStyle):
    """A pyHanko stamp style whose whole drawing is ``draw`` (no border, no text template),
    laid out upright on a page turned by ``rotation`` degrees (its /Rotate: 0, 90, 180, 270)."""

    draw: Callable[[BasePdfFileWriter, BoxConstraints], _Decree30Content] | None = field(
        default=None
    )
    border_width: int = 0
    rotation: int = 0

    def rotated(self, rotation: int) -> Decree30Style:
        """The same drawing for a page with /Rotate ``rotation``."""
        return dataclasses.replace(self, rotation=rotation % 360)

    def create_stamp(  # type: ignore[override]  # any AppearanceContent will do for pyHanko
        self, writer: BasePdfFileWriter, box: BoxConstraints, text_params: dict[str, object]
    ) -> AppearanceContent:
        """``box`` is the widget's /Rect (user space); the drawing gets it as the reader sees it
        (width and height swapped on a page turned by 90 or 270 degrees)."""
        assert self.draw is not None
        if self.rotation in (90, 270):
            box = BoxConstraints(width=box.height, height=box.width)
        content = self.draw(writer, box)
        content.rotation = self.rotation
        return content


def image_style(img: PreparedImage, mode: InkMode = InkMode.SOFT_MASK) -> Decree30Style:
    """The stamp style drawing ``img`` scaled to fit its box, aspect kept, centred; ``mode``
    says how its shape is written (a stencil mask in a PDF/A document)."""
    return Decree30Style(draw=lambda writer, box: _ImageAppearance(writer, box, img, mode))


def text_style(lines: Sequence[str], font: Path | None = None) -> Decree30Style:
    """The stamp style drawing ``lines`` right-aligned in the box, 10 pt, black, in ``font``
    (Liberation Serif by default: Times New Roman metrics, full Vietnamese coverage)."""
    chosen = font or DEFAULT_FONT
    return Decree30Style(draw=lambda writer, box: _TextAppearance(writer, box, lines, chosen))


def text_width(text: str, size: float, font: Path | None = None) -> float:
    """Advance width in points (see :func:`kyso.pdf.fonts.text_width`)."""
    return fonts.text_width(text, size, font or DEFAULT_FONT)


def text_box_size(lines: Sequence[str], font: Path | None = None) -> tuple[float, float]:
    """``(width, height)`` in points of the box that holds ``lines`` as :func:`text_style`
    draws them (padding included)."""
    width = max(text_width(t, TEXT_SIZE, font) for t in lines) + 2 * TEXT_PADDING
    height = TEXT_LEADING * (len(lines) - 1) + TEXT_SIZE + 2 * TEXT_PADDING + 3
    return width, height


def ink_mode(colour_components: int | None) -> InkMode:
    """Soft masks outside PDF/A (``colour_components`` None); in a PDF/A document a stencil
    in the output intent's space: CMYK (4) or gray (1) when its profile says so, else RGB."""
    if colour_components is None:
        return InkMode.SOFT_MASK
    return {4: InkMode.STENCIL_CMYK, 1: InkMode.STENCIL_GRAY}.get(
        colour_components, InkMode.STENCIL_RGB
    )
