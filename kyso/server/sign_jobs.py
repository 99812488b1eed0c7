"""A signature's PDF work in the cage (issue 9 §1): ``Sign``, ``SignStream`` and
``PrepareSignature`` parse the caller's document in a worker process, under the worker's
memory and CPU limits and the signing request's deadline (the worker is killed when it passes
or the caller goes).

The server keeps the key, the key guard, consent, the certificate precheck's cache and the
audit. The document crosses as the file descriptor of its spooled copy, which the worker
updates in place (the incremental update appended); the worker asks once for the raw signature
over the CMS signed attributes, and the server signs only after
:func:`signer.document_work.check_signed_attributes` found them bound to that very file
(ByteRange digest, empty placeholder, the key's certificate). The timestamp, DSS and document
timestamp of B-T…B-LTA are fetched by the worker under the request's fetch budget.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from asn1crypto import x509
from pyhanko.sign.signers.pdf_cms import Signer

from kyso.errors import Internal, KysoError, PermissionDenied, Precondition, Unauthenticated
from kyso.pki.fetching import HttpFetcher, RequestBudget, current_budget
from kyso.server import worker_protocol
from signer import deadline as signing_deadline
from signer import document_work, event_loop, levels
from signer.keys.cms_template import CmsTemplates
from signer.model import DocumentWork, PreparedDocument, SignResult
from signer.pdf_signer import DocumentCage, SigningService
from trust_store.model import TrustSnapshot

log = logging.getLogger("kyso.signer")

if TYPE_CHECKING:
    from kyso.server.worker_pool import WorkerPool

#: The wall time of signing work outside a signing request's scope (seconds).
_UNSCOPED_SECONDS = 30.0
_CHUNK = 1024 * 1024
#: Codes only this server's key guard may raise (consent, key state): from a worker they are
#: INTERNAL, so a worker cannot spend a PIN try or lock a key (key_use counts CONSENT_INVALID).
_GUARD_CODES = ("CONSENT_", "KEY_")


@dataclass(frozen=True)
class SignJob:
    """One signature's PDF work (:class:`signer.model.DocumentWork`), its deadline and the
    fetch budget's (:func:`time.monotonic`, shared by the processes of one machine) and what
    set that budget."""

    work: DocumentWork
    deadline: float
    budget_deadline: float | None
    budget_time_limit: str


class CallerGone:
    """The pool's cancellation for signing work: the signing call ended (cancelled, or
    answered by gRPC's deadline)."""

    def __init__(self, ended: Callable[[], bool]) -> None:
        self._ended = ended

    def is_set(self) -> bool:
        return bool(self._ended())


def signing_limits(http: HttpFetcher) -> tuple[float, RequestBudget, CallerGone]:
    """The current signing request's deadline, fetch budget and cancellation."""
    work = signing_deadline.current()
    at = work.at if work is not None else time.monotonic() + _UNSCOPED_SECONDS
    budget = current_budget() or http.budget()
    return at, budget, CallerGone(work.ended if work is not None else lambda: False)


def caged_signing(
    pool: WorkerPool, http: HttpFetcher, snapshot: Callable[[], TrustSnapshot]
) -> DocumentCage:
    """A :class:`signer.pdf_signer.DocumentCage` that runs in ``pool``; raises what the work
    raises, ``SIGNING_BINDING_FAILED`` and the cage's errors (``DEADLINE_EXCEEDED``,
    ``VERIFY_MEMORY_LIMIT``, ``VERIFY_CPU_LIMIT``, ``VERIFY_WORKER_LOST``)."""

    def run(
        work: DocumentWork, document: BinaryIO, signer: Signer | None
    ) -> SignResult | PreparedDocument:
        at, budget, cancelled = signing_limits(http)
        job = SignJob(work, at, budget.deadline, budget.time_limit)
        fd = document.fileno()
        original = _original(fd)  # before the worker can touch the file
        signed: list[tuple[document_work.Binding, bytes]] = []

        def answer(message: tuple[Any, ...]) -> bytes:
            # one raw signature per job, over attributes bound to the file this server holds
            if signer is None or signed or len(message) != 5:
                raise Precondition("SIGNING_BINDING_FAILED", problem="unexpected request")
            _, data, digest_algorithm, start, end = message
            try:
                signing_deadline.check("signature")  # the key is not used for a caller gone
                binding = document_work.check_signed_attributes(
                    bytes(data),
                    _certificate(work),
                    fd,
                    int(start),
                    int(end),
                    reserved=_reserved(work),
                    original=original,
                )
                signature = event_loop.run(
                    signer.async_sign_raw(bytes(data), str(digest_algorithm))
                )
            except KysoError as err:  # e.g. a wrong owner PIN: this server's own verdict
                refused.append(err)
                raise
            signed.append((binding, signature))
            return signature

        refused: list[KysoError] = []

        def outcome() -> SignResult | PreparedDocument:
            try:
                wire, _ = pool.run(
                    job, snapshot(), b"", fd=fd, deadline=at, cancelled=cancelled, asks=answer
                )
            except KysoError as exc:
                if refused:  # the worker only passed on what this server answered
                    raise refused[0] from None
                if isinstance(exc, Unauthenticated | PermissionDenied) or exc.code.startswith(
                    _GUARD_CODES
                ):  # a worker speaks for no caller, and its word locks no key
                    raise Internal("INTERNAL_ERROR") from exc
                raise
            except Exception as exc:  # not a KysoError: the signature, if made, still counts
                if not signed:
                    raise
                raise Internal("INTERNAL_ERROR") from exc
            try:
                result = worker_protocol.sign_result_from_wire(wire)
            except worker_protocol.ProtocolViolation:
                raise Precondition("SIGNING_BINDING_FAILED", problem="no result") from None
            # what leaves kyso is what the key signed: the same ByteRange, our signature in it
            if signer is not None and (
                len(signed) != 1 or not signed[0][0].holds(fd, signed[0][1])
            ):
                raise Precondition("SIGNING_BINDING_FAILED", problem="the signed file changed")
            return result

        try:
            return outcome()
        except KysoError as error:
            if signed:  # the key signed: the use counts whatever the worker did next
                _signature_made(error, work)
            raise

    return run


def _signature_made(error: KysoError, work: DocumentWork) -> None:
    """Mark ``error`` as raised after the key signed (``signature_made``): the key's use is
    counted, its consent spent and the audit says ``SIGNED_NOT_RETURNED``; a worker that took
    a signature and then failed on purpose gains no second try."""
    error.signature_made = True
    log.warning(
        "key %s signed, then the request failed (%s): the use is counted",
        work.key_name or "-",
        error.code,
    )


def _original(fd: int) -> tuple[int, bytes]:
    """The caller's document as handed to the worker: its length and SHA-256."""
    size, h, at = os.fstat(fd).st_size, hashlib.sha256(), 0
    while at < size:
        chunk = os.pread(fd, min(_CHUNK, size - at), at)
        if not chunk:
            break
        h.update(chunk)
        at += len(chunk)
    return at, h.digest()


def _certificate(work: DocumentWork) -> x509.Certificate:
    return x509.Certificate.load(work.certificate)


def _reserved(work: DocumentWork) -> int:
    """The placeholder's size the worker must have written (signer.levels.bytes_reserved)."""
    chain = tuple(x509.Certificate.load(der) for der in work.chain)
    level = work.options.level
    if level is None:
        raise Precondition("SIGNING_BINDING_FAILED", problem="no level decided")
    return levels.bytes_reserved(_certificate(work), chain, level, work.der_size)


class WorkerSigning:
    """A worker's side of signing: a signing service without keys, and the CMS templates of
    the keys it has signed for (by key name and certificate)."""

    def __init__(self, service: SigningService) -> None:
        self.service = service
        self._templates: dict[tuple[str, bytes], CmsTemplates] = {}

    def run(
        self, job: SignJob, document: BinaryIO, ask: document_work.KeyRequest
    ) -> SignResult | PreparedDocument:
        """:func:`signer.document_work.perform` for ``job`` within its deadline."""
        work = job.work
        key_config = templates = None
        if work.key_name is not None:
            key_config = self.service.keys.config(work.key_name)
            index = (work.key_name, hashlib.sha256(work.certificate).digest())
            templates = self._templates.setdefault(index, CmsTemplates())
        with signing_deadline.scope(signing_deadline.WorkDeadline(at=job.deadline)):
            # no path: the anchor search's pdftotext (another process) reads a temporary copy
            return document_work.perform(self.service, work, document, key_config, ask, templates)


__all__ = ["CallerGone", "SignJob", "WorkerSigning", "caged_signing", "signing_limits"]
