"""The Decree 30/2020 elements the cross-check reads, found by :mod:`kyso.layout`.

kyso.layout reads the pages in process with PDFium (under its process-wide lock) and recognises
the elements (Decree 30/2020 Appendix I): on page 1 the "Số:" line (item 3), the place-and-date
line (item 4) and the issuing body (item 2); from the last page backwards the signer blocks
(item 7: authority prefix, title lines, name). This module only turns them into the values the
cross-check compares (number and symbol split, the date as a date).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from kyso.layout.elements import place_date_parts, read_header
from kyso.layout.signer_block import SignerBlock, find_signer_blocks
from kyso.layout.text import (
    PDFIUM_LOCK,
    LayoutReadError,
    close_document,
    open_document,
    read_page,
)
from verifier.intake.matching import strip_diacritics
from verifier.intake.model import DocumentElements

_NUMBER = re.compile(r"^\s*so\s*:?\s*(?P<number>[0-9]+[a-z]?)\s*/")


def _number(text: str, out: DocumentElements) -> None:
    m = _NUMBER.match(strip_diacritics(text))
    out.number_line = text
    if m:
        _, _, rest = text.partition("/")  # the symbol as written (Đ kept)
        out.number, out.notation = m.group("number"), rest.strip()


def _date(text: str, out: DocumentElements) -> None:
    out.date_line = text
    parts = place_date_parts(text)
    if parts is None:
        return
    out.place = text[: text.find(",")].strip() if "," in text else parts["place"]
    try:
        out.date = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        out.date = None


def _block(blocks: list[SignerBlock], name: str) -> SignerBlock:
    """The block naming ``name`` (joint documents have several), else the last one."""
    wanted = strip_diacritics(name)
    for b in blocks:
        if wanted and strip_diacritics(b.name) == wanted:
            return b
    return blocks[-1]


def read_elements(data: Any, *, signer_name: str = "", max_pages: int = 60) -> DocumentElements:
    """The elements of the PDF ``data`` (bytes or an mmap: PDFium reads a copy), reading page 1
    and at most ``max_pages`` pages from the end for the signer block. Never raises: a document
    PDFium cannot open comes back with ``error`` set."""
    out = DocumentElements()
    try:
        pdf = open_document(data)
    except LayoutReadError as exc:
        out.error = str(exc)
        return out
    try:
        with PDFIUM_LOCK:
            count = len(pdf)
        first = read_page(pdf, 0)
        header = read_header(first)
        if header.number is not None:
            _number(header.number.text, out)
        if header.place_date is not None:
            _date(header.place_date.text, out)
        if header.issuer is not None:
            out.issuer = header.issuer.text
        for index in range(count - 1, max(count - 1 - max_pages, -1), -1):
            page = first if index == 0 else read_page(pdf, index)
            blocks = find_signer_blocks(page)
            if blocks:
                block = _block(blocks, signer_name)
                out.signer_lines = (*(ln.text for ln in block.title_lines), block.name)
                out.signer_name = block.name
                break
    except LayoutReadError as exc:
        out.error = str(exc)
    finally:
        close_document(pdf)
    return out


__all__ = ["DocumentElements", "read_elements"]
