"""A page as the reader sees it: its visible box, its rotation and its user unit.

PDF draws in *user space* (ISO 32000-1 8.3.2.3); a viewer shows the part inside the page's
CropBox (intersected with its MediaBox, 14.11.2), turned clockwise by ``/Rotate`` degrees
(7.7.3.3), with one user-space unit being ``/UserUnit`` / 72 inch (PDF 1.6, 14.11.2 Table 30).
Placement is easiest to think about in the *view*: the visible box after the rotation, in
user-space units, origin at its top-left corner, x to the right and y downwards — which is
exactly the coordinate system of poppler's ``pdftotext -bbox -cropbox`` (poppler does not
apply ``/UserUnit``), so words found by :mod:`kyso.pdf.text_boxes` are in view coordinates.
:class:`PageGeometry` maps between the two spaces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils import generic

MM = 72 / 25.4  # points per millimetre (at /UserUnit 1)
_ROTATIONS = (0, 90, 180, 270)

Rect = tuple[float, float, float, float]


def inherited(page: generic.DictionaryObject, key: str) -> Any:
    """A page attribute, looked up through /Parent as ISO 32000-1 7.7.3.4 allows (MediaBox,
    CropBox, Rotate, Resources); ``None`` when no ancestor has it."""
    node: Any = page
    for _ in range(64):
        if key in node:
            return node[key]
        if "/Parent" not in node:
            return None
        node = node["/Parent"]
    return None


def _box(value: Any) -> Rect | None:
    try:
        x1, y1, x2, y2 = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        return None
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


@dataclass(frozen=True)
class PageGeometry:
    """``box``: the visible box in user space (CropBox ∩ MediaBox, ``x1 < x2``, ``y1 < y2``);
    ``rotate``: 0, 90, 180 or 270, clockwise as displayed; ``user_unit``: size of a user-space
    unit in 1/72 inch."""

    box: Rect
    rotate: int = 0
    user_unit: float = 1.0

    @property
    def view_size(self) -> tuple[float, float]:
        """``(width, height)`` of the page as the reader sees it, in user-space units."""
        x1, y1, x2, y2 = self.box
        w, h = x2 - x1, y2 - y1
        return (h, w) if self.rotate in (90, 270) else (w, h)

    def length(self, points: float) -> float:
        """A physical length given in points (1/72 inch) in user-space units."""
        return points / self.user_unit

    def to_user(self, vx: float, vy: float) -> tuple[float, float]:
        """View coordinates (top-left origin, y down, as displayed) to user space."""
        x1, y1, x2, y2 = self.box
        if self.rotate == 90:
            return x1 + vy, y1 + vx
        if self.rotate == 180:
            return x2 - vx, y1 + vy
        if self.rotate == 270:
            return x2 - vy, y2 - vx
        return x1 + vx, y2 - vy

    def to_view(self, ux: float, uy: float) -> tuple[float, float]:
        """User space to view coordinates: the inverse of :meth:`to_user`."""
        x1, y1, x2, y2 = self.box
        if self.rotate == 90:
            return uy - y1, ux - x1
        if self.rotate == 180:
            return x2 - ux, uy - y1
        if self.rotate == 270:
            return y2 - uy, x2 - ux
        return ux - x1, y2 - uy

    def rect_to_user(self, rect: Rect) -> Rect:
        """A view rectangle ``(left, top, right, bottom)`` as a normalised user-space one
        (the corners mapped by :meth:`to_user`, written out: the layout reader maps every
        word's box with it)."""
        left, top, right, bottom = rect
        if left > right:
            left, right = right, left
        if top > bottom:
            top, bottom = bottom, top
        x1, y1, x2, y2 = self.box
        rotate = self.rotate
        if rotate == 90:
            return top + x1, left + y1, bottom + x1, right + y1
        if rotate == 180:
            return x2 - right, top + y1, x2 - left, bottom + y1
        if rotate == 270:
            return x2 - bottom, y2 - right, x2 - top, y2 - left
        return left + x1, y2 - bottom, right + x1, y2 - top

    def rect_to_view(self, rect: Rect) -> Rect:
        """A user-space rectangle (either corner order) as a view one ``(left, top, right,
        bottom)``: the inverse of :meth:`rect_to_user`."""
        ux1, uy1, ux2, uy2 = rect
        if ux1 > ux2:
            ux1, ux2 = ux2, ux1
        if uy1 > uy2:
            uy1, uy2 = uy2, uy1
        x1, y1, x2, y2 = self.box
        rotate = self.rotate
        if rotate == 90:
            return uy1 - y1, ux1 - x1, uy2 - y1, ux2 - x1
        if rotate == 180:
            return x2 - ux2, uy1 - y1, x2 - ux1, uy2 - y1
        if rotate == 270:
            return y2 - uy2, x2 - ux2, y2 - uy1, x2 - ux1
        return ux1 - x1, y2 - uy2, ux2 - x1, y2 - uy1

    def contains(self, rect: Rect, slack: float = 0.01) -> bool:
        """Whether the user-space ``rect`` lies inside the visible box."""
        x1, y1, x2, y2 = self.box
        return (
            rect[0] >= x1 - slack
            and rect[1] >= y1 - slack
            and rect[2] <= x2 + slack
            and rect[3] <= y2 + slack
        )


def normalise_rotation(value: Any) -> int:
    """/Rotate as 0, 90, 180 or 270 (ISO 32000-1 7.7.3.3: a multiple of 90, clockwise; a
    negative one counts from 360; anything else, or no number at all, is 0 as viewers show it)."""
    try:
        rotate = int(value or 0) % 360
    except (TypeError, ValueError):
        return 0
    return rotate if rotate in _ROTATIONS else 0


def page_geometry(page: generic.DictionaryObject) -> PageGeometry | None:
    """The geometry of a page dictionary; ``None`` without a usable MediaBox.

    A CropBox that does not meet the MediaBox is ignored (the MediaBox is shown); a /Rotate
    that is not a multiple of 90 is taken as 0, as viewers do; a /UserUnit that is not a
    positive number is taken as 1."""
    media = _box(inherited(page, "/MediaBox"))
    if media is None or media[0] >= media[2] or media[1] >= media[3]:
        return None
    crop = _box(inherited(page, "/CropBox"))
    box = media
    if crop is not None:
        clipped = (
            max(crop[0], media[0]),
            max(crop[1], media[1]),
            min(crop[2], media[2]),
            min(crop[3], media[3]),
        )
        if clipped[0] < clipped[2] and clipped[1] < clipped[3]:
            box = clipped
    rotate = normalise_rotation(inherited(page, "/Rotate"))
    unit: Any = page.get("/UserUnit", 1.0) if isinstance(page, dict) else 1.0
    try:
        user_unit = float(unit)
    except (TypeError, ValueError):
        user_unit = 1.0
    if not (math.isfinite(user_unit) and user_unit > 0):
        user_unit = 1.0
    return PageGeometry(box, rotate, user_unit)


__all__ = ["MM", "PageGeometry", "Rect", "inherited", "normalise_rotation", "page_geometry"]
