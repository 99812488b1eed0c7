"""What one verification request asks of the cage, and the work itself.

The same functions run in a worker process (:mod:`kyso.server.verify_worker`) and, with
``[process_pool] size = 0``, in the server process: :func:`run_verify` (the report of Verify,
VerifyStream and an Intake attachment: validation, the report proto, the clerk's HTML/PDF
report, the ETSI XML report) and :func:`run_layout` (CheckLayout). What crosses the process
boundary is picklable: a job (:class:`VerifyJob`, :class:`LayoutJob`) without the document,
the trust snapshot in its encoded form (:func:`encode_snapshot`), errors as their state
(:func:`error_state`), and the report as serialized proto bytes. Signing the clerk's report
stays in the server process (keys, key guard, audit).
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import x509

from kyso import errors
from kyso.server.report_proto import layout_pb, to_proto
from kyso.v1 import verifier_pb2 as pb
from trust_store.model import Purpose, TrustEntry, TrustRole, TrustSnapshot
from verifier import validation
from verifier.layout.check import LayoutOptions, check_layout

log = logging.getLogger("kyso.verifier.api")


@dataclass(frozen=True)
class VerifyJob:
    """A Verify/VerifyStream/Intake attachment, without its document.

    ``request`` is the :class:`verifier.validation.Request` with ``data``, ``policy``,
    ``snapshot`` and ``fetcher_backend`` left out (the worker has its own); ``deadline`` and
    ``budget_deadline`` are :func:`time.monotonic` values (one clock for every process of
    the host)."""

    request: validation.Request
    policy: str
    human_report: int  # kyso.v1.HumanReportFormat
    etsi_report: bool
    budget_deadline: float  # the fetch budget's deadline (kyso.server.deadlines)
    budget_time_limit: str  # what set it: "request deadline" or the setting


@dataclass(frozen=True)
class LayoutJob:
    """A CheckLayout request, without its document."""

    policy: str
    options: LayoutOptions
    deadline: float  # time.monotonic()


def run_verify(req: validation.Request, human: int, etsi: bool) -> tuple[pb.ValidationReport, str]:
    """Verify ``req`` and build its report; returns the report and the document's SHA-256
    (upper-case hex). Raises what :func:`verifier.validation.verify` raises."""
    result = validation.verify(req)
    report = to_proto(result)
    if human != pb.HUMAN_REPORT_NONE:
        from verifier import human_report

        if human == pb.HUMAN_REPORT_HTML:
            report.human_report = human_report.render_html(result).encode("utf-8")
            report.human_report_mime = "text/html; charset=utf-8"
        else:
            report.human_report = human_report.render_pdf(result)
            report.human_report_mime = "application/pdf"
    if etsi:
        from verifier import etsi_report

        report.etsi_report = etsi_report.render_xml(result)
    log.info(
        "verified document sha256=%s… signatures=%d indication=%s policy=%s in %.1f ms",
        result.document_sha256[:16],
        len(result.signatures),
        result.indication.value,
        result.policy,
        result.elapsed_ms,
    )
    return report, result.document_sha256


def run_layout(data: Any, policy: Any, job: LayoutJob) -> pb.CheckLayoutResponse:
    """The layout report of ``data`` (bytes) under ``policy`` (a :class:`verifier.policy.
    Policy`). Raises :class:`kyso.errors.InvalidInput` (``NOT_A_PDF``, ``DOCUMENT_ENCRYPTED``)."""
    try:
        reader = validation.open_pdf(data)  # NOT_A_PDF, DOCUMENT_ENCRYPTED
    except errors.InvalidInput:
        raise
    except Exception as exc:  # unreadable structure: PDFium may still read it
        log.info("layout: pyHanko cannot read the document: %s", type(exc).__name__)
        reader = None
    report = check_layout(
        data,
        policy.layout,
        job.options,
        reader=reader,
        deadline=job.deadline,
        policy_name=policy.name,
    )
    log.info(
        "layout checked: status=%s kind=%s source=%s findings=%d in %.1f ms",
        report.status.value,
        report.document_kind.value,
        report.text_source,
        len(report.findings),
        report.elapsed_ms,
    )
    return pb.CheckLayoutResponse(
        layout=layout_pb(report), document_sha256=hashlib.sha256(data).hexdigest().upper()
    )


# -- the trust snapshot across the boundary -----------------------------------------------------


def encode_snapshot(snapshot: TrustSnapshot) -> bytes:
    """``snapshot`` as bytes a worker decodes (:func:`decode_snapshot`): DER certificates and
    plain values, not asn1crypto objects."""
    entries = [
        (
            e.certificate.dump(),
            e.role.value,
            sorted(p.value for p in e.purposes),
            e.added_by,
            e.added_at,
            e.reason,
        )
        for e in snapshot.entries
    ]
    return pickle.dumps((snapshot.version, entries), protocol=pickle.HIGHEST_PROTOCOL)


def decode_snapshot(blob: bytes) -> TrustSnapshot:
    """The snapshot :func:`encode_snapshot` encoded (the blob comes from the server process)."""
    version, entries = pickle.loads(blob)  # noqa: S301 - written by our own server process
    out: list[TrustEntry] = []
    for der, role, purposes, added_by, added_at, reason in entries:
        added: datetime | None = added_at
        out.append(
            TrustEntry(
                certificate=x509.Certificate.load(der),
                role=TrustRole(role),
                purposes=frozenset(Purpose(p) for p in purposes),
                added_by=added_by,
                added_at=added,
                reason=reason,
            )
        )
    return TrustSnapshot(version=version, entries=tuple(out))


# -- errors across the boundary ------------------------------------------------------------------


def error_state(err: errors.KysoError) -> tuple[str, str, dict[str, Any], str, str]:
    """What rebuilds ``err`` in the server process (:func:`rebuild_error`): plain values."""
    params = {k: (v if isinstance(v, str | int | float) else str(v)) for k, v in err.params.items()}
    return type(err).__name__, err.code, params, err.message_en, err.message_vi


def rebuild_error(state: tuple[str, str, dict[str, Any], str, str]) -> errors.KysoError:
    """The error a worker raised, as it was (its parameters are already quoted there)."""
    name, code, params, message_en, message_vi = state
    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, errors.KysoError)):
        return errors.Internal("INTERNAL_ERROR")
    err = cls.__new__(cls)
    Exception.__init__(err, message_en)
    err.code, err.params = code, params
    err.message_en, err.message_vi = message_en, message_vi
    return err


__all__ = [
    "LayoutJob",
    "VerifyJob",
    "decode_snapshot",
    "encode_snapshot",
    "error_state",
    "rebuild_error",
    "run_layout",
    "run_verify",
]
