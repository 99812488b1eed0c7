"""gRPC adapter for the intake of edXML packages: kyso.v1.Intake (Intake, IntakeStream).

The package is read by :func:`kyso.edxml.reader.read_package` (hardened, streaming), planned by
:func:`verifier.intake.assessment.plan`, every PDF attachment verified through
:meth:`kyso.server.verifier_servicer.VerifierServicer.verify_document` (the entry point Verify
uses, so whatever runs Verify runs these too), the main document's Decree 30 elements read by
:mod:`kyso.layout` (:func:`verifier.intake.document_text.read_elements`),
and concluded by :func:`verifier.intake.assessment.conclude` under the intake policy.

Input handling (docs/intake.md): over ``[intake] max_package_bytes`` (unary) or
``max_stream_package_bytes`` (stream) → RESOURCE_EXHAUSTED ``DOCUMENT_TOO_LARGE``; empty →
INVALID_ARGUMENT ``EDXML_EMPTY``; anything the package contains, hostile or malformed, gives a
report (``PACKAGE_KIND_REFUSED`` or ``..._LEGACY_EDOC``, conclusion RETURN_TO_SENDER), never an
error. An attachment the verifier refuses (``NOT_A_PDF``, ``DOCUMENT_ENCRYPTED``) is a finding.
"""

from __future__ import annotations

import logging
import mmap
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import grpc

from kyso.edxml.reader import read_package
from kyso.errors import InvalidInput, ResourceExhausted
from kyso.server import request_log
from kyso.server.context import AppContext
from kyso.server.intake_proto import evidence, to_proto
from kyso.server.status import grpc_errors
from kyso.server.verifier_servicer import VerifierServicer
from kyso.v1 import intake_pb2 as ipb
from kyso.v1 import intake_pb2_grpc as ipb_grpc
from kyso.v1 import verifier_pb2 as pb
from verifier.intake import assessment
from verifier.intake.document_text import read_elements
from verifier.intake.model import AttachmentEvidence, AttachmentOutcome, DocumentElements
from verifier.intake.policy import IntakePolicy, load_policy

log = logging.getLogger("kyso.intake.api")


class IntakeServicer(ipb_grpc.IntakeServicer):
    def __init__(self, ctx: AppContext, verifier: VerifierServicer | None = None) -> None:
        self._ctx = ctx
        self._verifier = verifier or VerifierServicer(ctx)
        self._policy: IntakePolicy = load_policy(ctx.settings.intake.policy_file)

    # ---- the work
    def _intake(self, source: bytes | Path, options: Any, context: grpc.ServicerContext) -> Any:
        started = time.perf_counter()
        cfg = self._ctx.settings.intake
        _check_options(options)
        verify_options = pb.VerifyOptions()
        verify_options.CopyFrom(options.verify)
        human = verify_options.human_report
        verify_options.human_report = pb.HUMAN_REPORT_NONE
        package = read_package(source, cfg.reader_limits())
        request_log.note_document(package.sha256)  # the package's, before its attachments'
        try:
            planned = assessment.plan(package, self._policy, cfg.damaged_replacement_runs)
            outcomes, reports = [], {}
            for i in planned.verify:
                a = package.attachments[i]
                assert a.data is not None
                report, ev = self._verify_attachment(
                    a.data,
                    a.size,
                    verify_options,
                    context,
                    package.header.signer_full_name,
                )
                if report is not None:
                    reports[i] = report
                outcomes.append(AttachmentOutcome(i, i == planned.main, report is not None, ev))
            result = assessment.conclude(package, planned, outcomes, self._policy)
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
        return out

    def _verify_attachment(
        self,
        data: IO[bytes],
        size: int,
        options: Any,
        context: grpc.ServicerContext,
        signer_name: str,
    ) -> tuple[Any | None, AttachmentEvidence]:
        """Verify one PDF attachment, then read its Decree 30 elements (the main document's
        and the separate attachments' for the cross-check)."""
        mapped: mmap.mmap | None = None
        if size <= self._ctx.settings.intake.spool_bytes:
            data.seek(0)
            content: Any = data.read()
        else:
            data.flush()
            mapped = content = mmap.mmap(data.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            try:
                fd = data.fileno() if mapped is not None else None
                report = self._verifier.verify_document(content, options, context, fd)
            except InvalidInput as exc:  # NOT_A_PDF, DOCUMENT_ENCRYPTED: a finding, not an error
                return None, AttachmentEvidence(indication="", error_code=exc.code)
            ev = evidence(report)
            cfg = self._ctx.settings.verifier
            if size <= cfg.layout_max_document_bytes:
                ev.elements = read_elements(
                    content, signer_name=signer_name, max_pages=cfg.layout_max_pages
                )
            else:
                ev.elements = DocumentElements(
                    error=f"larger than {cfg.layout_max_document_bytes} bytes"
                )
        finally:
            if mapped is not None:
                mapped.close()
        return report, ev

    # ---- RPCs
    @grpc_errors
    def Intake(self, request: Any, context: grpc.ServicerContext) -> Any:
        limit = self._ctx.settings.intake.max_package_bytes
        if len(request.package) > limit:
            raise ResourceExhausted("DOCUMENT_TOO_LARGE", limit=limit)
        if not request.package:
            raise InvalidInput("EDXML_EMPTY")
        return self._intake(request.package, request.options, context)

    @grpc_errors
    def IntakeStream(self, request_iterator: Iterator[Any], context: grpc.ServicerContext) -> Any:
        limit = self._ctx.settings.intake.max_stream_package_bytes
        first = next(request_iterator, None)
        if first is None or first.WhichOneof("part") != "options":
            raise InvalidInput("STREAM_HEADER_REQUIRED")
        _check_options(first.options)  # before the package is read
        with tempfile.NamedTemporaryFile(prefix="kyso-intake-") as spool:
            size = 0
            for msg in request_iterator:
                if msg.WhichOneof("part") != "chunk":
                    raise InvalidInput("STREAM_INVALID")
                size += len(msg.chunk)
                if size > limit:
                    raise ResourceExhausted("DOCUMENT_TOO_LARGE", limit=limit)
                spool.write(msg.chunk)
            if size == 0:
                raise InvalidInput("EDXML_EMPTY")
            spool.flush()
            return self._intake(Path(spool.name), first.options, context)


def _check_options(options: Any) -> None:
    """Refuse what an intake does not do: sign the attachments' reports (the access rule of
    Intake asks for no key, so ``verify.sign_report_with`` must not reach the verifier;
    refused rather than ignored, so the caller knows). Raises :class:`InvalidInput`."""
    if options.verify.sign_report_with:
        raise InvalidInput(
            "OPTION_INVALID",
            option="verify.sign_report_with",
            problem="an intake does not sign reports; sign the clerk's report with Verify",
        )


def register(server: grpc.Server, ctx: AppContext) -> list[str]:
    """Add the Intake servicer; return its full service name."""
    ipb_grpc.add_IntakeServicer_to_server(IntakeServicer(ctx), server)
    return [ipb.DESCRIPTOR.services_by_name["Intake"].full_name]
