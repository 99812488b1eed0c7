"""The Decree 30/2020 elements of a document, recognised on its pages' lines.

Decree 30/2020/NĐ-CP Art. 8(2) lists the elements; Appendix I places them: the national title
(Quốc hiệu) and motto (Tiêu ngữ) top right, the issuing body top left, the number and symbol
under it, place and date on the number's row to the right, the type name and subject centred
below, the recipients (Nơi nhận) bottom left, the signer block bottom right
(:mod:`kyso.layout.signer_block`).

This module only *finds* elements and says where they are; whether they are right is the
verifier's business (``verifier.layout``). OCR text is matched with a few edits of tolerance
(``max_edits``), text-layer text exactly (after NFC and dash normalisation).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from kyso.layout.geometry import Rect
from kyso.layout.text import OCR, Line, PageText
from kyso.layout.vocabulary import Vocabulary, vocabulary

#: the header of page 1 is its top part (share of the page height, as seen)
HEADER_SHARE = 0.4
_NUMBER = re.compile(r"^S[ốóoô]\s*(?::|(?=\d))", re.IGNORECASE)  # "Số:", or "Số 05/..."
_PLACE_DATE = re.compile(
    r"(?P<place>[^,]{1,60}),\s*ngày\s+(?P<day>\S{1,4})\s+tháng\s+(?P<month>\S{1,4})\s+"
    r"năm\s+(?P<year>\d{4})",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Element:
    """One recognised element: its lines (all on one page) and their text."""

    kind: str
    lines: tuple[Line, ...]

    @property
    def page(self) -> int:
        return self.lines[0].page

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines)

    @property
    def user(self) -> Rect:
        r = self.lines[0].user
        for line in self.lines[1:]:
            r = r.union(line.user)
        return r

    @property
    def view(self) -> Rect:
        r = self.lines[0].view
        for line in self.lines[1:]:
            r = r.union(line.view)
        return r


@dataclass
class Header:
    """What page 1 shows of the Decree 30 header (None: not found)."""

    page: PageText
    national_title: Element | None = None
    motto: Element | None = None
    issuer: Element | None = None
    number: Element | None = None
    place_date: Element | None = None
    type_name: Element | None = None
    subject: Element | None = None
    attachment_marker: Element | None = None
    copy_form: Element | None = None
    extra_titles: list[Element] = field(default_factory=list)  # further national titles


@dataclass
class Recipients:
    heading: Element
    items: tuple[Line, ...]
    archive: Line | None


def edits(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def _squeeze(v: Vocabulary, text: str) -> str:
    """Normalised, case-folded, without spaces around dashes: for loose comparisons."""
    return re.sub(r"\s*-\s*", "-", v.normalise(text)).casefold()


def _matches(v: Vocabulary, text: str, wanted: str, *, ocr: bool, max_edits: int) -> bool:
    a, b = _squeeze(v, text), _squeeze(v, wanted)
    if b in a:
        return True
    return ocr and edits(a, b, max_edits) <= max_edits


def is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def read_header(page: PageText, *, max_edits: int = 3) -> Header:
    """Recognise the header elements on ``page`` (normally page 1)."""
    v = vocabulary()
    ocr = page.source == OCR
    header = Header(page)
    height = page.geometry.view_height
    width = page.geometry.view_width
    top = [ln for ln in page.lines if ln.view.y0 < height * HEADER_SHARE]
    titles = [
        ln
        for ln in top
        if any(_matches(v, ln.text, t, ocr=ocr, max_edits=max_edits) for t in v.national_titles)
    ]
    if titles:
        header.national_title = Element("national_title", (titles[0],))
        header.extra_titles = [Element("national_title", (t,)) for t in titles[1:]]
    title = header.national_title
    for ln in top:
        if _matches(v, ln.text, v.motto, ocr=ocr, max_edits=max_edits):
            if title is None or ln.view.y0 >= title.view.y0:
                header.motto = Element("motto", (ln,))
                break
    for ln in top:
        if header.number is None and _NUMBER.match(v.normalise(ln.text)):
            header.number = Element("number", (ln,))
        if header.place_date is None and _PLACE_DATE.search(v.normalise(ln.text)):
            header.place_date = Element("place_date", (ln,))
    header.issuer = _issuer(header, top, width)
    _type_and_subject(header, v, page.lines)
    for ln in top:
        text = v.normalise(ln.text)
        if header.attachment_marker is None and any(
            text.startswith(m) or text.startswith(f"({m}") for m in v.attachment_markers
        ):
            header.attachment_marker = Element("attachment_marker", (ln,))
        if header.copy_form is None and any(f in text for f in v.copy_forms):
            header.copy_form = Element("copy_form", (ln,))
    return header


def _issuer(header: Header, top: Sequence[Line], width: float) -> Element | None:
    """Upper-case lines of the left column above the number (or the header's first rows)."""
    limit = header.number.view.y0 if header.number is not None else None
    if limit is None and header.motto is not None:
        limit = header.motto.view.y1 + 20
    taken = {id(e.lines[0]) for e in (header.national_title, header.motto) if e is not None}
    lines = [
        ln
        for ln in top
        if id(ln) not in taken
        and ln.view.centre_x < width * 0.5
        and (limit is None or ln.view.y1 <= limit + 1)
        and is_upper(ln.text)
    ]
    if not lines:
        return None
    first = lines[0]
    block = [first]
    for ln in lines[1:]:
        if ln.view.y0 - block[-1].view.y1 > 2.5 * max(block[-1].height, 8.0):
            break
        block.append(ln)
    del first
    return Element("issuer", tuple(block))


def _type_and_subject(header: Header, v: Vocabulary, lines: Sequence[Line]) -> None:
    """The type name (upper case, from Appendix III) and the subject line(s) under it; an
    official letter (công văn) has no type name and its subject starts with "V/v"."""
    after = max(
        (e.view.y1 for e in (header.number, header.place_date, header.motto) if e is not None),
        default=0.0,
    )
    names = {k: c for k, c in v.type_names.items()}
    for i, ln in enumerate(lines):
        if ln.view.y0 < after - 1:
            if ln.text.startswith(v.subject_prefix):
                header.subject = Element("subject", (ln,))
            continue
        text = v.normalise(ln.text).rstrip(":").strip()
        ocr = header.page.source == OCR
        if header.type_name is None and (
            text in names or (ocr and any(edits(text, n, 1) <= 1 for n in names))
        ):
            header.type_name = Element("type_name", (ln,))
            subject: list[Line] = []
            for nxt in lines[i + 1 : i + 6]:
                gap_ref = subject[-1] if subject else ln
                if nxt.view.y0 - gap_ref.view.y1 > 2.0 * max(gap_ref.height, 8.0):
                    break
                if is_upper(nxt.text) or abs(nxt.view.centre_x - ln.view.centre_x) > 30:
                    break  # the issuing authority's line, or the body (not centred)
                subject.append(nxt)
            if subject:
                header.subject = Element("subject", tuple(subject))
            return
        if ln.text.startswith(v.subject_prefix) and header.subject is None:
            header.subject = Element("subject", (ln,))


def type_code(v: Vocabulary, element: Element | None) -> str | None:
    if element is None:
        return None
    return v.type_names.get(v.normalise(element.text).rstrip(":").strip())


def find_recipients(page: PageText, *, below: float = 0.0) -> Recipients | None:
    """ "Nơi nhận:" and the list under it in the same column; the "Lưu:" line if any."""
    v = vocabulary()
    heading = next(
        (
            ln
            for ln in page.lines
            if ln.view.y0 >= below and v.normalise(ln.text).startswith(v.recipients_heading[:-1])
        ),
        None,
    )
    if heading is None:
        return None
    items: list[Line] = []
    last = heading
    for ln in page.lines:
        if ln.view.y0 <= heading.view.y0 + 1 or ln is heading:
            continue
        if ln.view.x0 > heading.view.x0 + 0.3 * page.geometry.view_width:
            continue  # the signer block's column
        if ln.view.y0 - last.view.y1 > 3 * max(last.height, 8.0):
            break
        items.append(ln)
        last = ln
    archive = next(
        (ln for ln in items if v.archive_line[:-1] in v.normalise(ln.text).split(":")[0]), None
    )
    return Recipients(Element("recipients", (heading,)), tuple(items), archive)


_COPY_SYMBOL = re.compile(r"\d+\s*/\s*(?:SY|SL|TrS)\b")


def copy_forms_stated(text: str) -> list[str]:
    """The copy forms a text states: "SAO Y", "SAO LỤC", "TRÍCH SAO", or a copy's number and
    symbol with its Appendix III code (SY, SL, TrS: "Số: 15/SY-UBND")."""
    found = [f for f in vocabulary().copy_forms if f in text.upper()]
    found += [m.group() for m in _COPY_SYMBOL.finditer(text)]
    return found


def place_date_parts(text: str) -> dict[str, str] | None:
    m = _PLACE_DATE.search(vocabulary().normalise(text))
    return m.groupdict() if m else None


__all__ = [
    "HEADER_SHARE",
    "Element",
    "Header",
    "Recipients",
    "copy_forms_stated",
    "edits",
    "find_recipients",
    "is_upper",
    "place_date_parts",
    "read_header",
    "type_code",
]
