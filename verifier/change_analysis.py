"""The document's change analysis, opened on first use and shared by its signatures.

Most documents never need it (one signature over the whole file), and a document with six
signatures needs it once, not six times; annotation findings are kept per signed revision.
The rules live in :mod:`verifier.diff_analysis`, the judgement in :mod:`verifier.process.fc`.
When the analysis cannot run, :meth:`ChangeAnalysis.get` gives None and FC answers
INDETERMINATE, never PASSED.
"""

from __future__ import annotations

import logging
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

from verifier.annotation_overlap import Finding, assess
from verifier.visual_comparison import PageRenders, VisualLimits

log = logging.getLogger("kyso.verifier.change_analysis")


class ChangeAnalysis:
    """The document's change analysis, opened on first use (most documents never need it)."""

    def __init__(
        self,
        reader: PdfFileReader,
        data: Any = None,
        max_listed: int = 50,
        *,
        visual: VisualLimits | None = None,
    ) -> None:
        self._reader = reader
        self.max_listed = max_listed  # changes listed per signature ([verifier] setting)
        self.listings: dict[int, tuple[Any, Any]] = {}  # signed revision -> (summary, listing)
        self.annotation_refs: dict[int, list[tuple[int, int]]] = {}  # signed revision -> refs
        self._data = data
        self.visual_limits = visual if visual is not None else VisualLimits()
        #: page renders shared by the signatures (None: no document bytes to render)
        self.renders = PageRenders(data, self.visual_limits) if data is not None else None
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


__all__ = ["ChangeAnalysis"]
