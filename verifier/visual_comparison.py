"""Visual comparison of pages: what a signed page looks like now against when it was signed.

Why: the change analysis is deny-by-default on objects, but an allowed change (a filled field,
a comment under a P=3 certification, a later signature's own widget) still changes what the
page shows; a field whose new appearance paints over signed text is the shadow "replace via
overlay" attack, invisible to an object diff. So, as DSS's ``PdfVisualDifference`` does, the
pages the later changes touch are rendered (:mod:`kyso.pdf.rendering`, PDFium) at the signed
revision and at the final one and compared pixel by pixel. The later signatures' own widgets
are left out (a signature shows its appearance where it was placed); every other changed
region is reported with its page and rectangle (PDF points), and whether pixels drawn in the
signed revision changed there (*over signed content*) or only blank paper did.

Cost: only touched pages are rendered, at ``dpi`` (50 by default: a 10-pt glyph is ~7 px
tall and any change to it changes several pixels); a page is rendered once per state (a
revision that changed it), shared by every signature of the document.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageChops, ImageDraw

from kyso.pdf.rendering import RenderedPage, render_page

log = logging.getLogger("kyso.verifier.visual")

Rect = tuple[float, float, float, float]

_CHANGED = 24  # grey-level difference that counts as a changed pixel (renders are exact)
_INK = 235  # grey level below which a pixel of the signed render is drawn content
_CELL = 4  # pixels per grid cell when changed pixels are grouped into regions
_WIDGET_MARGIN = 2  # pixels around a later signature's widget left out (anti-aliasing)
_MAX_REGIONS = 20  # regions reported per page; the rest are merged into the last


@dataclass(frozen=True)
class VisualLimits:
    """Bounds of the comparison (``[verifier] visual_*`` settings)."""

    enabled: bool = True
    dpi: float = 50.0
    min_dpi: float = 36.0  # below this a 10-pt glyph change may go unseen: not compared
    max_pixels: int = 4_000_000  # per rendered page
    max_renders: int = 32  # per document
    budget_seconds: float = 3.0  # rendering time per document


@dataclass(frozen=True)
class VisualDifference:
    """One changed region of a page."""

    page: int  # 1-based
    rect: Rect  # user space, points
    over_content: bool  # pixels drawn in the signed revision changed

    @property
    def where(self) -> str:
        return "[" + " ".join(f"{v:g}" for v in self.rect) + "]"

    @property
    def description_en(self) -> str:
        what = "over signed content" if self.over_content else "in an area blank when signed"
        return f"page {self.page} looks different at {self.where} ({what})"

    @property
    def description_vi(self) -> str:
        what = "đè lên nội dung đã ký" if self.over_content else "ở vùng còn trống khi ký"
        return f"trang {self.page} hiển thị khác tại {self.where} ({what})"


@dataclass
class VisualResult:
    """What the comparison of one signature's pages found."""

    compared_pages: list[int] = field(default_factory=list)
    differences: list[VisualDifference] = field(default_factory=list)
    not_compared: list[int] = field(default_factory=list)  # pages that could not be rendered


class PageRenders:
    """Renders of one document's pages at given revision ends, cached and bounded."""

    def __init__(self, data: Any, limits: VisualLimits) -> None:
        self._data = data
        self._limits = limits
        self._cache: dict[tuple[int, int], RenderedPage | None] = {}
        self._spent = 0.0
        self._count = 0

    def get(self, end: int, page: int) -> RenderedPage | None:
        """Page ``page`` (1-based) of the revision ending at byte ``end``; None: unavailable."""
        key = (end, page)
        if key not in self._cache:
            lim = self._limits
            if self._count >= lim.max_renders or self._spent >= lim.budget_seconds:
                return None  # not cached: the budget is the document's
            started = time.perf_counter()
            self._cache[key] = render_page(
                memoryview(self._data)[:end],
                page - 1,
                dpi=lim.dpi,
                min_dpi=lim.min_dpi,
                max_pixels=lim.max_pixels,
            )
            self._spent += time.perf_counter() - started
            self._count += 1
        return self._cache[key]


def compare(
    renders: PageRenders,
    pages: dict[int, tuple[int, int]],
    widgets: dict[int, list[Rect]],
) -> VisualResult:
    """Compare each page: ``pages[p] = (signed end, final end)``, ``widgets[p]`` left out."""
    result = VisualResult()
    for page in sorted(pages):
        signed_end, final_end = pages[page]
        before = renders.get(signed_end, page)
        after = renders.get(final_end, page) if before is not None else None
        if before is None or after is None:
            result.not_compared.append(page)
            continue
        result.compared_pages.append(page)
        result.differences.extend(_differences(page, before, after, widgets.get(page, ())))
    return result


def _differences(
    page: int, before: RenderedPage, after: RenderedPage, widgets: Iterable[Rect]
) -> list[VisualDifference]:
    if before.image.size != after.image.size or before.crop != after.crop:
        x0, y0, x1, y1 = after.crop
        return [VisualDifference(page, (x0, y0, x1, y1), True)]
    mask = ImageChops.difference(before.image, after.image).point(
        lambda v: 255 if v > _CHANGED else 0
    )
    if mask.getbbox() is None:
        return []
    draw = ImageDraw.Draw(mask)
    for rect in widgets:
        left, top, right, bottom = before.to_pixels(rect)
        m = _WIDGET_MARGIN
        draw.rectangle((left - m, top - m, right + m - 1, bottom + m - 1), fill=0)
    if mask.getbbox() is None:
        return []
    ink = before.image.point(lambda v: 255 if v < _INK else 0)
    found = []
    for box in _regions(mask)[:_MAX_REGIONS]:
        over = ImageChops.multiply(mask.crop(box), ink.crop(box)).getbbox() is not None
        found.append(VisualDifference(page, before.to_points(box), over))
    return found


def _regions(mask: Image.Image) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (pixels) of groups of changed pixels, largest first."""
    w, h = mask.size
    cols, rows = -(-w // _CELL), -(-h // _CELL)
    grid = mask.resize((cols, rows), Image.Resampling.BOX) if (cols, rows) != (w, h) else mask
    cells = grid.load()
    assert cells is not None
    todo = {(x, y) for y in range(rows) for x in range(cols) if cells[x, y]}  # type: ignore[index]
    boxes: list[tuple[int, int, int, int]] = []
    while todo:
        start = todo.pop()
        stack = [start]
        x0 = x1 = start[0]
        y0 = y1 = start[1]
        while stack:
            x, y = stack.pop()
            x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    n = (x + dx, y + dy)
                    if n in todo:
                        todo.remove(n)
                        stack.append(n)
        boxes.append((x0 * _CELL, y0 * _CELL, min(w, (x1 + 1) * _CELL), min(h, (y1 + 1) * _CELL)))
    boxes.sort(key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), reverse=True)
    return boxes


__all__ = ["PageRenders", "VisualDifference", "VisualLimits", "VisualResult", "compare"]
