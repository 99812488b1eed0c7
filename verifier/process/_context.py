"""What every building block may read besides the facts: the request's trust and time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader

from kyso.errors import DeadlineExceeded
from trust_store.model import TrustSnapshot
from verifier import change_analysis, revocation
from verifier.settings import VerifierSettings


@dataclass(frozen=True)
class Context:
    """Per-document validation context (EN 319 102-1 5.2.4 inputs, before VCI selects them)."""

    data: Any  # the document's bytes (or an mmap)
    snapshot: TrustSnapshot
    now: datetime  # the validation time
    at_now: bool  # validation time is "now": fetching live data is meaningful
    fetch: bool
    fetcher_backend: Any | None  # kyso.pki.revocation_cache backend
    deadline: float | None = None  # time.monotonic() by which the request must be answered
    dss: revocation.EmbeddedValidationData = field(
        default_factory=revocation.EmbeddedValidationData
    )
    analysis: change_analysis.ChangeAnalysis | None = None  # None: the structure is unreadable
    intermediates: tuple[x509.Certificate, ...] = ()
    reader: PdfFileReader | None = None  # None: byte-level fallback (unreadable structure)
    settings: VerifierSettings = field(default_factory=VerifierSettings)  # limits among them
    #: (revision, time) of every document timestamp found TOTAL_PASSED so far: the archive
    #: chain's proofs of existence (validation runs the document timestamps first, last first).
    archive: list[tuple[int, datetime]] = field(default_factory=list)

    def archive_poe(self, revision: int) -> datetime | None:
        """The earliest valid document timestamp covering ``revision`` (a later revision)."""
        times = [t for rev, t in self.archive if rev > revision]
        return min(times) if times else None

    def check_deadline(self) -> None:
        """Raise :class:`DeadlineExceeded` once the request's deadline has passed."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise DeadlineExceeded("DEADLINE_EXCEEDED")
