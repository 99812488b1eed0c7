"""The worker process of the cage: verification of one request at a time, with hard limits.

Started by :class:`kyso.server.worker_pool.WorkerPool` from a forkserver that has already
imported this module and warmed it up (:mod:`kyso.server.worker_warmup`), so a new worker is
ready in milliseconds. Its limits (``[process_pool]``):

* address space: the warm worker's size plus ``memory_limit_bytes`` (RLIMIT_AS, hard, for
  the worker's whole life, so at most that much more for any request): an allocation past
  it fails (``MemoryError``, or the process dies); the pool answers ``VERIFY_MEMORY_LIMIT``
  and replaces the worker;
* CPU time ``cpu_seconds`` per request (RLIMIT_CPU's soft limit moved before each request;
  SIGXCPU ends the process): ``VERIFY_CPU_LIMIT``;
* wall time: the request's deadline, enforced by the pool (SIGKILL).

The protocol on the duplex pipe (pickled tuples), worker → server: ``("ready", pid, vsize,
limit, vm_peak)``,
``("log", name, level, text, exc_text)``, ``("fetch_refusals", [Refusal, ...])`` (the job's
fetch refusals, before its answer), ``("cache_get", key)`` (answered by the server with
``(der, expires_at)`` or None), ``("cache_put", key, der, next_update)``, ``("cache_count",
hit)``, ``("cache_error",)``, ``("cache_stale", der)``, ``("http", method, url, purpose, accept,
body, content_type)`` (a fetch the server makes for it, :mod:`kyso.server.fetch_relay`:
answered ``("ok", status, headers, body)`` or ``("failed", problem, setting)``),
``("sign_raw", signed_attributes,
digest_algorithm, start, end)`` (a signing job's one raw signature: answered ``("ok",
signature)`` or ``("error", state)``), and one answer per job: ``("ok",
payload, sha256, vm_peak, memory_error_logged)``, ``("error", state, vm_peak,
memory_error_logged)``, ``("memory",)`` or ``("crash",
type_name)``. Server → worker: a job (:class:`~kyso.server.verify_jobs.VerifyJob`,
:class:`~kyso.server.verify_jobs.LayoutJob`, :class:`~kyso.server.intake_jobs.IntakeJob`,
:class:`~kyso.server.precheck_jobs.PrecheckJob` or :class:`~kyso.server.sign_jobs.SignJob`), the
encoded trust snapshot or None, then the document or package (bytes, or a file descriptor of
the spooled stream); None ends the worker.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import mmap
import os
import resource
import signal
import tempfile
import threading
from dataclasses import replace
from datetime import datetime
from multiprocessing import reduction
from multiprocessing.connection import Connection
from typing import Any

from kyso import errors
from kyso.pdf import hex_strings
from kyso.pki import der_lengths
from kyso.pki.fetching import RequestBudget, request_scope
from kyso.pki.revocation_cache import CachingFetcherBackend, RevocationCache, _Entry
from kyso.server import (
    allocator,
    fetch_relay,
    intake_jobs,
    precheck_jobs,
    sign_jobs,
    verify_jobs,
    worker_confinement,
    worker_protocol,
)
from kyso.server.log_privacy import apply_personal_name_policy
from kyso.server.settings import Settings
from trust_store.model import TrustSnapshot
from verifier import validation
from verifier.intake.policy import IntakePolicy, load_policy
from verifier.policy import PolicyRegistry

log = logging.getLogger("kyso.worker")

#: Exit status of a worker that ran out of memory outside a job's own handling.
EXIT_MEMORY = 86
_PR_SET_PDEATHSIG = 1


class _Channel:
    """The worker's end of the pipe; threads (a fetch's resolver, logging) share it."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._lock = threading.Lock()

    def tell(self, message: tuple[Any, ...]) -> None:
        with self._lock:
            self.conn.send(message)

    def ask(self, message: tuple[Any, ...]) -> Any:
        with self._lock:
            self.conn.send(message)
            return self.conn.recv()


class _PipeLogHandler(logging.Handler):
    """Sends each record to the server process, which logs it through its own handlers (so
    its format, privacy filter and the tests' log scan apply to the workers' lines too)."""

    def __init__(self, channel: _Channel) -> None:
        super().__init__()
        self._channel = channel

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            exc_text = None
            if record.exc_info:
                exc_text = logging.Formatter().formatException(record.exc_info)
            self._channel.tell(("log", record.name, record.levelno, text, exc_text))
        except Exception:  # noqa: S110 - a log line must never end a verification
            pass


class _MemoryErrorWatch(logging.Handler):
    """Notes a MemoryError that some code caught and logged instead of raising: the verifier
    and pyHanko catch every exception of a hostile part (``change analysis failed:
    MemoryError``), so a request at its memory limit may still produce an answer; that answer
    is not trusted (the pool answers VERIFY_MEMORY_LIMIT)."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        args = record.args if isinstance(record.args, tuple) else ()
        if isinstance(exc, MemoryError) or "MemoryError" in args:
            self.seen = True


class ServerCache(RevocationCache):
    """The revocation cache of the server process, asked through the pipe; a local level in
    the worker keeps answers it has seen (fresh until their nextUpdate), so a repeated
    lookup costs no round trip. The server's level (and its Redis) stays the shared one."""

    def __init__(self, channel: _Channel, **kwargs: Any) -> None:
        super().__init__(None, **kwargs)
        self._channel = channel

    def lookup(self, key: str, parse: Any) -> _Entry | None:
        entry = super().lookup(key, parse)  # the local level only (no Redis here)
        if entry is not None and entry.fresh(self.now()):
            return entry
        reply = self._channel.ask(("cache_get", key))
        if reply is None:
            return entry
        der, expires_at = reply
        try:
            shared = _Entry(der=der, obj=parse(der), expires_at=expires_at)
        except ValueError:
            return entry
        if entry is None or shared.expires_at > entry.expires_at:
            self._remember(key, shared)
            return shared
        return entry

    def store(self, key: str, der: bytes, obj: Any, next_update: datetime | None) -> _Entry:
        entry = super().store(key, der, obj, next_update)
        at = None if next_update is None else next_update.timestamp()
        self._channel.tell(("cache_put", key, der, at))
        return entry

    def count(self, *, hit: bool) -> None:
        super().count(hit=hit)
        self._channel.tell(("cache_count", hit))

    def count_fetch_error(self) -> None:
        super().count_fetch_error()
        self._channel.tell(("cache_error",))

    def mark_stale(self, entry: _Entry) -> None:
        super().mark_stale(entry)
        self._channel.tell(("cache_stale", entry.der))


def _vm_sizes() -> tuple[int, int]:
    """(VmSize, VmPeak) of this process in bytes."""
    size = peak = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                size = int(line.split()[1]) * 1024
            elif line.startswith("VmPeak:"):
                peak = int(line.split()[1]) * 1024
    return size, peak


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Worker:
    def __init__(self, channel: _Channel, settings: Settings) -> None:
        self.channel = channel
        self.settings = settings
        self.policies = PolicyRegistry(settings.verifier.policy_dir)
        ts = settings.trust_store
        # no network here: the server makes each fetch (and times it in its metrics)
        self.http = fetch_relay.RelayedHttp(settings.fetch, channel.ask)
        cache = ServerCache(
            channel,
            fallback_ttl=ts.revocation_fallback_ttl_seconds,
            stale_grace=ts.revocation_stale_grace_seconds,
            namespace=ts.redis_namespace,
        )
        self.backend = CachingFetcherBackend(cache, self.http)
        self.snapshot = TrustSnapshot(version=0)
        self.memory_watch = _MemoryErrorWatch()
        self.intake_policy: IntakePolicy | None = None  # loaded by the first intake
        self.used_budget: RequestBudget | None = None  # the current job's fetch budget
        self._refusals_told = 0  # how many of its refusals the server has been sent
        self._signing: sign_jobs.WorkerSigning | None = None  # built by the first signing job

    def serve(self) -> None:
        conn = self.channel.conn
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):  # the server is gone
                return
            if job is None:
                return
            snapshot = conn.recv()
            if snapshot is not None:
                self.snapshot = verify_jobs.decode_snapshot(snapshot)
            self._limit_cpu()
            try:
                answer = self._run(job)
            except MemoryError:
                answer = ("memory",)
            self.channel.tell(answer)
            if answer[0] in ("memory", "crash"):
                os._exit(EXIT_MEMORY if answer[0] == "memory" else 1)

    def _memory(self) -> tuple[int, bool]:
        """This job's memory evidence: the peak address space, and whether a MemoryError was
        logged (a library that catches every exception still logs what it caught)."""
        seen, self.memory_watch.seen = self.memory_watch.seen, False
        return _vm_sizes()[1], seen

    def _limit_cpu(self) -> None:
        limit = int(_cpu_used()) + self.settings.process_pool.cpu_seconds + 1
        resource.setrlimit(resource.RLIMIT_CPU, (limit, resource.RLIM_INFINITY))

    def _document(self, *, as_file: bool, writable: bool = False) -> tuple[Any, Any]:
        """The job's document and what to close after it: bytes, or the spooled stream's
        file, read-only mapped (or open, ``as_file``: an edXML package is read in chunks;
        ``writable``: a document to sign, updated in place)."""
        conn = self.channel.conn
        kind = conn.recv()
        if kind == "fd":
            fd = reduction.recv_handle(conn)
            if as_file or writable:
                f = os.fdopen(fd, "r+b" if writable else "rb")
                return f, f
            try:
                mapped = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
            finally:
                os.close(fd)
            return mapped, mapped
        return conn.recv_bytes(), None

    def _request(self, job: verify_jobs.VerifyJob, data: Any) -> validation.Request:
        """``job``'s request completed with this worker's policy, trust snapshot and fetcher."""
        return replace(
            job.request,
            data=data,
            policy=self.policies.get(job.policy),
            snapshot=self.snapshot,
            fetcher_backend=self.backend,
        )

    def _budget(
        self, job: verify_jobs.VerifyJob | precheck_jobs.PrecheckJob | sign_jobs.SignJob
    ) -> RequestBudget:
        """The job's fetch budget: the server's deadline for it, named as the server named it."""
        budget = self.http.budget(job.budget_deadline)
        budget.time_limit = job.budget_time_limit
        self.used_budget = budget
        return budget

    def _intake(self, job: intake_jobs.IntakeJob, package: Any) -> tuple[Any, str]:
        verify = intake_jobs.attachment_verifier(self._request(job.verify, b""))
        if self.intake_policy is None:
            self.intake_policy = load_policy(self.settings.intake.policy_file)
        with request_scope(self._budget(job.verify)):
            return intake_jobs.run_intake(
                package,
                job.human_report,
                verify,
                self.settings.intake,
                self.settings.verifier,
                self.intake_policy,
            )

    def _signing_service(self) -> sign_jobs.WorkerSigning:
        """The signing side of this worker: the PDF work only (keys stay in the server)."""
        if self._signing is None:
            from signer.pdf_signer import SigningService

            self._signing = sign_jobs.WorkerSigning(
                SigningService(
                    self.settings.signer, self.settings.keys, lambda: self.snapshot, self.backend
                )
            )
        return self._signing

    def _ask_key(self, data: bytes, digest_algorithm: str, start: int, end: int) -> bytes:
        """The server's raw signature over ``data`` (it checks the binding first). The job's
        fetch refusals so far go first: a fetch cut by the deadline stops the key there."""
        self._tell_refusals()
        reply = self.channel.ask(("sign_raw", data, digest_algorithm, start, end))
        if reply[0] != "ok":
            raise verify_jobs.rebuild_error(reply[1])
        return bytes(reply[1])

    def _run(self, job: Any) -> tuple[Any, ...]:
        intake = isinstance(job, intake_jobs.IntakeJob)
        signing = isinstance(job, sign_jobs.SignJob)
        data, opened = self._document(as_file=intake, writable=signing)
        try:
            if isinstance(job, sign_jobs.SignJob):
                with request_scope(self._budget(job)):
                    result = self._signing_service().run(job, data, self._ask_key)
                data.flush()
                wire = worker_protocol.sign_result_to_wire(result)
                return ("ok", wire, "", *self._memory())
            if isinstance(job, verify_jobs.LayoutJob):
                policy = self.policies.get(job.policy)
                response = verify_jobs.run_layout(data, policy, job)
                return ("ok", response.SerializeToString(), "", *self._memory())
            if isinstance(job, intake_jobs.IntakeJob):
                report, sha = self._intake(job, data)
                return ("ok", report.SerializeToString(), sha, *self._memory())
            if isinstance(job, precheck_jobs.PrecheckJob):
                with request_scope(self._budget(job)):
                    precheck_jobs.run_precheck(job, self.snapshot, self.backend)
                return ("ok", b"", "", *self._memory())
            with request_scope(self._budget(job)):
                report, sha = verify_jobs.run_verify(
                    self._request(job, data), job.human_report, job.etsi_report
                )
            return ("ok", report.SerializeToString(), sha, *self._memory())
        except errors.KysoError as err:
            return ("error", verify_jobs.error_state(err), *self._memory())
        except MemoryError:
            raise
        except Exception as exc:
            log.exception("verification failed in the worker")
            return ("crash", type(exc).__name__)
        finally:
            if opened is not None:
                with contextlib.suppress(BufferError):
                    opened.close()
            self._tell_refusals()  # before the answer: the server's budget learns them
            self.used_budget, self._refusals_told = None, 0

    def _tell_refusals(self) -> None:
        """Send the current job's fetch refusals not sent yet."""
        budget = self.used_budget
        if budget is not None and len(budget.refusals) > self._refusals_told:
            told = budget.refusals[self._refusals_told :]
            self.channel.tell(("fetch_refusals", worker_protocol.refusals_to_wire(told)))
            self._refusals_told = len(budget.refusals)


def _die_with_parent() -> None:
    """SIGKILL this worker when the process that forked it (the forkserver) ends."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def main(
    conn: Connection,
    settings: Settings,
    log_level: int,
    confinement: worker_confinement.Confinement,
) -> None:
    """The worker's life: limits, warm-up, confinement, then one job after another until told
    to stop. ``settings`` come without secrets (:func:`worker_confinement.worker_settings`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the server; it stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    if settings.process_pool.nice:  # the server's own threads first when the CPU is short
        os.nice(settings.process_pool.nice)
    channel = _Channel(conn)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    pipe = _PipeLogHandler(channel)
    pipe.setLevel(log_level)  # the server's level: what it would log
    root.addHandler(pipe)
    root.setLevel(min(log_level, logging.INFO))  # the memory watch reads INFO lines too
    apply_personal_name_policy(settings.log_personal_names)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU/SIGSEGV write no core file
    allocator.one_arena()  # RLIMIT_AS: no 64 MiB of address space per helper thread
    hex_strings.install()
    der_lengths.install()
    worker = _Worker(channel, settings)
    root.addHandler(worker.memory_watch)
    _warm_up(worker)
    # temporary files (the anchor search's copy, OCR's images) in a scratch of its own: no
    # worker reads or changes another's
    own = os.path.join(confinement.scratch, f"worker-{os.getpid()}")
    os.makedirs(own, mode=0o700, exist_ok=True)
    os.environ["TMPDIR"] = tempfile.tempdir = own
    try:
        confined = worker_confinement.confine(replace(confinement, scratch=own))
    except OSError as exc:
        log.error("this worker cannot be confined: %s", exc)
        channel.tell(("crash", "confinement"))
        os._exit(1)
    size, peak = _vm_sizes()
    limit = size + settings.process_pool.memory_limit_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    channel.tell(("ready", os.getpid(), size, limit, peak, confined))
    worker.serve()


#: A one-page PDF without signatures, verified to warm a worker up (kyso.server.worker_warmup).
WARM_PDF = (
    b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R/Size 4>>\n%%EOF\n"
)


def _warm_up(worker: _Worker) -> None:
    """Load this worker's own policies (the forkserver warmed the rest up, the signer's
    modules included: :mod:`kyso.server.sign_jobs` imports them)."""
    worker.policies.get(worker.settings.verifier.default_policy)


__all__ = ["EXIT_MEMORY", "WARM_PDF", "ServerCache", "main"]
