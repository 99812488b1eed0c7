"""What one intake request asks of the cage, and the work itself (issue 9, docs/intake.md).

The whole intake of an edXML package runs where a verification runs — in a worker process of
the cage (:mod:`kyso.server.verify_worker`) under its memory, CPU and wall-time limits, or with
``[process_pool] size = 0`` in the server process: reading the XML
(:func:`kyso.edxml.reader.read_package`), planning (:func:`verifier.intake.assessment.plan`),
verifying every PDF attachment (:func:`kyso.server.verify_jobs.run_verify`), reading the
documents' Decree 30 elements (:func:`verifier.intake.document_text.read_elements`), the
conclusion under the intake policy and the clerk's report. The package crosses the process
boundary as bytes or as the spooled stream's file descriptor; the report comes back as
serialized ``kyso.v1.IntakeReport`` bytes.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import IO, Any

from kyso.edxml.reader import Source, read_package
from kyso.errors import InvalidInput
from kyso.server.intake_proto import evidence, to_proto
from kyso.server.verify_jobs import VerifyJob, run_verify
from kyso.v1 import intake_pb2 as ipb
from kyso.v1 import verifier_pb2 as pb
from verifier import validation
from verifier.intake import assessment
from verifier.intake.document_text import read_elements
from verifier.intake.model import AttachmentEvidence, AttachmentOutcome, DocumentElements
from verifier.intake.policy import IntakePolicy
from verifier.intake.settings import IntakeSettings
from verifier.settings import VerifierSettings

log = logging.getLogger("kyso.intake.api")

#: Verifies one attachment (bytes or a read-only map): its report, without a clerk's report.
#: Raises :class:`kyso.errors.InvalidInput` (``NOT_A_PDF``, ``DOCUMENT_ENCRYPTED``).
AttachmentVerifier = Callable[[Any], pb.ValidationReport]


def attachment_verifier(template: validation.Request) -> AttachmentVerifier:
    """Verifies each attachment as ``template`` (policy, snapshot, fetcher, deadline) says."""

    def verify(content: Any) -> pb.ValidationReport:
        return run_verify(replace(template, data=content), pb.HUMAN_REPORT_NONE, False)[0]

    return verify


@dataclass(frozen=True)
class IntakeJob:
    """An Intake/IntakeStream request without its package.

    ``verify``: how every attachment is verified (its ``human_report`` is NONE, its deadline
    the whole intake's); ``human_report``: the intake report's format (kyso.v1.HumanReportFormat).
    """

    verify: VerifyJob
    human_report: int


def run_intake(
    source: Source,
    human: int,
    verify: AttachmentVerifier,
    intake: IntakeSettings,
    verifier: VerifierSettings,
    policy: IntakePolicy,
) -> tuple[ipb.IntakeReport, str]:
    """The intake report of the package ``source`` and the package's SHA-256 (upper-case hex).

    Never raises for what the package contains (a refused package is a report); raises what
    ``verify`` raises other than ``InvalidInput`` (the cage's and the deadline's errors).
    """
    started = time.perf_counter()
    package = read_package(source, intake.reader_limits())
    try:
        planned = assessment.plan(package, policy, intake.damaged_replacement_runs)
        outcomes, reports = [], {}
        for i in planned.verify:
            a = package.attachments[i]
            assert a.data is not None
            report, ev = _verify_attachment(
                a.data, a.size, verify, intake, verifier, package.header.signer_full_name
            )
            if report is not None:
                reports[i] = report
            outcomes.append(AttachmentOutcome(i, i == planned.main, report is not None, ev))
        result = assessment.conclude(package, planned, outcomes, policy)
    finally:
        package.close()
    elapsed = (time.perf_counter() - started) * 1000
    out = to_proto(result, reports, planned.main, elapsed)
    if human != pb.HUMAN_REPORT_NONE:
        from verifier.intake import human_report

        summaries = {i: r.summary_vi for i, r in reports.items()}
        if human == pb.HUMAN_REPORT_HTML:
            out.human_report = human_report.render_html(result, summaries).encode("utf-8")
            out.human_report_mime = "text/html; charset=utf-8"
        else:
            out.human_report = human_report.render_pdf(result, summaries)
            out.human_report_mime = "application/pdf"
    log.info(
        "intake package sha256=%s… kind=%s attachments=%d conclusion=%s in %.1f ms",
        package.sha256[:16],
        package.family.value,
        len(package.attachments),
        result.conclusion.value,
        elapsed,
    )
    return out, package.sha256


def _verify_attachment(
    data: IO[bytes],
    size: int,
    verify: AttachmentVerifier,
    intake: IntakeSettings,
    verifier: VerifierSettings,
    signer_name: str,
) -> tuple[pb.ValidationReport | None, AttachmentEvidence]:
    """Verify one PDF attachment, then read its Decree 30 elements (the main document's and
    the separate attachments' for the cross-check). A spooled attachment (over
    ``[intake] spool_bytes``) is mapped, not read into memory."""
    mapped: mmap.mmap | None = None
    if size <= intake.spool_bytes:
        data.seek(0)
        content: Any = data.read()
    else:
        data.flush()
        mapped = content = mmap.mmap(data.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        try:
            report = verify(content)
        except InvalidInput as exc:  # NOT_A_PDF, DOCUMENT_ENCRYPTED: a finding, not an error
            return None, AttachmentEvidence(indication="", error_code=exc.code)
        ev = evidence(report)
        if size <= verifier.layout_max_document_bytes:
            ev.elements = read_elements(
                content, signer_name=signer_name, max_pages=verifier.layout_max_pages
            )
        else:
            ev.elements = DocumentElements(
                error=f"larger than {verifier.layout_max_document_bytes} bytes"
            )
    finally:
        if mapped is not None:
            with contextlib.suppress(BufferError):  # a view of it outlived the verification
                mapped.close()
    return report, ev


__all__ = ["AttachmentVerifier", "IntakeJob", "attachment_verifier", "run_intake"]
