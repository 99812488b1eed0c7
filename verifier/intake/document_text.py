"""The Decree 30/2020 elements the cross-check reads from a document's text lines.

A small reader over poppler's lines (:mod:`kyso.pdf.text_boxes`, as
:class:`verifier.intake.model.TextLine`): the "Số:" line and the place-and-date line of page 1
(Decree 30/2020 Appendix I, items 3 and 4), the issuing body's block above the number in the
left column (item 2), and the signer block on the last page read (item 7: authority prefix,
title, name). The fuller layout reader of ``kyso.layout`` replaces this when it is on main.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from verifier.intake.matching import strip_diacritics
from verifier.intake.model import TextLine

_NUMBER = re.compile(r"^\s*so\s*:?\s*(?P<number>[0-9]+[a-z]?)\s*/\s*(?P<notation>\S.*?)\s*$")
_DATE = re.compile(
    r"(?P<place>[^,]*?)\s*,\s*ngay\s+(?P<d>\d{1,2})\s+thang\s+(?P<m>\d{1,2})\s+nam\s+(?P<y>\d{4})"
)
_NATIONAL = ("cong hoa xa hoi chu nghia", "doc lap - tu do - hanh phuc")
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_]*\.?$")


@dataclass
class DocumentElements:
    number: str = ""
    notation: str = ""
    number_line: str = ""
    place: str = ""
    date: date | None = None
    date_line: str = ""
    issuer: str = ""  # the issuing-body block, lines joined
    signer_lines: tuple[str, ...] = ()  # the right-hand column of the last page, top to bottom
    signer_name: str = ""  # the lowest line there that reads like a person's name


def _plain(text: str) -> str:
    return strip_diacritics(text)


def read_elements(lines: list[TextLine]) -> DocumentElements:
    """Find the elements in ``lines`` (all pages read; page numbers 1-based)."""
    out = DocumentElements()
    if not lines:
        return out
    first = [ln for ln in lines if ln.page == 1]
    last_page = max(ln.page for ln in lines)
    number_y = None
    for ln in first:
        m = _NUMBER.match(_plain(ln.text))
        if m and not out.number_line:
            out.number_line = ln.text
            # keep the original spelling of the symbol (Đ): cut after the number's "/"
            _, _, rest = ln.text.partition("/")
            out.number, out.notation = m.group("number"), rest.strip()
            number_y = ln.y_min
        d = _DATE.search(_plain(ln.text))
        if d and not out.date_line:
            out.date_line = ln.text
            try:
                out.date = date(int(d.group("y")), int(d.group("m")), int(d.group("d")))
            except ValueError:
                out.date = None
            comma = ln.text.find(",")
            out.place = ln.text[:comma].strip() if comma > 0 else ""
    if number_y is not None:
        block = [
            ln
            for ln in first
            if ln.y_max <= number_y + 1
            and (ln.x_min + ln.x_max) / 2 < ln.page_width / 2
            and not any(n in _plain(ln.text) for n in _NATIONAL)
        ]
        out.issuer = " ".join(ln.text for ln in sorted(block, key=lambda b: b.y_min))
    column = sorted(
        (
            ln
            for ln in lines
            if ln.page == last_page
            and ln.x_min > ln.page_width * 0.4
            and ln.y_min > ln.page_height * 0.45
        ),
        key=lambda b: b.y_min,
    )
    out.signer_lines = tuple(ln.text for ln in column)
    for ln in reversed(column):
        if _looks_like_name(ln.text):
            out.signer_name = ln.text
            break
    return out


def _looks_like_name(text: str) -> bool:
    """Two to seven words, each capitalised and not all upper case, no digits."""
    words = text.split()
    if not 2 <= len(words) <= 7 or text.isupper():
        return False
    return all(_NAME_WORD.match(w) and w[0].isupper() for w in words)


__all__ = ["DocumentElements", "read_elements"]
