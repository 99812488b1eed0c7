"""What an annotation added after signing covers (DSS's PdfAnnotationOverlap).

Why: a comment in an empty margin is harmless, but the same annotation drawn over the signature
appearance, an earlier annotation or the signed content changes what the reader sees (the shadow
"overlay" attack).  Each annotation's /Rect is compared, on its page, with the widgets and
annotations of the signed revision, then with the word boxes ``pdftotext -bbox`` finds in the
signed revision's bytes (:mod:`kyso.pdf.text_boxes`), then with what ``pdftoppm`` draws there
(images, scans, lines): only a blank area counts as covering nothing.  Anything that cannot be
established is ``UNKNOWN`` and is judged like covered content (never PASSED).  Poppler runs only
when such annotations exist, on one page, with a timeout.
"""

from __future__ import annotations

import enum
import logging
import math
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from kyso.pdf.text_boxes import TextExtractionError, read_text_boxes

log = logging.getLogger("kyso.verifier.annotations")

_MAX_PAGES = 10_000
_MAX_ANNOTS_PER_PAGE = 2_000
_POPPLER_TIMEOUT = 5.0
_INK = 235  # grey level below which a rendered pixel counts as drawn content
_MIN_OVERLAP = 0.5  # points: boxes that merely touch do not cover each other
_HIDDEN = 2  # annotation flag bit 2

ObjectId = tuple[int, int]


class Covers(enum.Enum):
    SIGNATURE = "SIGNATURE"  # a signature widget of the signed revision
    ANNOTATION = "ANNOTATION"  # another annotation or widget of the signed revision
    TEXT = "TEXT"  # text of the page in the signed revision
    CONTENT = "CONTENT"  # drawn content (images, graphics) of the page in the signed revision
    NOTHING = "NOTHING"
    NOT_SHOWN = "NOT_SHOWN"  # hidden, zero area or a popup
    UNKNOWN = "UNKNOWN"  # could not be established


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return w > _MIN_OVERLAP and h > _MIN_OVERLAP

    def text(self) -> str:
        return f"[{self.x0:g} {self.y0:g} {self.x1:g} {self.y1:g}]"


@dataclass(frozen=True)
class Finding:
    ref: ObjectId
    subtype: str
    page: int  # 1-based; 0 when unknown
    rect: Box | None
    covers: Covers
    what: str = ""  # e.g. the covered signature field's name

    @property
    def description_en(self) -> str:
        where = f"annotation {self.subtype} on page {self.page or '?'}"
        if self.rect is not None:
            where += f" at {self.rect.text()}"
        return (
            where
            + {
                Covers.SIGNATURE: f" covers the signature appearance {self.what}".rstrip(),
                Covers.ANNOTATION: f" covers an earlier annotation {self.what}".rstrip(),
                Covers.TEXT: " covers text of the signed page",
                Covers.CONTENT: " covers drawn content (images or graphics) of the signed page",
                Covers.NOTHING: " covers nothing of the signed page",
                Covers.NOT_SHOWN: " is not shown (hidden, empty or a popup)",
                Covers.UNKNOWN: ": what it covers could not be established",
            }[self.covers]
        )

    @property
    def description_vi(self) -> str:
        where = f"chú thích {self.subtype} trên trang {self.page or '?'}"
        if self.rect is not None:
            where += f" tại {self.rect.text()}"
        return (
            where
            + {
                Covers.SIGNATURE: f" che lên hình chữ ký {self.what}".rstrip(),
                Covers.ANNOTATION: f" che lên chú thích có trước {self.what}".rstrip(),
                Covers.TEXT: " che lên nội dung văn bản của trang đã ký",
                Covers.CONTENT: " che lên hình ảnh hoặc nét vẽ của trang đã ký",
                Covers.NOTHING: " không che nội dung nào của trang đã ký",
                Covers.NOT_SHOWN: " không hiển thị (ẩn, rỗng hoặc cửa sổ bật lên)",
                Covers.UNKNOWN: ": không xác định được phần bị che",
            }[self.covers]
        )


def _num(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | generic.FloatObject):
        raise TypeError("not a number")
    return float(value)


def _box(value: Any) -> Box | None:
    """Normalised rectangle, or None when it is not a rectangle of four numbers."""
    try:
        if isinstance(value, generic.IndirectObject):
            value = value.get_object()
        if not isinstance(value, generic.ArrayObject) or len(value) != 4:
            return None
        a, b, c, d = (_num(v) for v in value)
    except Exception:
        return None
    return Box(min(a, c), min(b, d), max(a, c), max(b, d))


def _not_shown(annot: generic.DictionaryObject, box: Box | None) -> bool:
    flags = annot.get("/F", 0)
    hidden = isinstance(flags, int) and not isinstance(flags, bool) and bool(flags & _HIDDEN)
    empty = box is not None and (box.x1 - box.x0 <= 0 or box.y1 - box.y0 <= 0)
    return hidden or empty or annot.get("/Subtype") == "/Popup"


def _pages(root: Any) -> list[tuple[ObjectId | None, generic.DictionaryObject]]:
    """Leaf pages in order (bounded, loop-safe)."""
    out: list[tuple[ObjectId | None, generic.DictionaryObject]] = []
    seen: set[ObjectId] = set()
    stack: list[Any] = [root.raw_get("/Pages")] if "/Pages" in root else []
    while stack and len(out) < _MAX_PAGES:
        raw = stack.pop()
        ref = (raw.idnum, raw.generation) if isinstance(raw, generic.IndirectObject) else None
        if ref is not None:
            if ref in seen:
                continue
            seen.add(ref)
        node = raw.get_object() if isinstance(raw, generic.IndirectObject) else raw
        if not isinstance(node, generic.DictionaryObject):
            continue
        if node.get("/Type") == "/Page" or "/Kids" not in node:
            out.append((ref, node))
            continue
        kids = node.raw_get("/Kids")
        kids = kids.get_object() if isinstance(kids, generic.IndirectObject) else kids
        if isinstance(kids, generic.ArrayObject):
            stack.extend(reversed(list(kids)))
    return out


def _annot_refs(page: generic.DictionaryObject) -> list[tuple[ObjectId | None, Any]]:
    if "/Annots" not in page:
        return []
    annots = page.raw_get("/Annots")
    annots = annots.get_object() if isinstance(annots, generic.IndirectObject) else annots
    if not isinstance(annots, generic.ArrayObject):
        return []
    out: list[tuple[ObjectId | None, Any]] = []
    for a in list(annots)[:_MAX_ANNOTS_PER_PAGE]:
        ref = (a.idnum, a.generation) if isinstance(a, generic.IndirectObject) else None
        out.append((ref, a))
    return out


def _is_signature_widget(annot: generic.DictionaryObject) -> bool:
    if annot.get("/Subtype") != "/Widget":
        return False
    node: Any = annot
    for _ in range(8):  # /FT may be inherited from the parent field
        if not isinstance(node, generic.DictionaryObject):
            return False
        if "/FT" in node:
            return bool(node.get("/FT") == "/Sig")
        node = node.get("/Parent")
    return False


def _field_name(annot: generic.DictionaryObject) -> str:
    name = annot.get("/T")
    if name is None and isinstance(annot.get("/Parent"), generic.DictionaryObject):
        name = annot["/Parent"].get("/T")
    return f"'{name}'" if name is not None else ""


class _SignedPages:
    """Pages of one signed revision as poppler sees them: word boxes (cached) and pixels."""

    def __init__(self, data: Any, end: int) -> None:
        self._data = data
        self._end = end
        self._pages: dict[int, tuple[float, list[Box]] | None] = {}
        self._bytes: bytes | None = None

    def _revision(self) -> bytes:
        if self._bytes is None:
            self._bytes = bytes(self._data[: self._end])
        return self._bytes

    def inked(self, page: int, box: Box) -> bool | None:
        """Whether anything non-white is drawn in ``box`` (top-left points); None: unknown."""
        exe = shutil.which("pdftoppm")
        if exe is None:
            return None
        # 1 pt inside the box: anti-aliasing of content next to it must not count
        x0, y0 = math.floor(box.x0) + 1, math.floor(box.y0) + 1
        w, h = math.ceil(box.x1) - 1 - x0, math.ceil(box.y1) - 1 - y0
        if w <= 0 or h <= 0:
            return False
        argv = [exe, "-q", "-gray", "-r", "72", "-f", str(page), "-l", str(page)]
        argv += ["-x", str(max(0, x0)), "-y", str(max(0, y0)), "-W", str(w), "-H", str(h), "-"]
        try:
            proc = subprocess.run(
                argv,
                input=self._revision(),
                capture_output=True,
                timeout=_POPPLER_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.info("pdftoppm failed: %s", type(exc).__name__)
            return None
        parts = proc.stdout.split(maxsplit=4)
        if proc.returncode != 0 or len(parts) < 5 or parts[0] != b"P5" or parts[3] != b"255":
            return None
        pixels = parts[4][: int(parts[1]) * int(parts[2])]
        return bool(pixels) and min(pixels) < _INK

    def words(self, page: int) -> tuple[float, list[Box]] | None:
        """(page height, word boxes in pdftotext's top-left coordinates), or None on failure."""
        if page not in self._pages:
            self._pages[page] = self._run(page)
        return self._pages[page]

    def _run(self, page: int) -> tuple[float, list[Box]] | None:
        try:
            pages = read_text_boxes(
                self._revision(), first_page=page, last_page=page, timeout=_POPPLER_TIMEOUT
            )
        except TextExtractionError as exc:
            log.info("pdftotext failed: %s", exc)
            return None
        if not pages:
            return None
        words = pages[0].words
        return pages[0].height, [Box(w.x_min, w.y_min, w.x_max, w.y_max) for w in words]


def _covers_content(
    pages: _SignedPages, page_no: int, page: generic.DictionaryObject, rect: Box
) -> Covers:
    if int(page.get("/Rotate", 0) or 0) % 360 != 0:
        return Covers.UNKNOWN  # rotated pages: the coordinate mapping is not done here
    crop = _box(page.get("/CropBox")) or _box(page.get("/MediaBox"))
    words = pages.words(page_no)
    if crop is None or words is None:
        return Covers.UNKNOWN
    _height, boxes = words
    # poppler: origin at the crop box's top-left corner, y downwards, 1 pt = 1 px at 72 dpi.
    flipped = Box(rect.x0 - crop.x0, crop.y1 - rect.y1, rect.x1 - crop.x0, crop.y1 - rect.y0)
    if any(flipped.overlaps(b) for b in boxes):
        return Covers.TEXT
    inked = pages.inked(page_no, flipped)
    if inked is None:
        return Covers.UNKNOWN
    return Covers.CONTENT if inked else Covers.NOTHING


def assess(
    reader: PdfFileReader, data: Any, signed_revision: int, signed_end: int, refs: list[ObjectId]
) -> list[Finding]:
    """What each annotation (as the file shows it now) covers of the signed revision."""
    if not refs:
        return []
    wanted = set(refs)
    current_pages = _pages(reader.root)
    where: dict[ObjectId, tuple[int, ObjectId | None]] = {}
    for i, (page_ref, page) in enumerate(current_pages):
        for ref, _raw in _annot_refs(page):
            if ref in wanted and ref not in where:
                where[ref] = (i + 1, page_ref)
    old = reader.get_historical_resolver(signed_revision)
    old_pages = {ref: (i + 1, p) for i, (ref, p) in enumerate(_pages(old.root)) if ref}
    pages = _SignedPages(data, signed_end)
    findings: list[Finding] = []
    for ref in refs:
        try:
            annot = reader.get_object(generic.Reference(*ref))
        except Exception:
            annot = None
        if not isinstance(annot, generic.DictionaryObject):
            findings.append(Finding(ref, "?", 0, None, Covers.UNKNOWN))
            continue
        subtype = str(annot.get("/Subtype", "/?"))[1:]
        rect = _box(annot.get("/Rect"))
        page_no, page_ref = where.get(ref, (0, None))
        if _not_shown(annot, rect):
            findings.append(Finding(ref, subtype, page_no, rect, Covers.NOT_SHOWN))
            continue
        signed_page = old_pages.get(page_ref) if page_ref is not None else None
        if rect is None or signed_page is None:
            findings.append(Finding(ref, subtype, page_no, rect, Covers.UNKNOWN))
            continue
        old_no, old_page = signed_page
        finding = Finding(ref, subtype, page_no, rect, Covers.NOTHING)
        for old_ref, raw in _annot_refs(old_page):
            if old_ref == ref:
                continue  # the same annotation, changed: its old self is not "covered"
            try:
                other = raw.get_object() if isinstance(raw, generic.IndirectObject) else raw
            except Exception as exc:
                log.info("signed annotation unreadable: %s", type(exc).__name__)
                continue
            if not isinstance(other, generic.DictionaryObject):
                continue
            box = _box(other.get("/Rect"))
            if box is None or _not_shown(other, box) or not rect.overlaps(box):
                continue
            if _is_signature_widget(other):
                finding = Finding(ref, subtype, page_no, rect, Covers.SIGNATURE, _field_name(other))
                break
            if finding.covers is Covers.NOTHING:
                finding = Finding(ref, subtype, page_no, rect, Covers.ANNOTATION)
        if finding.covers is Covers.NOTHING:
            covers = _covers_content(pages, old_no, old_page, rect)
            finding = Finding(ref, subtype, page_no, rect, covers)
        findings.append(finding)
    return findings


__all__ = ["Box", "Covers", "Finding", "assess"]
