"""Where a visible signature goes on the page.

Anchor text is found in the lines of poppler's ``pdftotext -bbox-layout``
(:mod:`kyso.pdf.text_boxes`: the same text extraction clerks' tools use, robust to fonts
and encodings pyHanko would have to decode itself). For a personal signature the image
goes between the signer's title line(s) and name line, as Decree 30/2020 Appendix I box 7c
shows.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kyso.errors import InvalidInput, NotFound
from kyso.pdf.text_boxes import TextExtractionError, read_text_boxes

MM = 72 / 25.4
#: Default height of a personal signature image when there is no title line above the name.
DEFAULT_IMAGE_HEIGHT = 25 * MM
_MARGIN = 2.0  # points kept free above and below the image
_MIN_GAP = 12 * MM  # a gap between lines this tall is the signature space
_MAX_IMAGE_HEIGHT = 45 * MM
#: The smallest width and height of a requested rectangle: smaller is no visible signature.
MIN_RECT_SIDE = 5.0


@dataclass(frozen=True)
class SignatureBox:
    """A rectangle in PDF user space on a 1-based page."""

    page: int
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def width(self) -> float:
        """In points; negative for a box not :meth:`normalised`."""
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        """In points; negative for a box not :meth:`normalised`."""
        return self.y2 - self.y1

    def normalised(self) -> SignatureBox:
        """The same rectangle with ``x1 <= x2`` and ``y1 <= y2`` (a PDF /Rect may be either way)."""
        return SignatureBox(
            self.page,
            min(self.x1, self.x2),
            min(self.y1, self.y2),
            max(self.x1, self.x2),
            max(self.y1, self.y2),
        )


def checked_rect(
    rect: SignatureBox,
    page_count: int,
    page_box: Callable[[int], tuple[float, float, float, float]],
) -> SignatureBox:
    """``rect`` if it can hold a visible signature on its page, else :class:`InvalidInput`.

    The one check of a caller's rectangle (PLACEMENT_INVALID): ``page`` is 1 to
    ``page_count``; the corners are finite, ``x1 < x2`` and ``y1 < y2`` (a caller's
    rectangle is not normalised: swapped corners are a mistake, not a convention); each
    side is at least :data:`MIN_RECT_SIDE` points; and the rectangle lies inside
    ``page_box(page)``, the page's visible box (CropBox, else MediaBox; ``x1 <= x2``,
    ``y1 <= y2``) in the same unrotated user space (ISO 32000-1 8.3.2.3: /Rotate turns the
    view, not the coordinates), so an offset box such as ``[100 100 695 942]`` is honoured.
    ``page_box`` is called only for a page that exists.
    """

    def refuse(problem: str) -> InvalidInput:
        return InvalidInput("PLACEMENT_INVALID", page=rect.page, problem=problem)

    if not 1 <= rect.page <= page_count:
        raise refuse(f"the document has {page_count} page(s)")
    corners = (rect.x1, rect.y1, rect.x2, rect.y2)
    if not all(math.isfinite(v) for v in corners):
        raise refuse("the rectangle's corners must be finite numbers")
    if not (rect.x1 < rect.x2 and rect.y1 < rect.y2):
        raise refuse("the rectangle needs x1 < x2 and y1 < y2")
    if rect.width < MIN_RECT_SIDE or rect.height < MIN_RECT_SIDE:
        raise refuse(f"the rectangle is smaller than {MIN_RECT_SIDE:g} points")
    bx1, by1, bx2, by2 = page_box(rect.page)
    if rect.x1 < bx1 or rect.y1 < by1 or rect.x2 > bx2 or rect.y2 > by2:
        raise refuse(f"the rectangle is not inside the page [{bx1:g} {by1:g} {bx2:g} {by2:g}]")
    return rect


@dataclass(frozen=True)
class _Line:
    text: str
    x1: float
    top: float  # pdftotext coordinates: origin at the top left
    x2: float
    bottom: float


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _pages(pdf: Path) -> list[tuple[float, float, list[_Line]]]:
    try:
        pages = read_text_boxes(pdf, lines=True, timeout=60)
    except TextExtractionError as exc:
        if exc.timed_out:
            raise InvalidInput("DOCUMENT_TOO_COMPLEX") from exc
        raise InvalidInput("NOT_A_PDF", problem="its text cannot be extracted") from exc
    return [
        (
            page.width,
            page.height,
            [
                _Line(_norm(line.text), line.x_min, line.y_min, line.x_max, line.y_max)
                for line in page.lines
            ],
        )
        for page in pages
    ]


def _overlaps(a: _Line, b: _Line) -> bool:
    return a.x1 < b.x2 and b.x1 < a.x2


def find_personal_box(pdf: Path, anchor: str, aspect: float) -> SignatureBox:
    """The image box for a personal signature anchored on ``anchor`` (title or name line).

    ``aspect`` is the image's width / height; the box is centred on the anchor line.
    The last occurrence wins: the signature block ends the document.
    """
    needle = _norm(anchor)
    if not needle:
        raise InvalidInput("ANCHOR_INVALID")
    found: tuple[int, float, list[_Line], _Line] | None = None
    for number, (_, height, lines) in enumerate(_pages(pdf), start=1):
        for line in lines:
            if needle in line.text:
                found = (number, height, lines, line)
    if found is None:
        raise NotFound("ANCHOR_NOT_FOUND", anchor=anchor)
    number, height, lines, line = found
    column = sorted((o for o in lines if o is not line and _overlaps(o, line)), key=lambda o: o.top)
    if _is_title(line.text):
        # titles are upper case (Decree 30 App. I box 7a-b): the space is below the title
        # block, which may run over several lines
        current = line
        top: float | None = None
        bottom = 0.0
        for other in (o for o in column if o.top > line.top + 1):  # accents overlap bboxes
            gap = other.top - current.bottom
            if gap >= _MIN_GAP:
                top, bottom = current.bottom, other.top
                break
            current = other
        if top is None:
            top = current.bottom
            bottom = top + DEFAULT_IMAGE_HEIGHT + 2 * _MARGIN
    else:
        # the name line (normal case): the space is above it
        above = [o for o in column if o.bottom < line.bottom - 1]
        nearest = above[-1] if above else None
        if nearest is not None and line.top - nearest.bottom >= _MIN_GAP:
            top, bottom = nearest.bottom, line.top
        else:
            top, bottom = line.top - DEFAULT_IMAGE_HEIGHT - 2 * _MARGIN, line.top
    box_h = min(max(bottom - top - 2 * _MARGIN, 10.0), _MAX_IMAGE_HEIGHT)
    box_w = box_h * aspect
    centre = (line.x1 + line.x2) / 2
    y_mid = height - (top + bottom) / 2  # to PDF coordinates (origin bottom left)
    return SignatureBox(
        number, centre - box_w / 2, y_mid - box_h / 2, centre + box_w / 2, y_mid + box_h / 2
    )


def _is_title(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)
