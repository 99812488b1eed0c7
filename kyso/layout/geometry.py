"""Rectangles and the page's view transform.

Two coordinate systems are used throughout :mod:`kyso.layout`:

* **user space** (ISO 32000-1 §8.3.2.3): PDF points, origin at the bottom left of the media box
  as the page's content is drawn, y upwards. Every rectangle a report shows is in user space.
* **view space**: the page as a reader sees it on screen after /Rotate (§7.7.3.3, clockwise in
  multiples of 90°) and cropping to the crop box: points, origin at the top left of the
  visible page, y downwards. Reading order, "top right", "below" and "left third" are decided
  in view space, so a /Rotate 90 page is read as its reader reads it.

The view is the one of :mod:`kyso.pdf.page_geometry` (the signer's placement uses it too, and
it is checked there against poppler for every rotation, offset boxes and /UserUnit): this
module only gives it :class:`Rect` arguments and the page number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kyso.pdf.page_geometry import MM, normalise_rotation
from kyso.pdf.page_geometry import PageGeometry as PdfPageGeometry


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle (x0 <= x1, y0 <= y1) in points."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def centre_x(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def centre_y(self) -> float:
        return (self.y0 + self.y1) / 2

    def union(self, other: Rect) -> Rect:
        return Rect(
            min(self.x0, other.x0),
            min(self.y0, other.y0),
            max(self.x1, other.x1),
            max(self.y1, other.y1),
        )

    def intersection(self, other: Rect) -> Rect | None:
        x0, y0 = max(self.x0, other.x0), max(self.y0, other.y0)
        x1, y1 = min(self.x1, other.x1), min(self.y1, other.y1)
        return Rect(x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (round(self.x0, 2), round(self.y0, 2), round(self.x1, 2), round(self.y1, 2))

    @staticmethod
    def of(a: float, b: float, c: float, d: float) -> Rect:
        """A rectangle from two opposite corners in any order (PDF /Rect arrays)."""
        return Rect(min(a, c), min(b, d), max(a, c), max(b, d))


@dataclass(frozen=True)
class PageGeometry:
    """One page's boxes and rotation: converts between user and view space.

    ``crop`` is the visible area in user space (the crop box clipped to the media box);
    ``rotation`` is /Rotate normalised to 0, 90, 180 or 270; ``user_unit`` is /UserUnit
    (ISO 32000-1 §14.11.2.1; 1 unless the page says otherwise). The transform itself is the
    signer's, :class:`kyso.pdf.page_geometry.PageGeometry` (``transform``): one definition of
    the view for the text reader, the layout rules and the signature placement.
    """

    number: int  # 1-based
    crop: Rect
    rotation: int = 0
    user_unit: float = 1.0
    transform: PdfPageGeometry = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        c = self.crop
        box = (c.x0, c.y0, c.x1, c.y1)
        object.__setattr__(self, "transform", PdfPageGeometry(box, self.rotation, self.user_unit))

    @property
    def view_width(self) -> float:
        return self.transform.view_size[0]

    @property
    def view_height(self) -> float:
        return self.transform.view_size[1]

    def size_mm(self) -> tuple[float, float]:
        """(width, height) of the page as shown, in millimetres (user units applied)."""
        scale = self.user_unit / MM
        return self.view_width * scale, self.view_height * scale

    def to_view(self, r: Rect) -> Rect:
        """A user-space rectangle as the reader sees it (origin top left, y down)."""
        return Rect(*self.transform.rect_to_view((r.x0, r.y0, r.x1, r.y1)))

    def to_user(self, v: Rect) -> Rect:
        """The inverse of :meth:`to_view`."""
        return Rect(*self.transform.rect_to_user((v.x0, v.y0, v.x1, v.y1)))


__all__ = ["MM", "PageGeometry", "Rect", "normalise_rotation"]
