"""Where a visible signature goes on the page.

Anchor text is found in the lines of poppler's ``pdftotext -bbox-layout -cropbox``
(:mod:`kyso.pdf.text_boxes`: the same text extraction clerks' tools use, robust to fonts
and encodings pyHanko would have to decode itself). For a personal signature the image
goes between the signer's title line(s) and name line, as Decree 30/2020 Appendix I box 7c
shows; the organisation's seal covers the left third of it (Appendix I §II.8(a)).

Every layout decision ("below the title", "left of the signature", "top right") is made in
the page's *view* — the visible box as the reader sees it, after /Rotate, in poppler's
top-left coordinates — and only the finished rectangle is mapped to user space
(:class:`kyso.pdf.page_geometry.PageGeometry`), so rotated pages, offset media and crop boxes
and /UserUnit all come out right. Physical sizes (millimetres) are divided by the user unit.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from pyhanko.pdf_utils.reader import PdfFileReader

from kyso.errors import InvalidInput, KysoError, NotFound
from kyso.layout import signer_block as layout_blocks
from kyso.layout.text import LayoutReadError
from kyso.pdf.page_geometry import MM, PageGeometry, Rect, page_geometry
from kyso.pdf.text_boxes import TextExtractionError, read_text_boxes

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
    x1: float  # view coordinates: origin at the visible top left, y down
    top: float
    x2: float
    bottom: float


@dataclass(frozen=True)
class SignerBlock:
    """The space for the personal signature image in a Decree 30 signer block (Appendix I box
    7c: between the title line(s) and the name line), on a 1-based ``page``, in view
    coordinates (user-space units from the visible top-left corner, y down, as displayed):
    the image is centred on ``centre_x`` between ``top`` and ``bottom``."""

    page: int
    centre_x: float
    top: float
    bottom: float


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _pages(pdf: Path) -> list[list[_Line]]:
    try:
        pages = read_text_boxes(pdf, lines=True, timeout=60, crop_box=True)
    except TextExtractionError as exc:
        if exc.timed_out:
            raise InvalidInput("DOCUMENT_TOO_COMPLEX") from exc
        raise InvalidInput("NOT_A_PDF", problem="its text cannot be extracted") from exc
    return [
        [
            _Line(_norm(line.text), line.x_min, line.y_min, line.x_max, line.y_max)
            for line in page.lines
        ]
        for page in pages
    ]


def _overlaps(a: _Line, b: _Line) -> bool:
    return a.x1 < b.x2 and b.x1 < a.x2


def signer_block_from_anchor(
    pdf: Path, anchor: str, geometry: Callable[[int], PageGeometry]
) -> SignerBlock:
    """The signer block around the text ``anchor`` (a title line or the name line).

    The last occurrence wins: the signature block ends the document. An upper-case anchor is
    a title ("KT. CHỦ TỊCH": Appendix I box 7a-b) and the space is the gap below the title
    block; otherwise it is the name and the space is the gap above it. ``geometry(page)`` is
    the page's geometry (for millimetre sizes under /UserUnit).

    With no anchor, :func:`signer_block_from_layout` finds the block with the layout reader
    and gives the same :class:`SignerBlock`.
    Raises :class:`InvalidInput` ``ANCHOR_INVALID`` (empty anchor) and :class:`NotFound`
    ``ANCHOR_NOT_FOUND``.
    """
    needle = _norm(anchor)
    if not needle:
        raise InvalidInput("ANCHOR_INVALID")
    found: tuple[int, list[_Line], _Line] | None = None
    for number, lines in enumerate(_pages(pdf), start=1):
        for line in lines:
            if needle in line.text:
                found = (number, lines, line)
    if found is None:
        raise NotFound("ANCHOR_NOT_FOUND", anchor=anchor)
    number, lines, line = found
    geo = geometry(number)
    min_gap, default_h = geo.length(_MIN_GAP), geo.length(DEFAULT_IMAGE_HEIGHT)
    margin = geo.length(_MARGIN)
    column = sorted((o for o in lines if o is not line and _overlaps(o, line)), key=lambda o: o.top)
    if _is_title(line.text):
        # the space is below the title block, which may run over several lines
        current = line
        top: float | None = None
        bottom = 0.0
        for other in (o for o in column if o.top > line.top + 1):  # accents overlap bboxes
            if other.top - current.bottom >= min_gap:
                top, bottom = current.bottom, other.top
                break
            current = other
        if top is None:
            top = current.bottom
            bottom = top + default_h + 2 * margin
    else:
        # the name line (normal case): the space is above it
        above = [o for o in column if o.bottom < line.bottom - 1]
        nearest = above[-1] if above else None
        if nearest is not None and line.top - nearest.bottom >= min_gap:
            top, bottom = nearest.bottom, line.top
        else:
            top, bottom = line.top - default_h - 2 * margin, line.top
    return SignerBlock(number, (line.x1 + line.x2) / 2, top, bottom)


#: What the signer does when a personal signature has no placement and the document's text does
#: not give one clear signer block (``[signer] personal_placement_fallback``).
Fallback = Literal["refuse", "signer_name"]
_PARENTHESISED = re.compile(r"\s*\([^)]*\)\s*$")  # "Nguyễn Văn An (demo)": a CN's remark


def _fold(text: str) -> str:
    return _PARENTHESISED.sub("", _norm(text)).casefold()


def signer_block_from_layout(
    pdf: Path, names: Sequence[str] = (), titles: Sequence[str] = ()
) -> SignerBlock:
    """The signer block of a Decree 30/2020 document found without an anchor, by the layout
    reader (:func:`kyso.layout.signer_block.signer_blocks_of`: title lines in capitals, the
    signature space, the name line; the last page that has any, text layer only).

    One block on that page is the answer. Several (a joint document, Appendix I box 7 twice):
    the one whose name line is one of ``names`` (the key's display name, the certificate's
    common name; a trailing parenthesised remark such as "(demo)" ignored, case-insensitive),
    else whose title is one of ``titles`` (the key's title), if exactly one is; never a guess.
    Raises :class:`NotFound` ``SIGNER_BLOCK_NOT_FOUND`` (no block, or no text layer),
    :class:`InvalidInput` ``PLACEMENT_AMBIGUOUS`` (several and none or more than one is the
    signer's; the message lists them) and ``NOT_A_PDF`` (PDFium cannot read the document).
    """
    try:
        blocks = layout_blocks.signer_blocks_of(pdf)
    except LayoutReadError as exc:
        raise InvalidInput("NOT_A_PDF", problem="its text cannot be read") from exc
    if not blocks:
        raise NotFound("SIGNER_BLOCK_NOT_FOUND")
    if len(blocks) > 1:
        wanted = {_fold(n) for n in names if n.strip()}
        mine = [b for b in blocks if _fold(b.name) in wanted or _fold(_bare_name(b)) in wanted]
        if not mine:
            wanted_titles = {_fold(t) for t in titles if t.strip()}
            mine = [
                b
                for b in blocks
                if wanted_titles & {_fold(b.title), *(_fold(t.text) for t in b.title_lines)}
            ]
        if len(mine) != 1:
            candidates = "; ".join(
                f"page {b.page}: {b.title_lines[-1].text} / {b.name}" for b in blocks[:6]
            )
            raise InvalidInput("PLACEMENT_AMBIGUOUS", count=len(blocks), candidates=candidates)
        blocks = mine
    (block,) = blocks
    name, last_title = block.name_line.view, block.title_lines[-1].view
    return SignerBlock(block.page, name.centre_x, last_title.y1, name.y0)


def _bare_name(block: layout_blocks.SignerBlock) -> str:
    """The name line without an academic title written before it ("TS. Nguyễn Văn A")."""
    if block.name_prefix and block.name.startswith(block.name_prefix):
        return block.name[len(block.name_prefix) :]
    return block.name


def find_default_personal_box(
    pdf: Path,
    aspect: float,
    geometry: Callable[[int], PageGeometry],
    names: Sequence[str],
    titles: Sequence[str] = (),
    fallback: Fallback = "refuse",
) -> SignatureBox:
    """The image box of a personal signature given no placement: the signer block of
    :func:`signer_block_from_layout`, then :func:`personal_box`. With ``fallback`` =
    ``"signer_name"``, a document without one clear block is anchored on ``names[0]`` instead
    (:func:`signer_block_from_anchor`, the behaviour before the layout reader: the signer's
    name, wherever it last occurs); with ``"refuse"`` (the default) the reader's error stands.
    """
    try:
        block = signer_block_from_layout(pdf, names, titles)
    except KysoError as exc:
        if fallback != "signer_name" or exc.code == "NOT_A_PDF" or not names:
            raise
        block = signer_block_from_anchor(pdf, names[0], geometry)
    return personal_box(block, aspect, geometry(block.page))


def personal_box(block: SignerBlock, aspect: float, geo: PageGeometry) -> SignatureBox:
    """The image box (``aspect`` = width / height) centred in ``block``, in user space."""
    margin = geo.length(_MARGIN)
    _, view_h = geo.view_size
    top, bottom = max(block.top, 0.0), min(block.bottom, view_h)  # the space on the page
    box_h = min(
        max(bottom - top - 2 * margin, geo.length(10.0)),
        geo.length(_MAX_IMAGE_HEIGHT),
    )
    box_w = box_h * aspect
    y_mid = (top + bottom) / 2
    view = (block.centre_x - box_w / 2, y_mid - box_h / 2, block.centre_x + box_w / 2)
    return _from_view(block.page, geo, (*view, y_mid + box_h / 2))


def find_personal_box(
    pdf: Path,
    anchor: str,
    aspect: float,
    geometry: Callable[[int], PageGeometry] | None = None,
) -> SignatureBox:
    """The image box for a personal signature anchored on ``anchor`` (title or name line):
    :func:`signer_block_from_anchor`, then :func:`personal_box`. ``geometry`` gives a page's
    geometry; by default it is read from ``pdf``."""
    geometry = geometry or _geometry_of(pdf)
    block = signer_block_from_anchor(pdf, anchor, geometry)
    return personal_box(block, aspect, geometry(block.page))


def _geometry_of(pdf: Path) -> Callable[[int], PageGeometry]:
    def geometry(page: int) -> PageGeometry:
        with pdf.open("rb") as f:
            ref, _ = PdfFileReader(f, strict=False).find_page_for_modification(page - 1)
            geo = page_geometry(ref.get_object())
        if geo is None:
            raise InvalidInput("NOT_A_PDF", problem=f"page {page} has no MediaBox")
        return geo

    return geometry


def seal_box(
    personal: SignatureBox, geo: PageGeometry, diameter: float, aspect: float
) -> SignatureBox:
    """The organisation's seal over the personal signature image ``personal`` (user space):
    ``diameter`` points wide (its real size; the height follows ``aspect``), its right edge
    a third of the way into the signature from the reader's left, vertically centred on it
    (Decree 30/2020 Appendix I §II.8(a): *trùm lên khoảng 1/3 ... về bên trái*)."""
    p = personal
    left, top, right, bottom = geo.rect_to_view((p.x1, p.y1, p.x2, p.y2))
    width = geo.length(diameter)
    height = width / aspect
    seal_right = left + (right - left) / 3
    mid = (top + bottom) / 2
    view = (seal_right - width, mid - height / 2, seal_right, mid + height / 2)
    return _from_view(personal.page, geo, view)


def top_right_box(
    page: int, geo: PageGeometry, size: tuple[float, float], right_mm: float, top_mm: float
) -> SignatureBox:
    """A box of ``size`` (width, height in points) at the top right of the page as the reader
    sees it, ``right_mm`` from the right edge and ``top_mm`` from the top (Appendix I
    §II.8(b): an attachment's organisation signature, *góc trên, bên phải, trang đầu*)."""
    view_w, _ = geo.view_size
    width, height = geo.length(size[0]), geo.length(size[1])
    right = view_w - geo.length(right_mm * MM)
    top = geo.length(top_mm * MM)
    return _from_view(page, geo, (right - width, top, right, top + height))


def _from_view(page: int, geo: PageGeometry, view: Rect) -> SignatureBox:
    """A view rectangle moved inside the visible page (when it sticks out and fits) and
    mapped to user space."""
    left, top, right, bottom = view
    view_w, view_h = geo.view_size
    dx = -left if left < 0 else min(0.0, view_w - right)
    dy = -top if top < 0 else min(0.0, view_h - bottom)
    if right - left <= view_w and bottom - top <= view_h:
        left, right, top, bottom = left + dx, right + dx, top + dy, bottom + dy
    return SignatureBox(page, *geo.rect_to_user((left, top, right, bottom)))


def _is_title(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


class OnDisk:
    """``source`` as a file path for poppler: the path itself, else a temporary copy."""

    def __init__(self, source: BinaryIO, path: Path | None) -> None:
        self._source = source
        self._path = path
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Path:
        if self._path is not None:
            return self._path
        self._tmp = tempfile.TemporaryDirectory(prefix="kyso-anchor-")
        path = Path(self._tmp.name) / "document.pdf"
        pos = self._source.tell()
        self._source.seek(0)
        with path.open("wb") as f:
            shutil.copyfileobj(self._source, f, 1024 * 1024)
        self._source.seek(pos)
        return path

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
