"""One record per RPC: its request id, who called, which document, what came out.

The outermost interceptor (:class:`kyso.server.access_log.ObservingInterceptor`) opens a
:class:`RequestRecord` for each call and keeps it current (a context variable) while the call
runs; inner layers add what they learn through the ``note_*`` functions (the access guard the
client, the signer the document's SHA-256 and the signature, the verifier the indication), each
a no-op outside a request. When the call ends, the record becomes one access-log line and the
metrics of that call. Lower packages never see it: only :mod:`kyso.server` notes things.

Every log record written while a call runs carries its ``request_id``
(:class:`RequestIdFilter`), in the text and in the JSON format alike.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

#: The metadata key a caller may set, and the trailing metadata key kyso answers with.
REQUEST_ID_KEY = "x-request-id"
#: A caller's request id is used when it is 1-128 characters of this alphabet; otherwise kyso
#: makes its own (a UUID4), so a log line never carries caller text that could forge lines.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")
#: At most this many layout rules and indications are kept per request (an Intake package
#: verifies several attachments).
_MAX_NOTES = 64


@dataclass
class SignatureNote:
    """A signature made: ``key`` (its configured name; ``two-step`` for a signer's own
    token), ``profile`` (personal, organisation) and PAdES ``level`` (B-B ... B-LTA)."""

    key: str
    profile: str
    level: str


@dataclass
class RequestRecord:
    """What one RPC did, filled while it runs; read when it ends."""

    method: str  # short name, e.g. ``Sign``
    request_id: str
    client: str = ""  # the [[clients]] name the guard admitted ("" when none)
    document_sha256: str = ""  # lower-case hex of the caller's document, when known
    signatures: list[SignatureNote] = field(default_factory=list)
    indications: list[str] = field(default_factory=list)  # ETSI main indications
    layout_findings: list[tuple[str, str]] = field(default_factory=list)  # (rule, severity)


_current: contextvars.ContextVar[RequestRecord | None] = contextvars.ContextVar(
    "kyso_request", default=None
)


def current_record() -> RequestRecord | None:
    """The record of the RPC served on this thread, if any."""
    return _current.get()


def request_id_from(metadata: Iterator[Any] | tuple[Any, ...] | None) -> str:
    """The caller's ``x-request-id`` if it is well formed, else a new UUID4 (hex)."""
    for item in metadata or ():
        key, value = item[0], item[1]
        if key == REQUEST_ID_KEY and isinstance(value, str) and _REQUEST_ID.fullmatch(value):
            return value
    return uuid.uuid4().hex


def enter(record: RequestRecord) -> contextvars.Token[RequestRecord | None]:
    """Make ``record`` current; give the token to :func:`leave`."""
    return _current.set(record)


def leave(token: contextvars.Token[RequestRecord | None]) -> None:
    _current.reset(token)


def note_client(name: str) -> None:
    """The caller the access guard recognised (its configured name, never a subject)."""
    record = _current.get()
    if record is not None:
        record.client = name[:128]


def note_document(sha256: str) -> None:
    """The SHA-256 (hex) of the document the caller sent; the first one noted is kept."""
    record = _current.get()
    if record is not None and sha256 and not record.document_sha256:
        record.document_sha256 = sha256.lower()[:64]


def note_signature(key: str, profile: str, level: str) -> None:
    record = _current.get()
    if record is not None and len(record.signatures) < _MAX_NOTES:
        record.signatures.append(SignatureNote(key or "two-step", profile, level))


def note_verification(indication: str) -> None:
    """A verification's ETSI main indication (TOTAL_PASSED, ...)."""
    record = _current.get()
    if record is not None and len(record.indications) < _MAX_NOTES:
        record.indications.append(indication)


def note_layout(findings: Iterable[tuple[str, str]]) -> None:
    """A layout report's findings as (rule, severity)."""
    record = _current.get()
    if record is None:
        return
    for finding in findings:
        if len(record.layout_findings) >= _MAX_NOTES:
            return
        record.layout_findings.append(finding)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (``-`` outside a request) to every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = _current.get()
        if not hasattr(record, "request_id"):
            record.request_id = current.request_id if current is not None else "-"
        return True


def access_fields(
    record: RequestRecord, code: str, duration_ms: float
) -> Mapping[str, str | float]:
    """The fields of the access-log line (also the JSON keys): no subject, no content."""
    return {
        "method": record.method,
        "code": code,
        "duration_ms": round(duration_ms, 1),
        "client": record.client or "-",
        "document_sha256": record.document_sha256 or "-",
    }


__all__ = [
    "REQUEST_ID_KEY",
    "RequestIdFilter",
    "RequestRecord",
    "SignatureNote",
    "access_fields",
    "current_record",
    "enter",
    "leave",
    "note_client",
    "note_document",
    "note_layout",
    "note_signature",
    "note_verification",
    "request_id_from",
]
