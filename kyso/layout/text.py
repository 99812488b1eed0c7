"""Words and lines of a page with their boxes, read in process by PDFium (pypdfium2).

Why PDFium and not ``pdftotext -bbox`` (:mod:`kyso.pdf.text_boxes`): a layout check runs on
every Verify and must cost a few milliseconds on a one-page document; a subprocess alone costs
more. PDFium also tells the font of each character (italic, bold: Decree 30/2020 Appendix I
prescribes both for several elements) and the page's images (is it a scan?).

Every word and line has its box twice: ``user`` (PDF user space, what reports show) and
``view`` (as the reader sees the page after /Rotate and cropping; reading order, columns and
"top right" are decided there). A line here is one column's run of words on a visual row: the
two columns of a Decree 30 header ("ỦY BAN NHÂN DÂN" | "CỘNG HÒA XÃ HỘI ...") are two lines.

All text is NFC-normalised (TCVN 6909:2001 is Unicode; decomposed accents from some producers
compare equal). Raises nothing but :class:`LayoutReadError` for a document PDFium cannot open.
"""

from __future__ import annotations

import ctypes
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from kyso.layout.geometry import PageGeometry, Rect, normalise_rotation
from kyso.pdf.rendering import PDFIUM_LOCK as _PROCESS_PDFIUM_LOCK

TEXT_LAYER = "text_layer"
OCR = "ocr"
NONE = "none"

_ITALIC_FLAG = 1 << 6  # ISO 32000-1 Table 123, font descriptor flag 7 (Italic)
_FORCE_BOLD_FLAG = 1 << 18
#: a page is a scan when one image covers at least this share of it and it has little text
SCAN_IMAGE_SHARE = 0.5
#: a scan may carry a little text (a signing tool's stamp); below this count it is still a scan
SCAN_MAX_TEXT_CHARS = 300


#: PDFium is not thread-safe, not even across documents (pypdfium2's documentation): every
#: PDFium call of the process goes through this lock, the one the verifier's page renders take
#: too (:data:`kyso.pdf.rendering.PDFIUM_LOCK`). Documents, pages, text pages and bitmaps
#: are closed explicitly under it, so no garbage-collector finaliser calls PDFium unlocked.
PDFIUM_LOCK = _PROCESS_PDFIUM_LOCK


class LayoutReadError(Exception):
    """PDFium could not open the document or one of its pages."""


@dataclass(frozen=True)
class Word:
    text: str
    user: Rect
    view: Rect
    italic: bool | None = None  # None: unknown (OCR)
    bold: bool | None = None


@dataclass(frozen=True)
class Line:
    """A run of words on one visual row and in one column, left to right as seen."""

    words: tuple[Word, ...]
    page: int
    view: Rect
    user: Rect

    @staticmethod
    def of(words: Sequence[Word], page: int) -> Line:
        vs = [w.view for w in words]
        us = [w.user for w in words]
        view = Rect(
            min(r.x0 for r in vs), min(r.y0 for r in vs),
            max(r.x1 for r in vs), max(r.y1 for r in vs),
        )  # fmt: skip
        user = Rect(
            min(r.x0 for r in us), min(r.y0 for r in us),
            max(r.x1 for r in us), max(r.y1 for r in us),
        )  # fmt: skip
        return Line(tuple(words), page, view, user)

    @cached_property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def italic(self) -> bool | None:
        flags = [w.italic for w in self.words]
        return None if None in flags else all(flags)

    @property
    def bold(self) -> bool | None:
        flags = [w.bold for w in self.words]
        return None if None in flags else all(flags)

    @property
    def height(self) -> float:
        return _median(w.view.height for w in self.words)


@dataclass
class PageText:
    """What one page says and how it was read."""

    geometry: PageGeometry
    lines: list[Line] = field(default_factory=list)
    source: str = TEXT_LAYER  # text_layer, ocr or none
    text_chars: int = 0  # characters of the text layer outside signature widgets
    image_share: float = 0.0  # share of the visible page covered by images (summed, at most 1)
    sideways_chars: int = 0  # text-layer characters not upright as the page is shown
    ocr_seconds: float = 0.0
    widget_words: list[Word] = field(default_factory=list)  # inside signature widgets

    @property
    def number(self) -> int:
        return self.geometry.number

    @property
    def needs_ocr(self) -> bool:
        """A scan: images cover at least half of the page and there is at most a stamp's worth
        of text. A page with little text and no picture has nothing to read (not a scan)."""
        return self.image_share >= SCAN_IMAGE_SHARE and self.text_chars < SCAN_MAX_TEXT_CHARS


def _median(values: Iterable[float]) -> float:
    """The middle value (upper middle for an even count): cheaper than statistics.median."""
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def open_document(data: bytes | memoryview | Path | Any) -> pdfium.PdfDocument:
    """Open ``data`` (bytes, a memoryview, an mmap, or a file's path: PDFium then reads the
    file as it needs it) with PDFium; :class:`LayoutReadError`."""
    raw = str(data) if isinstance(data, Path) else bytes(data)
    with PDFIUM_LOCK:
        try:
            return pdfium.PdfDocument(raw)
        except pdfium.PdfiumError as exc:
            raise LayoutReadError(f"PDFium cannot open the document: {exc}") from exc


def close_document(pdf: pdfium.PdfDocument) -> None:
    """Close ``pdf`` under the lock (never leave it to a finaliser in another thread)."""
    with PDFIUM_LOCK:
        pdf.close()


def page_geometry(pdf: pdfium.PdfDocument, index: int) -> PageGeometry:
    with PDFIUM_LOCK:
        page = pdf[index]
        try:
            return _geometry(page, index)
        finally:
            page.close()


def _geometry(page: pdfium.PdfPage, index: int) -> PageGeometry:
    mx0, my0, mx1, my1 = page.get_mediabox()
    cx0, cy0, cx1, cy1 = page.get_cropbox()
    media = Rect.of(mx0, my0, mx1, my1)
    crop = Rect.of(cx0, cy0, cx1, cy1).intersection(media) or media
    # /UserUnit is not exposed by PDFium's page API: callers pass it to read_page
    return PageGeometry(index + 1, crop, normalise_rotation(page.get_rotation()))


def read_page(
    pdf: pdfium.PdfDocument, index: int, *, exclude: Sequence[Rect] = (), user_unit: float = 1.0
) -> PageText:
    """The text layer of page ``index`` (0-based) as lines.

    ``exclude`` are user-space rectangles (signature widgets) whose characters do not count
    towards :attr:`PageText.text_chars` (a signing tool's stamp is not the document's text).
    """
    with PDFIUM_LOCK:
        return _read_page(pdf, index, exclude, user_unit)


def _read_page(
    pdf: pdfium.PdfDocument, index: int, exclude: Sequence[Rect], user_unit: float
) -> PageText:
    try:
        page = pdf[index]
    except (pdfium.PdfiumError, IndexError) as exc:
        raise LayoutReadError(f"page {index + 1} cannot be read") from exc
    try:
        if _visible_annotations(page):
            # what the reader sees includes annotations (issuing systems stamp the number and
            # date as form fields); flattening only changes this in-memory copy
            pdfium_c.FPDFPage_Flatten(page.raw, pdfium_c.FLAT_NORMALDISPLAY)
            page.close()
            page = pdf[index]
        geometry = _geometry(page, index)
        if user_unit != 1.0:
            geometry = PageGeometry(geometry.number, geometry.crop, geometry.rotation, user_unit)
        out = PageText(geometry)
        out.image_share = _image_share(page, geometry)
        textpage = page.get_textpage()
        try:
            words, counted, sideways = _words(textpage, geometry, exclude)
        finally:
            textpage.close()
        out.text_chars, out.sideways_chars = counted, sideways
        # the widgets' text stays in the lines: issuing systems stamp the number and the date
        # as signature fields (seen on real government documents)
        out.widget_words = [w for w in words if any(_centre_in(w.user, r) for r in exclude)]
        out.lines = group_lines(words, geometry.number)
        if out.needs_ocr:
            out.source = NONE
        return out
    finally:
        page.close()


def _visible_annotations(page: pdfium.PdfPage) -> bool:
    """True when an annotation of the page has an area (an invisible signature has none)."""
    rect = pdfium_c.FS_RECTF()
    for i in range(pdfium_c.FPDFPage_GetAnnotCount(page.raw)):
        annot = pdfium_c.FPDFPage_GetAnnot(page.raw, i)
        if not annot:
            continue
        try:
            if pdfium_c.FPDFAnnot_GetRect(annot, ctypes.byref(rect)):
                if abs(rect.right - rect.left) > 1 and abs(rect.top - rect.bottom) > 1:
                    return True
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)
    return False


def _image_share(page: pdfium.PdfPage, geometry: PageGeometry) -> float:
    area = geometry.crop.width * geometry.crop.height or 1.0
    covered = 0.0
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
        try:
            x0, y0, x1, y1 = obj.get_bounds()
        except pdfium.PdfiumError:
            continue
        hit = Rect.of(x0, y0, x1, y1).intersection(geometry.crop)
        if hit is not None:
            covered += hit.width * hit.height / area  # strips of one scan add up
    return min(covered, 1.0)


def _font(textpage: Any, index: int, buf: Any, flags: Any) -> tuple[bool, bool]:
    pdfium_c.FPDFText_GetFontInfo(textpage, index, buf, 128, ctypes.byref(flags))
    name = bytes(buf.value).lower()
    italic = bool(flags.value & _ITALIC_FLAG) or b"italic" in name or b"oblique" in name
    bold = bool(flags.value & _FORCE_BOLD_FLAG) or b"bold" in name
    if not bold:
        bold = pdfium_c.FPDFText_GetFontWeight(textpage, index) >= 600
    return italic, bold


def _all_text(raw: Any, n: int) -> str | None:
    """The page's characters in one call (UTF-16, one unit per character), or None when a
    character outside the BMP makes the units and the character indices disagree."""
    buf = ctypes.create_string_buffer(2 * (n + 1))
    got = pdfium_c.FPDFText_GetText(raw, 0, n, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)))
    text = buf.raw[: 2 * max(got - 1, 0)].decode("utf-16-le", errors="replace")
    return text if len(text) == n else None


_TOKEN = re.compile(r"[^\s\x00]+")


def _words(
    textpage: pdfium.PdfTextPage, geometry: PageGeometry, exclude: Sequence[Rect]
) -> tuple[list[Word], int, int]:
    """Characters → words: runs of non-space characters (PDFium generates spaces and line ends
    between text runs that are apart). A word's box is the union of its first and last
    character's boxes, which keeps this to a few PDFium calls per word (a one-page document
    is read in about a millisecond)."""
    raw = textpage.raw
    n = pdfium_c.FPDFText_CountChars(raw)
    if n <= 0:
        return [], 0, 0
    text = _all_text(raw, n)
    if text is None:
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(raw, i) or 32) for i in range(n))
    cl, cr, cb, ct = (ctypes.c_double() for _ in range(4))
    pl, pr, pb, pt = (ctypes.byref(v) for v in (cl, cr, cb, ct))
    get_box = pdfium_c.FPDFText_GetCharBox
    buf = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    words: list[Word] = []
    counted = sideways = 0
    rotation = geometry.rotation
    to_view = geometry.to_view
    styles: dict[int | None, tuple[bool, bool, bool]] = {}  # per text object: one font
    for m in _TOKEN.finditer(text):
        first, last = m.start(), m.end() - 1
        get_box(raw, first, pl, pr, pb, pt)
        x0, x1, y0, y1 = cl.value, cr.value, cb.value, ct.value
        if last != first:
            get_box(raw, last, pl, pr, pb, pt)
            x0, x1 = min(x0, cl.value), max(x1, cr.value)
            y0, y1 = min(y0, cb.value), max(y1, ct.value)
        user = Rect(x0, y0, x1, y1)
        if any(_centre_in(user, r) for r in exclude):
            words.append(Word(nfc(m.group()), user, to_view(user), None, None))
            continue
        counted += last - first + 1
        obj = ctypes.cast(pdfium_c.FPDFText_GetTextObject(raw, first), ctypes.c_void_p).value
        style = styles.get(obj) if obj else None
        if style is None:
            italic, bold = _font(raw, first, buf, flags)
            angle = pdfium_c.FPDFText_GetCharAngle(raw, first)
            style = styles[obj] = (italic, bold, angle >= 0 and _sideways(angle, rotation))
        italic, bold, turned = style
        if turned:
            sideways += last - first + 1
        words.append(Word(nfc(m.group()), user, to_view(user), italic, bold))
    return words, counted, sideways


def _sideways(angle: float, rotation: int) -> bool:
    """True when a character drawn at ``angle`` (radians, PDFium: clockwise in user space)
    is not upright once the page is turned by ``rotation`` degrees."""
    degrees = (round(angle * 180 / 3.141592653589793) + rotation) % 360
    return min(degrees, 360 - degrees) > 20


def _centre_in(box: Rect, area: Rect) -> bool:
    return area.x0 <= box.centre_x <= area.x1 and area.y0 <= box.centre_y <= area.y1


def group_lines(words: Iterable[Word], page: int) -> list[Line]:
    """Words → lines: same visual row (a word's centre inside the row's span), split into
    columns where the horizontal gap is wider than one and a half word heights or than twice
    the row's usual space (a justified line's spaces are alike; the two columns of a header are
    further apart)."""
    rows: list[list[Word]] = []
    spans: list[tuple[float, float]] = []
    for w in sorted(words, key=lambda w: (w.view.centre_y, w.view.x0)):
        if rows:
            top, bottom = spans[-1]
            if top <= w.view.centre_y <= bottom and w.view.height < 2.5 * (bottom - top) + 2:
                rows[-1].append(w)
                if w.view.height >= 0.5 * (bottom - top):
                    spans[-1] = (min(top, w.view.y0), max(bottom, w.view.y1))
                continue
        rows.append([w])
        spans.append((w.view.y0, w.view.y1))
    lines: list[Line] = []
    for row in rows:
        lines.extend(split_row(row, page))
    lines.sort(key=lambda ln: (ln.view.y1, ln.view.x0))
    return lines


def split_row(row: Sequence[Word], page: int) -> list[Line]:
    """One visual row → its columns' lines (see :func:`group_lines` for the gap rule)."""
    row = sorted(row, key=lambda w: w.view.x0)
    height = _median(w.view.height for w in row)
    gaps = [b.view.x0 - a.view.x1 for a, b in itertools.pairwise(row)]
    typical = _median(gaps) if gaps else height
    split = max(min(1.5 * height, 2.2 * max(typical, 1.0)), 10.0)
    lines: list[Line] = []
    current = [row[0]]
    for w in row[1:]:
        if w.view.x0 - current[-1].view.x1 > split:
            lines.append(Line.of(current, page))
            current = [w]
        else:
            current.append(w)
    lines.append(Line.of(current, page))
    return lines


__all__ = [
    "NONE",
    "OCR",
    "PDFIUM_LOCK",
    "TEXT_LAYER",
    "LayoutReadError",
    "Line",
    "PageText",
    "Word",
    "close_document",
    "group_lines",
    "nfc",
    "open_document",
    "page_geometry",
    "read_page",
    "split_row",
]
