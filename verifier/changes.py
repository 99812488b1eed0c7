"""The document's change analysis, opened on first use (judged in verifier.process.fc).

Allowed after a signature: later signatures, document timestamps, DSS/LTV
updates and form filling.  Annotations are judged by what they cover
(``annotation_overlap``): a signature appearance or an earlier annotation
fails the signature (ANNOTATION_OVERLAP), signed text or drawn content leaves it
INDETERMINATE
(ANNOTATION_OVER_CONTENT), nothing is a warning (ANNOTATIONS_AFTER_SIGNING,
allowed outright by a DocMDP P=3 certification).  Anything else, or a
DocMDP/FieldMDP violation, fails the signature.  When the analysis cannot run, the answer is
INDETERMINATE, never PASSED.
"""

from __future__ import annotations

import logging
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

from verifier.annotation_overlap import Finding, assess

log = logging.getLogger("kyso.verifier.changes")


class Analysis:
    """The document's change analysis, opened on first use (most documents never need it)."""

    def __init__(self, reader: PdfFileReader, data: Any = None) -> None:
        self._reader = reader
        self._data = data
        self._analysis: Any | None = None
        self._error: str | None = None
        self._findings: dict[tuple[int, tuple[tuple[int, int], ...]], list[Finding]] = {}

    def annotation_findings(
        self, revision: int, end: int, refs: list[tuple[int, int]]
    ) -> list[Finding] | None:
        """What the annotations ``refs`` cover of the signed ``revision`` (None: unknown)."""
        if self._data is None:
            return None
        key = (revision, tuple(refs))
        if key not in self._findings:
            self._findings[key] = assess(self._reader, self._data, revision, end, refs)
        return self._findings[key]

    def get(self) -> Any | None:
        if self._analysis is None and self._error is None:
            try:
                from verifier.diff_analysis import analyse_document

                self._analysis = analyse_document(self._reader)
            except Exception as exc:
                self._error = type(exc).__name__
                log.info("change analysis unavailable: %s", self._error)
        return self._analysis


__all__ = ["Analysis"]
