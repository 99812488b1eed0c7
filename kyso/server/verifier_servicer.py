"""gRPC adapter for the verifier: kyso.v1.Verifier (Verify, VerifyStream).

Input handling, chosen and documented in docs/verification.md:
* over ``max_document_bytes`` (unary) / ``max_stream_bytes`` (stream) → RESOURCE_EXHAUSTED;
* not a PDF at all, or an encrypted PDF → INVALID_ARGUMENT (``NOT_A_PDF``, ``DOCUMENT_ENCRYPTED``);
* a PDF whose structure cannot be read (truncated, xref loops, hostile objects) → an
  INDETERMINATE report with the warning ``PDF_UNREADABLE``: the caller gets a verdict it
  can store and show, never a PASSED;
* the verification deadline (the request's, capped by ``[verifier] request_timeout_seconds``)
  → DEADLINE_EXCEEDED.

The work runs in a worker process of the cage (:mod:`kyso.server.worker_pool`) with hard
limits, unless ``[process_pool] size = 0``; signing the clerk's report stays here.
"""

from __future__ import annotations

import logging
import mmap
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc

from kyso.errors import InvalidInput, ResourceExhausted
from kyso.pki.fetching import current_budget
from kyso.server import request_log
from kyso.server.context import AppContext
from kyso.server.lean_requests import LeanRequest
from kyso.server.report_signing import sign_report
from kyso.server.status import grpc_errors
from kyso.server.verify_jobs import LayoutJob, VerifyJob, run_layout, run_verify
from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from verifier import validation
from verifier.clerk_report import file_base_name
from verifier.layout.check import LayoutOptions

log = logging.getLogger("kyso.verifier.api")

_FORMATS = {pb.HUMAN_REPORT_NONE, pb.HUMAN_REPORT_HTML, pb.HUMAN_REPORT_PDF}


def _too_big(limit: int) -> ResourceExhausted:
    return ResourceExhausted("DOCUMENT_TOO_LARGE", limit=limit)


class VerifierServicer(pb_grpc.VerifierServicer):
    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    # ---- helpers
    def request(
        self,
        data: Any,
        options: pb.VerifyOptions,
        context: grpc.ServicerContext | None,
        timeout: float | None = None,
    ) -> validation.Request:
        """The validation request of ``data`` under ``options``; its deadline is the caller's
        or ``timeout`` seconds (default ``[verifier] request_timeout_seconds``), whichever comes
        first. Raises :class:`InvalidInput` (``OPTION_INVALID``) and ``POLICY_UNKNOWN``."""
        cfg = self._ctx.settings.verifier
        if options.human_report not in _FORMATS:
            raise InvalidInput("OPTION_INVALID", option="human_report", problem="unknown format")
        policy = self._ctx.policies.get(options.policy or cfg.default_policy)
        validation_time = None
        if options.HasField("validation_time"):
            validation_time = options.validation_time.ToDatetime(tzinfo=UTC)
            latest = datetime.now(UTC) + timedelta(days=366 * 50)
            if validation_time.year < 1990 or validation_time > latest:
                raise InvalidInput(
                    "OPTION_INVALID", option="validation_time", problem="out of range"
                )
        fetch = (
            options.fetch_revocation
            if options.HasField("fetch_revocation")
            else cfg.fetch_revocation
        )
        budget = cfg.request_timeout_seconds if timeout is None else timeout
        remaining = context.time_remaining() if context is not None else None
        if remaining is not None:
            budget = min(budget, max(0.1, remaining - 0.05))
        layout = options.check_layout if options.HasField("check_layout") else cfg.layout
        return validation.Request(
            data=data,
            policy=policy,
            snapshot=self._ctx.trust.snapshot(),
            fetch=bool(fetch),
            fetcher_backend=self._ctx.revocation,
            validation_time=validation_time,
            deadline=time.monotonic() + budget,
            settings=cfg,
            layout=self._layout_options(options) if layout else None,
            visual=cfg.visual_limits(),
            file_name=file_base_name(options.file_name),
        )

    def _layout_options(self, options: Any) -> LayoutOptions:
        """The ``[verifier] layout_*`` settings, with the request's ``ocr`` when it sets one."""
        cfg = self._ctx.settings.verifier
        ocr = options.ocr if options.HasField("ocr") else cfg.layout_ocr
        return LayoutOptions(
            ocr=bool(ocr),
            ocr_budget_seconds=cfg.layout_ocr_budget_seconds,
            ocr_dpi=cfg.layout_ocr_dpi,
            max_pages=cfg.layout_max_pages,
            max_bytes=cfg.layout_max_document_bytes,
        )

    def _run(
        self,
        req: validation.Request,
        options: pb.VerifyOptions,
        context: grpc.ServicerContext | None = None,
        fd: int | None = None,
    ) -> pb.ValidationReport:
        if options.sign_report_with and options.human_report != pb.HUMAN_REPORT_PDF:
            raise InvalidInput(
                "OPTION_INVALID",
                option="sign_report_with",
                problem="only the PDF report (human_report = HUMAN_REPORT_PDF) is signed",
            )
        pool = self._ctx.pool
        if pool is None:  # [process_pool] size = 0: in this process, without the cage
            report, sha = run_verify(req, options.human_report, options.etsi_report)
        else:
            job = self.job(req, options)
            assert req.deadline is not None
            payload, sha = pool.run(
                job,
                req.snapshot,
                req.data,
                fd=fd,
                deadline=req.deadline,
                cancelled=cancellation(context),
            )
            report = pb.ValidationReport.FromString(payload)
        note_report(report)
        if options.sign_report_with:  # in this process: keys, key guard and audit live here
            report.human_report = sign_report(
                self._ctx, context, options.sign_report_with, report.human_report, sha
            )
        return report

    def job(self, req: validation.Request, options: pb.VerifyOptions) -> VerifyJob:
        """``req`` as a worker's job: without the four parts the worker supplies itself (the
        document, the policy object, the trust snapshot, the fetcher), with this RPC's fetch
        budget."""
        budget = current_budget() or self._ctx.revocation.http.budget()
        return VerifyJob(
            request=replace(
                req,
                data=b"",
                policy=None,  # type: ignore[arg-type]
                snapshot=None,  # type: ignore[arg-type]
                fetcher_backend=None,
            ),
            policy=req.policy.name,
            human_report=options.human_report,
            etsi_report=options.etsi_report,
            budget_deadline=budget.deadline,
            budget_time_limit=budget.time_limit,
        )

    def verify_document(
        self,
        data: Any,
        options: pb.VerifyOptions,
        context: grpc.ServicerContext | None,
        fd: int | None = None,
    ) -> pb.ValidationReport:
        """The one entry point of a verification (Verify, VerifyStream): ``data`` is bytes or
        a read-only mmap; ``fd``, when given, an open file of the same bytes (a spooled stream:
        the worker maps it instead of a copy through its pipe). Raises what Verify raises, and
        the cage's errors (kyso.server.worker_pool)."""
        return self._run(self.request(data, options, context), options, context, fd)

    # ---- RPCs
    @grpc_errors
    def Verify(
        self, request: pb.VerifyRequest | LeanRequest, context: grpc.ServicerContext
    ) -> pb.ValidationReport:
        document = self._document(request)
        return self.verify_document(document, request.options, context)

    def _document(self, request: Any) -> Any:
        """A unary request's document (a view of gRPC's bytes, kyso.server.lean_requests; bytes
        when verifying in this process, whose PDF reader wants bytes or a file)."""
        document = request.document
        limit = self._ctx.settings.max_document_bytes
        if len(document) > limit:
            raise _too_big(limit)
        if not document:
            raise InvalidInput("NOT_A_PDF", problem="empty")
        return bytes(document) if self._ctx.pool is None else document

    @grpc_errors
    def VerifyStream(
        self, request_iterator: Iterator[pb.VerifyStreamRequest], context: grpc.ServicerContext
    ) -> pb.ValidationReport:
        limit = self._ctx.settings.max_stream_bytes
        first = next(request_iterator, None)
        if first is None or first.WhichOneof("part") != "options":
            raise InvalidInput("STREAM_HEADER_REQUIRED")
        options = first.options
        with tempfile.TemporaryFile(prefix="kyso-verify-") as spool:
            size = 0
            for msg in request_iterator:
                if msg.WhichOneof("part") != "chunk":
                    raise InvalidInput("STREAM_INVALID")
                size += len(msg.chunk)
                if size > limit:
                    raise _too_big(limit)
                spool.write(msg.chunk)
            if size == 0:
                raise InvalidInput("NOT_A_PDF", problem="empty")
            spool.flush()
            with mmap.mmap(spool.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                return self.verify_document(mapped, options, context, fd=spool.fileno())

    @grpc_errors
    def CheckLayout(
        self, request: pb.CheckLayoutRequest | LeanRequest, context: grpc.ServicerContext
    ) -> pb.CheckLayoutResponse:
        """The layout report alone (issue 10 §1): unary, up to ``max_document_bytes``."""
        cfg = self._ctx.settings.verifier
        document = self._document(request)
        policy = self._ctx.policies.get(request.options.policy or cfg.default_policy)
        budget = cfg.request_timeout_seconds
        remaining = context.time_remaining() if context is not None else None
        if remaining is not None:
            budget = min(budget, max(0.1, remaining - 0.05))
        job = LayoutJob(
            policy=policy.name,
            options=self._layout_options(request.options),
            deadline=time.monotonic() + budget,
        )
        pool = self._ctx.pool
        if pool is None:
            response = run_layout(document, policy, job)
        else:
            payload, _ = pool.run(
                job,
                self._ctx.trust.snapshot(),
                document,
                fd=None,
                deadline=job.deadline,
                cancelled=cancellation(context),
            )
            response = pb.CheckLayoutResponse.FromString(payload)
        request_log.note_document(response.document_sha256)
        _note_layout(response.layout)
        return response


def cancellation(context: grpc.ServicerContext | None) -> threading.Event:
    """Set when the RPC ends (answered, cancelled, past its deadline): the worker is stopped."""
    ended = threading.Event()
    if context is not None and not context.add_callback(ended.set):
        ended.set()  # already over
    return ended


def note_report(report: pb.ValidationReport) -> None:
    """For the access log and the metrics (:mod:`kyso.server.request_log`), from the answer
    this process holds, however the verification ran (in a worker or here)."""
    request_log.note_document(report.document_sha256)
    request_log.note_verification(pb.Indication.Name(report.indication).removeprefix("INDICATION_"))
    if report.HasField("layout"):
        _note_layout(report.layout)


def _note_layout(layout: pb.LayoutReport) -> None:
    request_log.note_layout(
        (f.rule, pb.ConstraintLevel.Name(f.severity).removeprefix("LEVEL_"))
        for f in layout.findings
    )


def register(server: grpc.Server, ctx: AppContext) -> list[str]:
    """Add the Verifier servicer; return its full service name."""
    pb_grpc.add_VerifierServicer_to_server(VerifierServicer(ctx), server)
    return [pb.DESCRIPTOR.services_by_name["Verifier"].full_name]
