"""Run the layout rules over a document: read it (:mod:`kyso.layout`), decide its kind, judge.

Pages read: page 1 (the header), the pages carrying signature widgets, and pages from the end
backwards until one with a signer block (at most ``max_pages`` pages in all). A page without a
text layer is read by OCR while the document's OCR budget lasts (``ocr_budget_seconds``);
otherwise it gets a ``TEXT_LAYER`` finding and the rules that needed its text say nothing
rather than guess.

Never raises for a document it cannot read: the report then says ``NOT_CHECKED``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

from kyso.layout import ocr
from kyso.layout.elements import (
    Header,
    Recipients,
    copy_forms_stated,
    find_recipients,
    read_header,
)
from kyso.layout.signature_fields import (
    ORGANISATION,
    PERSONAL,
    SignatureField,
    read_signature_fields,
)
from kyso.layout.signer_block import SignerBlock, find_signer_blocks
from kyso.layout.text import (
    NONE,
    OCR,
    PDFIUM_LOCK,
    TEXT_LAYER,
    LayoutReadError,
    PageText,
    close_document,
    open_document,
)
from kyso.layout.text import read_page as read_text_page
from kyso.pdf.page_geometry import page_geometry
from verifier.layout import signature_rules, text_rules
from verifier.layout.judge import Judge
from verifier.layout.model import DocumentKind, LayoutReport, LayoutStatus
from verifier.layout.policy import LayoutPolicy
from verifier.model import Level

log = logging.getLogger("kyso.verifier.layout")


@dataclass(frozen=True)
class LayoutOptions:
    """How far a layout check may go (``[verifier]`` settings)."""

    ocr: bool = True
    ocr_budget_seconds: float = 20.0
    ocr_dpi: int = 200
    max_pages: int = 60
    max_bytes: int = 100 * 1024 * 1024


@dataclass
class Reading:
    """What was read of the document, for the rules."""

    page_count: int
    pages: dict[int, PageText] = field(default_factory=dict)
    header: Header | None = None
    blocks: list[SignerBlock] = field(default_factory=list)
    recipients: Recipients | None = None
    fields: list[SignatureField] = field(default_factory=list)
    sizes: list[tuple[int, float, float]] = field(default_factory=list)  # page, w, h (points)
    unread: dict[int, str] = field(default_factory=dict)  # page → why its text is missing
    kind: DocumentKind = DocumentKind.UNKNOWN
    kind_evidence: str = ""

    @property
    def first(self) -> PageText | None:
        return self.pages.get(1)


class _Reader:
    def __init__(self, data: Any, options: LayoutOptions, deadline: float | None) -> None:
        self.pdf = open_document(data)
        self.options = options
        self.deadline = deadline
        self.ocr_left = options.ocr_budget_seconds

    def page(self, reading: Reading, number: int) -> PageText:
        if number in reading.pages:
            return reading.pages[number]
        exclude = [f.rect for f in reading.fields if f.page == number and f.rect is not None]
        page = read_text_page(self.pdf, number - 1, exclude=exclude)
        if page.source == NONE:
            page = self._ocr(reading, page)
        reading.pages[number] = page
        return page

    def _ocr(self, reading: Reading, page: PageText) -> PageText:
        why = None
        if not self.options.ocr:
            why = "OCR is switched off"
        elif not ocr.available():
            why = "OCR is unavailable (tesseract with the Vietnamese model is not installed)"
        else:
            left = self.ocr_left
            if self.deadline is not None:
                left = min(left, self.deadline - time.monotonic())
            if left <= 0.2:
                why = "the document's OCR time budget is spent"
            else:
                try:
                    read = ocr.read_page_ocr(self.pdf, page, dpi=self.options.ocr_dpi, timeout=left)
                except ocr.OcrError as exc:
                    why = f"OCR failed: {exc}"
                else:
                    self.ocr_left -= read.ocr_seconds
                    return read
        reading.unread[page.number] = why or ""
        return page


def _reader(data: Any, reader: PdfFileReader | None) -> PdfFileReader | None:
    if reader is not None:
        return reader
    try:
        stream = BytesIO(data) if isinstance(data, bytes) else data
        return PdfFileReader(stream, strict=False)
    except Exception:  # a document pyHanko cannot open has no fields to read
        return None


def read(
    data: Any,
    options: LayoutOptions,
    reader: PdfFileReader | None = None,
    deadline: float | None = None,
    names: dict[str, tuple[str, str]] | None = None,
) -> Reading:
    """Read what the rules need (raises :class:`LayoutReadError` when PDFium cannot)."""
    r = _Reader(data, options, deadline)
    try:
        return _read(r, data, options, reader, names)
    finally:
        close_document(r.pdf)


def _read(
    r: _Reader,
    data: Any,
    options: LayoutOptions,
    reader: PdfFileReader | None,
    names: dict[str, tuple[str, str]] | None,
) -> Reading:
    with PDFIUM_LOCK:
        count = len(r.pdf)
        sizes = [r.pdf.get_page_size(i) for i in range(min(count, options.max_pages))]
    reading = Reading(page_count=count)
    if count == 0:
        return reading
    pyhanko = _reader(data, reader)
    if pyhanko is not None:
        try:
            reading.fields = read_signature_fields(pyhanko, names)
        except Exception as exc:  # hostile structures: no fields, said in logs
            log.info("signature fields not readable: %s", type(exc).__name__)
    limit = min(count, options.max_pages)
    units = _user_units(pyhanko, limit) if pyhanko is not None else {}
    reading.sizes = [
        (i + 1, w * units.get(i + 1, 1.0), h * units.get(i + 1, 1.0))
        for i, (w, h) in enumerate(sizes)
    ]
    first = r.page(reading, 1)
    if first.source != NONE:
        reading.header = read_header(first, max_edits=3)
    for number in sorted({f.page for f in reading.fields if f.page is not None}):
        if number <= limit:
            r.page(reading, number)
    # the signer block: a page with the personal signature, else from the end backwards
    candidates = [f.page for f in reading.fields if f.role == PERSONAL and f.page]
    order = [*dict.fromkeys(candidates), *range(count, 0, -1)]
    for number in order[:limit]:
        page = r.page(reading, number)
        blocks = find_signer_blocks(page) if page.source != NONE else []
        if blocks:
            reading.blocks = blocks
            top = min(b.title_lines[0].view.y0 for b in blocks) - 200
            reading.recipients = find_recipients(page, below=max(top, 0.0))
            break
    _kind(reading)
    return reading


def _user_units(reader: PdfFileReader, limit: int) -> dict[int, float]:
    """Page → /UserUnit (ISO 32000-1 14.11.2.1) where it is not 1: PDFium's sizes are in
    user-space units, PAGE_SIZE judges the paper."""
    units: dict[int, float] = {}
    try:
        for index in range(limit):
            ref, _ = reader.find_page_for_modification(index)
            geometry = page_geometry(ref.get_object())
            if geometry is not None and geometry.user_unit != 1.0:
                units[index + 1] = geometry.user_unit
    except Exception as exc:  # a broken page tree: sizes stay in user-space units
        log.info("page units not readable: %s", type(exc).__name__)
    return units


def _kind(reading: Reading) -> None:
    h = reading.header
    signed = [f for f in reading.fields if f.signed]
    orgs = [f for f in signed if f.role == ORGANISATION]
    widget_text = " ".join(w.text for p in reading.pages.values() for w in p.widget_words)
    forms = copy_forms_stated(widget_text)
    if h is not None and h.copy_form is not None:
        reading.kind = DocumentKind.COPY
        reading.kind_evidence = f"page 1 states the copy form: {h.copy_form.text!r}"
    elif forms:
        reading.kind = DocumentKind.COPY
        reading.kind_evidence = f"a signature's text states the copy form {forms[0]!r}"
    elif (
        signed
        and len(orgs) == len(signed)
        and not reading.blocks
        and all(f.page == 1 and _near_top(reading, f) for f in orgs)
        and reading.first is not None
        and reading.first.source == OCR
    ):
        reading.kind = DocumentKind.COPY
        reading.kind_evidence = (
            "a scanned original signed only by an organisation at the top of page 1 "
            f"({orgs[0].common_name!r}): an electronic copy of a paper document"
        )
    elif h is not None and h.attachment_marker is not None and h.national_title is None:
        reading.kind = DocumentKind.ATTACHMENT
        reading.kind_evidence = f"page 1 starts with {h.attachment_marker.text!r}"
    elif h is not None and (h.national_title is not None or h.number is not None):
        reading.kind = DocumentKind.MAIN
        found = [n for n in ("national_title", "number") if getattr(h, n) is not None]
        reading.kind_evidence = "page 1 has the Decree 30 header (" + ", ".join(found) + ")"
    else:
        reading.kind = DocumentKind.UNKNOWN
        reading.kind_evidence = (
            "page 1 could not be read" if h is None else "no Decree 30 header on page 1"
        )


def _near_top(reading: Reading, f: SignatureField) -> bool:
    page = reading.pages.get(f.page or 0)
    if page is None or f.rect is None:
        return False
    view = page.geometry.to_view(f.rect)
    return view.y0 < page.geometry.view_height * 0.25


def check_layout(
    data: Any,
    policy: LayoutPolicy,
    options: LayoutOptions,
    *,
    reader: PdfFileReader | None = None,
    deadline: float | None = None,
    policy_name: str = "",
    names: dict[str, tuple[str, str]] | None = None,
) -> LayoutReport:
    """The layout report of ``data`` (bytes or an mmap) under ``policy``.

    ``reader``: the caller's pyHanko reader of the same bytes; ``names``: signature field name
    → signer CN and O, when the caller has read them (both only save work).
    """
    started = time.perf_counter()
    if not policy.enabled:
        return LayoutReport(LayoutStatus.NOT_CHECKED, kind_evidence="layout checking is off")
    if len(data) > options.max_bytes:
        return LayoutReport(
            LayoutStatus.NOT_CHECKED,
            kind_evidence=f"the document is larger than {options.max_bytes} bytes",
            policy=policy_name,
        )
    try:
        reading = read(data, options, reader, deadline, names)
    except LayoutReadError as exc:
        log.info("layout not readable: %s", exc)
        return LayoutReport(
            LayoutStatus.NOT_CHECKED,
            kind_evidence="the document's pages cannot be read",
            policy=policy_name,
            elapsed_ms=(time.perf_counter() - started) * 1000,
        )
    judge = Judge(policy)
    text_rules.judge_text(reading, judge)
    signature_rules.judge_signatures(reading, judge)
    report = LayoutReport(
        status=LayoutStatus.PASSED,
        document_kind=reading.kind,
        kind_evidence=reading.kind_evidence,
        text_source=_text_source(reading),
        findings=judge.findings,
        passed=judge.passed(),
        ocr_pages=sorted(n for n, p in reading.pages.items() if p.source == OCR),
        policy=policy_name,
    )
    report.status = _status(report)
    report.elapsed_ms = (time.perf_counter() - started) * 1000
    return report


def _text_source(reading: Reading) -> str:
    first = reading.first
    if first is None or first.source == NONE:
        return NONE
    if any(p.source == OCR for p in reading.pages.values()):
        return OCR
    return TEXT_LAYER


def _status(report: LayoutReport) -> LayoutStatus:
    levels = {f.severity for f in report.findings}
    if Level.FAIL in levels:
        return LayoutStatus.FAILED
    if report.text_source == NONE:
        return LayoutStatus.NOT_CHECKED
    if Level.WARN in levels:
        return LayoutStatus.WARNING
    return LayoutStatus.PASSED


__all__ = ["LayoutOptions", "Reading", "check_layout", "read"]
