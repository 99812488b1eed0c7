"""Pages rendered to greyscale pixels with PDFium (pypdfium2), bounded, for comparing revisions.

Why PDFium: it is Chrome's PDF renderer (what many clerks see), it renders one page of a
1 MB government document in ~10 ms, and it reads any prefix of a file (an earlier revision)
as a document of its own. Annotations and form fields (widgets) are drawn as a viewer shows
them (PDFium's form environment is initialised for that).

PDFium is not thread-safe: every call into it happens under :data:`PDFIUM_LOCK`, one lock for
the process (``kyso.layout`` reads text and renders for OCR under the same lock). Pixels are
bounded: a page is rendered at ``dpi`` unless that would exceed ``max_pixels``, then at the
resolution that fits; below ``min_dpi`` the page is not rendered (None). A render runs inside
PDFium and cannot be interrupted: callers bound how many they ask for and stop asking when
their time budget is spent; the worker processes around Verify bound the rest.

Coordinates: a rendered page is the crop box as displayed (after /Rotate), origin top-left,
y downwards, ``scale`` pixels per point; :meth:`RenderedPage.to_pixels` and
:meth:`RenderedPage.to_points` convert between that and PDF user space.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from typing import Any

from PIL import Image

log = logging.getLogger("kyso.pdf.rendering")

#: One lock for every PDFium call of the process (PDFium is not thread-safe); re-entrant so a
#: caller may hold it across several calls.
PDFIUM_LOCK = threading.RLock()

Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class RenderedPage:
    """One page as pixels: greyscale ("L"), the crop box as displayed."""

    image: Image.Image
    scale: float  # pixels per point
    crop: Rect  # the crop box in user space (x0, y0, x1, y1)
    rotation: int  # 0, 90, 180, 270 (clockwise, as displayed)

    def _point(self, x: float, y: float) -> tuple[float, float]:
        x0, y0, x1, y1 = self.crop
        s = self.scale
        if self.rotation == 90:
            return (y - y0) * s, (x - x0) * s
        if self.rotation == 180:
            return (x1 - x) * s, (y - y0) * s
        if self.rotation == 270:
            return (y1 - y) * s, (x1 - x) * s
        return (x - x0) * s, (y1 - y) * s

    def to_pixels(self, rect: Rect) -> tuple[int, int, int, int]:
        """The pixel box (left, top, right, bottom; right/bottom exclusive) covering ``rect``."""
        a = self._point(rect[0], rect[1])
        b = self._point(rect[2], rect[3])
        left, right = min(a[0], b[0]), max(a[0], b[0])
        top, bottom = min(a[1], b[1]), max(a[1], b[1])
        return math.floor(left), math.floor(top), math.ceil(right), math.ceil(bottom)

    def to_points(self, box: tuple[int, int, int, int]) -> Rect:
        """The user-space rectangle of a pixel box (left, top, right, bottom)."""
        x0, y0, x1, y1 = self.crop
        s = self.scale
        left, top, right, bottom = (v / s for v in box)
        if self.rotation == 90:
            xs, ys = (x0 + top, x0 + bottom), (y0 + left, y0 + right)
        elif self.rotation == 180:
            xs, ys = (x1 - right, x1 - left), (y0 + top, y0 + bottom)
        elif self.rotation == 270:
            xs, ys = (x1 - bottom, x1 - top), (y1 - right, y1 - left)
        else:
            xs, ys = (x0 + left, x0 + right), (y1 - bottom, y1 - top)
        return (round(xs[0], 1), round(ys[0], 1), round(xs[1], 1), round(ys[1], 1))


def render_page(
    data: Any, page_index: int, *, dpi: float, min_dpi: float, max_pixels: int
) -> RenderedPage | None:
    """Page ``page_index`` (0-based) of the PDF in ``data`` (bytes of one revision), or None.

    None when PDFium cannot open the document or the page, or when the page is so large that
    even ``min_dpi`` would exceed ``max_pixels``. Never raises for a bad document.
    """
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        pdf = page = bitmap = None
        try:
            pdf = pdfium.PdfDocument(bytes(data))
            pdf.init_forms()  # widgets (form fields, signatures) drawn as a viewer shows them
            if not 0 <= page_index < len(pdf):
                return None
            page = pdf[page_index]
            width, height = page.get_size()  # points, as displayed
            if width <= 0 or height <= 0:
                return None
            scale = dpi / 72.0
            if width * height * scale * scale > max_pixels:
                scale = math.sqrt(max_pixels / (width * height))
            if scale * 72.0 < min_dpi:
                log.info("page too large to render (%.0f x %.0f pt)", width, height)
                return None
            bitmap = page.render(scale=scale, grayscale=True, draw_annots=True, may_draw_forms=True)
            image = bitmap.to_pil().convert("L")
            crop = tuple(float(v) for v in page.get_cropbox())
            rotation = int(page.get_rotation()) % 360
        except Exception as exc:  # PDFium reports hostile input as generic errors
            log.info("page not rendered: %s", type(exc).__name__)
            return None
        finally:
            for obj in (bitmap, page, pdf):
                if obj is not None:
                    obj.close()
    return RenderedPage(image, scale, crop, rotation)  # type: ignore[arg-type]


__all__ = ["PDFIUM_LOCK", "RenderedPage", "render_page"]
