"""The cage: worker processes that verify untrusted documents under hard limits (issue 9).

The gRPC thread that serves a Verify, VerifyStream, CheckLayout, Intake or IntakeStream (or the
signer's certificate precheck) hands the work to an idle worker process
(:mod:`kyso.server.verify_worker`) and waits on its pipe, holding no lock and no GIL while the
worker parses, builds paths, renders and OCRs. Meanwhile it answers the worker's questions (the
shared revocation cache lives here, with its Redis) and re-logs the worker's log lines. It
stops waiting when

* the worker answers: the report's proto bytes (or a :class:`kyso.errors.KysoError`);
* the request's deadline plus ``kill_grace_seconds`` passes, or the call is cancelled: the
  worker is killed (SIGKILL) → ``DEADLINE_EXCEEDED``;
* the worker dies: at its memory limit → ``RESOURCE_EXHAUSTED VERIFY_MEMORY_LIMIT``; past
  its CPU time (SIGXCPU) → ``RESOURCE_EXHAUSTED VERIFY_CPU_LIMIT``; otherwise (the OS's OOM
  killer, an operator's ``kill``, a crash in a C library) → ``UNAVAILABLE VERIFY_WORKER_LOST``.

A worker that ended abnormally is replaced at once, so the pool heals. ``size`` workers stay
warm; when all are busy for more than a moment (a slow responder, a long document) more start,
up to ``max_size``, and stop again after ``idle_seconds``: I/O-bound requests do not starve the
pool, and CPU-bound ones use every core.

Workers come from a ``forkserver`` (never ``fork`` from the threaded gRPC server) that has
imported and warmed up the verifier once (:mod:`kyso.server.worker_warmup`), so starting one
costs milliseconds.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import reduction
from multiprocessing.connection import Connection
from typing import Any, Protocol

from kyso.errors import DeadlineExceeded, Internal, KysoError, ResourceExhausted, Unavailable
from kyso.pki.fetching import HttpFetcher, RequestBudget, current_budget
from kyso.pki.revocation_cache import RevocationCache, _Entry
from kyso.server import (
    fetch_relay,
    intake_jobs,
    precheck_jobs,
    sign_jobs,
    verify_jobs,
    verify_worker,
    worker_confinement,
    worker_messages,
    worker_protocol,
)
from kyso.server.settings import Settings
from trust_store.model import TrustSnapshot

log = logging.getLogger("kyso.worker_pool")

#: How long a request waits for an idle worker before the pool starts another (up to max_size).
_GROW_AFTER = 0.05
#: The longest the waiting thread sleeps between looks at the deadline and the cancellation.
_TICK = 0.05
#: A worker whose address space came this close to its limit ran out of memory.
_MEMORY_MARGIN = 64 * 1024 * 1024
#: Log lines of one job re-logged from its worker; the rest are counted in one line (a hostile
#: document's dead ends must not fill the disk, issue 9 §4).
_LOG_LINES_PER_JOB = 200

_CONTEXT: Any = None
_CONTEXT_LOCK = threading.Lock()


def _mp_context() -> Any:
    """The forkserver context, preloaded with the warmed-up worker module; the forkserver is
    started with the allowed environment only (no PIN, worker_confinement)."""
    global _CONTEXT
    with _CONTEXT_LOCK:
        if _CONTEXT is None:
            worker_confinement.install_clean_spawn()
            ctx = multiprocessing.get_context("forkserver")
            # __main__ too, as multiprocessing does by default: each worker would import it
            ctx.set_forkserver_preload(["__main__", "kyso.server.worker_warmup"])
            _CONTEXT = ctx
        return _CONTEXT


def boot_forkserver() -> None:
    """Start the forkserver now, without waiting: it imports and warms up the verifier while
    the server process builds the rest of its context (the first worker waits for it)."""
    from multiprocessing import forkserver

    _mp_context()
    forkserver.ensure_running()


class Cancellation(Protocol):
    """Set when the request's caller has gone (a :class:`threading.Event`, or a view of it)."""

    def is_set(self) -> bool: ...


class WorkerLost(Exception):
    """The worker ended before it answered; ``error`` is what the caller gets."""

    def __init__(self, error: KysoError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class _Worker:
    process: Any
    conn: Connection
    pid: int = 0
    started: float = field(default_factory=time.monotonic)
    served: int = 0
    last_used: float = field(default_factory=time.monotonic)
    snapshot: TrustSnapshot | None = None  # the last one sent
    vsize: int = 0  # largest address space seen from outside (bytes)
    limit: int = 0  # its RLIMIT_AS (bytes), once it said it is ready
    vsize_at_rest: int = 0

    rest_peak: int = 0  # its VmPeak once ready (inherited from the forkserver, possibly)

    def near_limit(self, peak: int) -> bool:
        """Whether a peak address space of ``peak`` bytes reached this worker's limit (within
        an eighth of its allowance, at most :data:`_MEMORY_MARGIN`)."""
        if self.limit <= 0 or peak <= self.rest_peak:
            return False
        allowance = self.limit - self.vsize_at_rest
        return peak >= self.limit - min(_MEMORY_MARGIN, allowance // 8)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:  # a real-time signal, which has no name
        return str(number)


def _vsize(pid: int) -> int:
    """The address space of ``pid`` in bytes (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return int(fields[20])  # field 23, vsize (after pid and comm)
    except (OSError, IndexError, ValueError):
        return 0


class WorkerPool:
    """Worker processes for the verifications of one server process (``AppContext.pool``)."""

    def __init__(
        self,
        settings: Settings,
        cache: RevocationCache,
        *,
        purpose: str = "verification",
        size: int | None = None,
        max_size: int | None = None,
        max_requests: int | None = None,
        http: HttpFetcher | None = None,
    ) -> None:
        """``purpose`` names the pool in logs and metrics (``verification``, ``signing``);
        ``size``, ``max_size`` and ``max_requests`` default to ``[process_pool] size``,
        ``max_size`` and ``max_requests_per_worker``. ``http`` makes the workers' fetches
        (:mod:`kyso.server.fetch_relay`; the server's own, timed by its metrics)."""
        cfg = settings.process_pool
        self.settings = settings
        self.purpose = purpose
        #: what each worker is given: no secret, no shared state (worker_confinement)
        self._worker_settings = worker_confinement.worker_settings(settings)
        self._scratch = tempfile.mkdtemp(prefix="kyso-worker-")
        self.confinement = worker_confinement.Confinement(
            cfg.confinement, self._scratch, worker_confinement.read_paths(settings)
        )
        #: the Landlock ABI the workers are confined by (0: unconfined), once one is ready
        self.confined: int | None = None
        if size is None:
            size = cfg.size if cfg.size is not None else (os.cpu_count() or 1)
        self.size = size
        self.max_size = max(self.size, max_size or cfg.max_size or settings.workers)
        self.max_requests = max_requests or cfg.max_requests_per_worker
        self._cfg = cfg
        self._cache = cache
        self.http = http or HttpFetcher(settings.fetch)
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._count = 0  # workers alive or starting
        self._closed = False
        self._warming = False  # the warm workers are still being started
        self._growing = False  # a worker beyond size is being started (one at a time)
        self._encoded: tuple[TrustSnapshot, bytes] | None = None
        self._log_level = logging.getLogger().getEffectiveLevel()
        self.replaced = 0  # workers that ended abnormally (killed, lost, over a limit)
        self.jobs = 0  # jobs handed to a worker

    # -- life -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the warm workers in the background (they warm up while the server starts;
        the first one needs the forkserver, which imports pyHanko and the verifier once).

        Raises :class:`kyso.errors.InvalidInput` (``CONFIG_INVALID``) for ``confinement =
        "landlock"`` on a kernel without Landlock."""
        from kyso.errors import InvalidInput

        confining = self._cfg.confinement != "none" and worker_confinement.landlock_abi() >= 1
        exposed = worker_confinement.exposed(self.settings, self.confinement.read)
        if confining and exposed:
            raise InvalidInput(
                "CONFIG_INVALID",
                problem=f"{exposed[0]} holds secrets but lies under what the workers may read "
                "(the interpreter, the code or the system's directories; docs/security.md, "
                "Workers): move it, or the home, elsewhere",
            )
        if self._cfg.confinement == "landlock" and worker_confinement.landlock_abi() < 1:
            raise InvalidInput(
                "CONFIG_INVALID",
                problem='[process_pool] confinement = "landlock", but this kernel offers no '
                'Landlock (Linux 5.13+ with landlock in lsm=); use "auto" to run unconfined',
            )
        with self._cond:
            self._count += self.size
            self._warming = True
        threading.Thread(target=self._start_warm, name="kyso-pool-start", daemon=True).start()

    def _start_warm(self) -> None:
        for _ in range(self.size):
            worker = self._spawn()
            with self._cond:
                if worker is None or self._closed:
                    self._count -= 1
                else:
                    self._idle.append(worker)
                self._cond.notify()
            if worker is not None and self._closed:
                self._stop(worker)
        with self._cond:
            self._warming = False
            self._cond.notify_all()

    def wait_ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the warm workers; True when they are all up."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._warming, timeout)

    def close(self) -> None:
        """Stop every worker (idle ones are told to, busy ones are killed by their thread)."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for worker in idle:
            self._stop(worker)
        shutil.rmtree(self._scratch, ignore_errors=True)

    @property
    def busy(self) -> int:
        with self._cond:
            return self._count - len(self._idle)

    def pids(self) -> list[int]:
        """The idle workers' process ids (tests, health)."""
        with self._cond:
            return [w.pid for w in self._idle]

    def _spawn(self) -> _Worker | None:
        ctx = _mp_context()
        parent, child = ctx.Pipe(duplex=True)
        process = ctx.Process(
            target=verify_worker.main,
            args=(child, self._worker_settings, self._log_level, self.confinement),
            name=f"kyso-{self.purpose}-worker",
            daemon=True,
        )
        try:
            process.start()
        except Exception:
            log.exception("cannot start a %s worker", self.purpose)
            parent.close()
            child.close()
            return None
        finally:
            child.close()
        return _Worker(process, parent, pid=int(process.pid))

    def _stop(self, worker: _Worker, *, kill: bool = False) -> None:
        if not kill:
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
            worker.process.join(0.5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(1.0)
        with contextlib.suppress(OSError):
            worker.conn.close()
        with contextlib.suppress(ValueError, AttributeError):
            worker.process.close()
        # its own scratch directory (verify_worker.main): its temporary files go with it
        shutil.rmtree(os.path.join(self._scratch, f"worker-{worker.pid}"), ignore_errors=True)

    # -- one request ------------------------------------------------------------------------

    def _acquire(self, deadline: float, cancelled: Cancellation) -> _Worker:
        grow_at = time.monotonic() + _GROW_AFTER
        with self._cond:
            while True:
                if self._closed:
                    raise Unavailable("VERIFY_WORKER_LOST", problem="the server is stopping")
                if self._idle:
                    return self._idle.pop()
                now = time.monotonic()
                # beyond size, one worker starts at a time: starting many at once would slow
                # down the busy ones (and the answers that free their gRPC threads)
                grow = (
                    now >= grow_at
                    and not (self._warming or self._growing)
                    and self._count < self.max_size
                )
                if self._count < self.size or grow:
                    self._count += 1
                    self._growing = grow
                    break
                if now >= deadline or cancelled.is_set():
                    raise DeadlineExceeded("DEADLINE_EXCEEDED")
                wake = min(deadline, grow_at) if now < grow_at else deadline
                self._cond.wait(max(0.001, min(_TICK, wake - now)))
        try:
            worker = self._spawn()
        finally:
            with self._cond:
                self._growing = False
                self._cond.notify_all()
        if worker is None:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise Unavailable("VERIFY_WORKER_LOST", problem="no worker could be started")
        return worker

    def _release(self, worker: _Worker, *, healthy: bool) -> None:
        worker.last_used = time.monotonic()
        retire = not healthy or worker.served >= self.max_requests
        stale: list[_Worker] = []
        with self._cond:
            if retire or self._closed:
                self._count -= 1
            else:
                self._idle.append(worker)
            # workers started on demand stop after idle_seconds (the oldest idle first)
            limit = worker.last_used - self._cfg.idle_seconds
            while self._count > self.size and self._idle and self._idle[0].last_used < limit:
                stale.append(self._idle.pop(0))
                self._count -= 1
            replace = (retire and not self._closed) and self._count < self.size
            if replace:
                self._count += 1
            self._cond.notify()
        if retire or self._closed:
            self._stop(worker, kill=not healthy)
        for old in stale:
            self._stop(old)
        if replace:  # the pool heals: a warm worker takes the retired one's place
            fresh = self._spawn()
            with self._cond:
                if fresh is None:
                    self._count -= 1
                else:
                    self._idle.append(fresh)
                self._cond.notify()

    def _snapshot_blob(self, worker: _Worker, snapshot: TrustSnapshot) -> bytes | None:
        if worker.snapshot is snapshot:
            return None
        encoded = self._encoded
        if encoded is None or encoded[0] is not snapshot:
            encoded = (snapshot, verify_jobs.encode_snapshot(snapshot))
            self._encoded = encoded
        worker.snapshot = snapshot
        return encoded[1]

    def run(
        self,
        job: verify_jobs.VerifyJob
        | verify_jobs.LayoutJob
        | intake_jobs.IntakeJob
        | precheck_jobs.PrecheckJob
        | sign_jobs.SignJob,
        snapshot: TrustSnapshot,
        data: Any,
        *,
        fd: int | None,
        deadline: float,
        cancelled: Cancellation,
        asks: Callable[[tuple[Any, ...]], Any] | None = None,
    ) -> tuple[Any, str]:
        """Run ``job`` on ``data`` (bytes, or an open file ``fd`` of the same bytes) in a worker;
        returns the answer (a report's proto bytes; a signing job's result) and the document's
        (or package's) SHA-256, empty for a layout or signing job.

        ``asks`` answers the job's own question (a signing job's ``sign_raw``): its value, or
        the :class:`KysoError` it raises (any other failure as ``INTERNAL_ERROR``), goes back
        to the worker.

        ``deadline`` (:func:`time.monotonic`): the worker is killed that long after it plus
        ``kill_grace_seconds``. Raises the worker's :class:`KysoError`, or the pool's
        (``DEADLINE_EXCEEDED``, ``VERIFY_MEMORY_LIMIT``, ``VERIFY_CPU_LIMIT``,
        ``VERIFY_WORKER_LOST``).
        """
        worker = self._acquire(deadline, cancelled)
        self.jobs += 1
        healthy = False
        # a watchdog kills the worker at the deadline even if this thread is blocked on its
        # pipe (a worker that announces a message and never sends it, or stops reading)
        watchdog = threading.Timer(
            max(0.0, deadline + self._cfg.kill_grace_seconds + _TICK - time.monotonic()),
            self._kill,
            (worker,),
        )
        watchdog.daemon = True
        watchdog.start()
        try:
            worker.served += 1
            worker.conn.send(job)
            worker.conn.send(self._snapshot_blob(worker, snapshot))
            if fd is not None:
                worker.conn.send("fd")
                reduction.send_handle(worker.conn, fd, worker.pid)
            else:
                worker.conn.send("bytes")
                worker.conn.send_bytes(data)
            budget = current_budget() or self.http.budget(deadline)  # the worker's fetches
            kill_at = deadline + self._cfg.kill_grace_seconds
            answer = self._wait(worker, kill_at, cancelled, budget, asks)
            # a worker that logged a MemoryError or came this close to its limit failed an
            # allocation somewhere (a library may have swallowed the MemoryError): its answer
            # is not trusted, and it is replaced (its heap is suspect)
            healthy = not (answer[-1] or worker.near_limit(answer[-2]))
        except (OSError, EOFError) as exc:  # the pipe broke: the worker is gone
            raise self._lost(worker, exc).error from None
        except WorkerLost as lost:
            raise lost.error from None
        finally:
            watchdog.cancel()
            self._release(worker, healthy=healthy)
        if not healthy:
            self.replaced += 1
            log.warning("%s worker %d reached its memory limit", self.purpose, worker.pid)
            raise self._memory()
        if answer[0] == "ok":
            return answer[1], answer[2]
        raise verify_jobs.rebuild_error(answer[1])

    def _memory(self) -> ResourceExhausted:
        return ResourceExhausted("VERIFY_MEMORY_LIMIT", limit=self._cfg.memory_limit_bytes)

    def _wait(
        self,
        worker: _Worker,
        kill_at: float,
        cancelled: Cancellation,
        budget: RequestBudget,
        asks: Callable[[tuple[Any, ...]], Any] | None = None,
    ) -> tuple[Any, ...]:
        conn = worker.conn
        logged = 0
        fetched: set[bytes] = set()  # what the server fetched for this job (SHA-256)
        while True:
            now = time.monotonic()
            if now >= kill_at or cancelled.is_set():
                self._kill(worker)
                self.replaced += 1
                log.warning(
                    "%s worker %d killed: %s",
                    self.purpose,
                    worker.pid,
                    "the call was cancelled" if cancelled.is_set() else "past the deadline",
                )
                raise WorkerLost(DeadlineExceeded("DEADLINE_EXCEEDED"))
            if not conn.poll(min(_TICK, kill_at - now)):
                worker.vsize = max(worker.vsize, _vsize(worker.pid))
                continue
            try:
                message = worker_protocol.decode(conn)
            except worker_protocol.ProtocolViolation as exc:
                self._kill(worker)
                log.warning("%s worker %d: %s", self.purpose, worker.pid, exc)
                raise self._lost(worker, None, problem="it broke the protocol") from exc
            kind = message[0]
            if kind in ("ok", "error"):
                if logged > _LOG_LINES_PER_JOB:
                    log.warning(
                        "%s worker %d: %d more log lines of this job not shown",
                        self.purpose,
                        worker.pid,
                        logged - _LOG_LINES_PER_JOB,
                    )
                return message
            if kind == "log":
                logged += 1
                if logged <= _LOG_LINES_PER_JOB:
                    worker_messages.relog(worker.pid, *message[1:])
            elif kind == "fetch_refusals":  # the request's budget in this thread learns them
                budget.record(worker_protocol.refusals(message[1]))
            elif kind == "http":  # the worker has no network: the server fetches for it
                tsa = self.settings.signer.tsa_url
                conn.send(fetch_relay.answer(self.http, budget, message, tsa_url=tsa, note=fetched))
            elif kind == "cache_get":
                entry = self._cache.lookup(message[1], worker_messages.parser(message[1]))
                conn.send(None if entry is None else (entry.der, entry.expires_at))
            elif kind == "cache_put" and hashlib.sha256(message[2]).digest() in fetched:
                worker_messages.cache_put(  # only an answer fetched for it, never a stored one
                    self._cache, self.settings.fetch.max_response_bytes, message[1], message[2]
                )
            elif kind == "cache_count":
                self._cache.count(hit=bool(message[1]))
            elif kind == "cache_error":
                self._cache.count_fetch_error()
            elif kind == "cache_stale":
                self._cache.mark_stale(_Entry(der=message[1], obj=None, expires_at=0.0))
            elif kind == "ready":
                _, _, worker.vsize_at_rest, worker.limit, worker.rest_peak, confined = message
                if self.confined is None:  # said once per pool
                    self.confined = confined
                    worker_messages.note_confinement(self.purpose, self._cfg.confinement, confined)
                worker.vsize = max(worker.vsize, worker.vsize_at_rest)
            elif kind == "memory":
                raise self._lost(worker, None, memory=True)
            elif kind == "crash":
                raise self._lost(worker, None, problem=f"{message[1][:80]} in the worker")
            elif kind == "sign_raw":  # a question only the job's own handler may answer
                reply: tuple[Any, ...]
                try:
                    if asks is None:
                        raise Internal("INTERNAL_ERROR")
                    reply = ("ok", asks(tuple(message)))
                except KysoError as err:
                    reply = ("error", verify_jobs.error_state(err))
                except Exception:  # the key's backend, the file: not the worker's fault
                    log.exception("answering worker %d's %s failed", worker.pid, kind)
                    reply = ("error", verify_jobs.error_state(Internal("INTERNAL_ERROR")))
                conn.send(reply)

    def _kill(self, worker: _Worker) -> None:
        with contextlib.suppress(ProcessLookupError, OSError, ValueError, AttributeError):
            worker.process.kill()
        worker.process.join(1.0)

    def _lost(
        self,
        worker: _Worker,
        exc: BaseException | None,
        *,
        memory: bool = False,
        problem: str = "",
    ) -> WorkerLost:
        """Classify a worker that ended before answering; it is replaced by :meth:`_release`."""
        worker.process.join(1.0)
        if worker.process.is_alive():
            self._kill(worker)
        code = worker.process.exitcode
        self.replaced += 1
        near_limit = worker.near_limit(worker.vsize)
        error: KysoError
        if memory or code == verify_worker.EXIT_MEMORY:
            error = self._memory()
        elif code == -signal.SIGXCPU:
            error = ResourceExhausted("VERIFY_CPU_LIMIT", limit=self._cfg.cpu_seconds)
        elif code in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS) and near_limit:
            error = self._memory()
        else:
            if not problem:
                problem = (
                    f"ended by signal {_signal_name(-code)}"
                    if code is not None and code < 0
                    else f"exit status {code}"
                )
            error = Unavailable("VERIFY_WORKER_LOST", problem=problem)
        log.warning(
            "%s worker %d ended (exit %s, %s): %s",
            self.purpose,
            worker.pid,
            code,
            type(exc).__name__ if exc is not None else "no answer",
            error.code,
        )
        return WorkerLost(error)


__all__ = ["WorkerPool", "boot_forkserver"]
