"""gRPC adapter for the intake of edXML packages: kyso.v1.Intake (Intake, IntakeStream).

The whole intake (:func:`kyso.server.intake_jobs.run_intake`: reading the package, planning,
verifying every PDF attachment, reading the Decree 30 elements, the conclusion under the intake
policy, the clerk's report) runs in one worker process of the cage with its hard limits, or
with ``[process_pool] size = 0`` in this process. Its deadline is the caller's or
``[intake] request_timeout_seconds``, whichever comes first.

Input handling (docs/intake.md): over ``[intake] max_package_bytes`` (unary) or
``max_stream_package_bytes`` (stream) → RESOURCE_EXHAUSTED ``DOCUMENT_TOO_LARGE``; empty →
INVALID_ARGUMENT ``EDXML_EMPTY``; anything the package contains, hostile or malformed, gives a
report (``PACKAGE_KIND_REFUSED`` or ``..._LEGACY_EDOC``, conclusion RETURN_TO_SENDER), never an
error. An attachment the verifier refuses (``NOT_A_PDF``, ``DOCUMENT_ENCRYPTED``) is a finding.
The cage's errors are the caller's: ``DEADLINE_EXCEEDED``, RESOURCE_EXHAUSTED
``VERIFY_MEMORY_LIMIT`` / ``VERIFY_CPU_LIMIT``, UNAVAILABLE ``VERIFY_WORKER_LOST``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any

import grpc

from kyso.errors import InvalidInput, ResourceExhausted
from kyso.server import request_log
from kyso.server.context import AppContext
from kyso.server.intake_jobs import IntakeJob, attachment_verifier, run_intake
from kyso.server.status import grpc_errors
from kyso.server.verifier_servicer import VerifierServicer, cancellation, note_report
from kyso.v1 import intake_pb2 as ipb
from kyso.v1 import intake_pb2_grpc as ipb_grpc
from kyso.v1 import verifier_pb2 as pb
from verifier.intake.policy import IntakePolicy, load_policy


class IntakeServicer(ipb_grpc.IntakeServicer):
    def __init__(self, ctx: AppContext, verifier: VerifierServicer | None = None) -> None:
        self._ctx = ctx
        self._verifier = verifier or VerifierServicer(ctx)
        self._policy: IntakePolicy = load_policy(ctx.settings.intake.policy_file)

    # ---- the work
    def _intake(
        self,
        package: bytes | IO[bytes],
        options: Any,
        context: grpc.ServicerContext,
    ) -> Any:
        """The intake report of ``package``: bytes, or the spooled stream's open file (whose
        descriptor a worker gets; it reads the file, never a copy through its pipe)."""
        settings = self._ctx.settings
        _check_options(options)
        verify_options = pb.VerifyOptions()
        verify_options.CopyFrom(options.verify)
        human = verify_options.human_report
        verify_options.human_report = pb.HUMAN_REPORT_NONE
        req = self._verifier.request(
            b"", verify_options, context, timeout=settings.intake.request_timeout_seconds
        )
        pool = self._ctx.pool
        if pool is None:  # [process_pool] size = 0: in this process, without the cage
            verify = attachment_verifier(req)
            out, sha = run_intake(
                package, human, verify, settings.intake, settings.verifier, self._policy
            )
        else:
            job = IntakeJob(verify=self._verifier.job(req, verify_options), human_report=human)
            assert req.deadline is not None
            spooled = not isinstance(package, bytes)
            payload, sha = pool.run(
                job,
                req.snapshot,
                b"" if spooled else package,
                fd=package.fileno() if spooled else None,  # type: ignore[union-attr]
                deadline=req.deadline,
                cancelled=cancellation(context),
            )
            out = ipb.IntakeReport.FromString(payload)
        request_log.note_document(sha)  # the package's, before its attachments'
        for attachment in out.attachments:
            if attachment.verified:
                note_report(attachment.validation)
        return out

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
        with tempfile.TemporaryFile(prefix="kyso-intake-") as spool:
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
            return self._intake(spool, first.options, context)


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
