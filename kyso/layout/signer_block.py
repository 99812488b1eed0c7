"""Signer blocks (Decree 30/2020 Appendix I, box 7): title lines, the space for the signature,
the name line.

A block is one or more upper-case title lines (the first may start with an authority prefix:
"TM.", "Q.", "KT.", "TL.", "TUQ."), then a gap for the handwritten signature and the seal, then
the signer's name in normal case (2 to 6 capitalised words, no digits). Found in view space, so
a /Rotate page is read as the reader sees it. Several blocks on a page (joint documents, or an
ambiguous page) are all returned: callers decide, and say so when they cannot (never a silent
guess). Used by the verifier's SIGNER_BLOCK and PERSONAL_SIGNATURE rules and by the signer's
default placement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kyso.layout.elements import is_upper
from kyso.layout.geometry import Rect
from kyso.layout.text import Line, PageText
from kyso.layout.vocabulary import vocabulary

#: the signature space between the last title line and the name line (points, as seen)
MIN_GAP = 18.0
MAX_GAP = 260.0
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_]*\.?$")


@dataclass(frozen=True)
class SignerBlock:
    page: int
    title_lines: tuple[Line, ...]
    name_line: Line
    prefix: str | None  # the authority prefix as written ("KT."), None without one
    name_prefix: str | None  # an academic title before the name ("TS."), None without one
    signature_area_view: Rect  # where the signature belongs, as seen
    signature_area_user: Rect  # the same in user space

    @property
    def title(self) -> str:
        return " / ".join(line.text for line in self.title_lines)

    @property
    def name(self) -> str:
        return self.name_line.text

    @property
    def user(self) -> Rect:
        r = self.name_line.user
        for line in self.title_lines:
            r = r.union(line.user)
        return r


def looks_like_name(text: str) -> tuple[bool, str | None]:
    """(is it a person's name line, the academic title written before it if any)."""
    v = vocabulary()
    words = text.split()
    prefix = None
    if words and words[0] in v.academic_titles:
        prefix, words = words[0], words[1:]
    if not 2 <= len(words) <= 6:
        return False, prefix
    for w in words:
        if not _NAME_WORD.match(w) or not w[0].isupper() or w.endswith("."):
            return False, prefix
        if len(w) > 1 and w[1:].isupper():
            return False, prefix  # an upper-case word: a title, not a name
    return True, prefix


def _prefix(text: str) -> str | None:
    first = text.split()[0] if text.split() else ""
    if first.endswith(".") and first[:-1].isalpha() and first[:-1].isupper():
        return first
    bare = first.rstrip(".").replace("/", "")
    if "/" in first and bare.isalpha() and bare.isupper():
        return first  # "T/M", "K/T": a prefix, written wrongly
    return None


def _column(a: Line, b: Line) -> bool:
    """True when ``b`` sits in ``a``'s column (centres close or one spans the other)."""
    if abs(a.view.centre_x - b.view.centre_x) <= 40:
        return True
    return a.view.x0 <= b.view.centre_x <= a.view.x1 and b.view.x0 <= a.view.centre_x <= b.view.x1


def find_signer_blocks(page: PageText) -> list[SignerBlock]:
    """Every signer block on ``page``, top to bottom and left to right."""
    geometry = page.geometry
    lines = page.lines
    blocks: list[SignerBlock] = []
    used: set[int] = set()
    for name in lines:
        ok, name_prefix = looks_like_name(name.text)
        if not ok or name.text.startswith(("-", "+", "•")):
            continue
        above = [
            ln
            for ln in lines
            if ln.view.y1 <= name.view.y0 + 1 and _column(name, ln) and id(ln) not in used
        ]
        above.sort(key=lambda ln: ln.view.y0, reverse=True)
        titles: list[Line] = []
        for ln in above:
            if not titles:
                gap = name.view.y0 - ln.view.y1
                if gap > MAX_GAP:
                    break
                if is_upper(ln.text) and gap >= MIN_GAP:
                    titles.append(ln)
                continue
            if ln.view.y0 >= titles[-1].view.y0 - 1:
                continue
            if titles[-1].view.y0 - ln.view.y1 > 1.2 * max(titles[-1].height, 8.0):
                break
            if not is_upper(ln.text):
                break
            titles.append(ln)
        if not titles:
            continue
        titles.reverse()
        if len(titles) > 4:
            titles = titles[-4:]
        used.update(id(t) for t in titles)
        used.add(id(name))
        last = titles[-1]
        span_x0 = min(name.view.x0, *(t.view.x0 for t in titles))
        span_x1 = max(name.view.x1, *(t.view.x1 for t in titles))
        area = Rect(span_x0 - 20, last.view.y1, span_x1 + 20, name.view.y0)
        blocks.append(
            SignerBlock(
                page=page.number,
                title_lines=tuple(titles),
                name_line=name,
                prefix=_prefix(titles[0].text),
                name_prefix=name_prefix,
                signature_area_view=area,
                signature_area_user=geometry.to_user(area),
            )
        )
    blocks.sort(key=lambda b: (b.name_line.view.y0, b.name_line.view.x0))
    return blocks


def last_signer_blocks(pages: Sequence[PageText]) -> list[SignerBlock]:
    """The blocks of the last page (of ``pages``, in document order) that has any."""
    for page in reversed(pages):
        blocks = find_signer_blocks(page)
        if blocks:
            return blocks
    return []


def signer_blocks_of(data: bytes | Path, *, max_pages: int = 60) -> list[SignerBlock]:
    """The signer blocks of a PDF's last page that has any (text layer only, no OCR), reading
    at most ``max_pages`` pages from the end: what the signer's default placement needs
    (:func:`signer.placement.signer_block_from_layout`). ``data``: the bytes, or the file's
    path (read by PDFium as needed, for large documents).
    Raises :class:`kyso.layout.text.LayoutReadError` when PDFium cannot open ``data``."""
    from kyso.layout.text import close_document, open_document, read_page

    pdf = open_document(data)
    try:
        count = len(pdf)
        for index in range(count - 1, max(count - 1 - max_pages, -1), -1):
            blocks = find_signer_blocks(read_page(pdf, index))
            if blocks:
                return blocks
        return []
    finally:
        close_document(pdf)


__all__ = [
    "MAX_GAP",
    "MIN_GAP",
    "SignerBlock",
    "find_signer_blocks",
    "last_signer_blocks",
    "looks_like_name",
    "signer_blocks_of",
]
