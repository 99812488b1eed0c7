"""Builds and runs the gRPC server: kyso's three services, health and reflection."""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from kyso.errors import InvalidInput
from kyso.pdf import hex_strings
from kyso.pki import der_lengths
from kyso.server import allocator, reflection
from kyso.server import health as dependency_health
from kyso.server import intake_servicer as intake_api
from kyso.server import signer_servicer as signer_api
from kyso.server import trust_servicer as trust_api
from kyso.server import verifier_servicer as verifier_api
from kyso.server.context import AppContext, build_context
from kyso.server.deadlines import FetchBudgetInterceptor
from kyso.server.lean_requests import LeanDocuments
from kyso.server.settings import Settings, is_loopback
from kyso.server.tls import CertificateReloader
from kyso.settings import shorten

log = logging.getLogger("kyso.server")

_APIS = (trust_api, signer_api, verifier_api, intake_api)  # trust first: the others read it


def _bindable(listen: str, *, reuse_port: bool) -> bool:
    """Whether some address of ``listen`` (HOST:PORT) can be bound, as gRPC will bind it.

    Tried first with a plain socket because gRPC, on failure, writes its own log line to
    stderr, and ``kyso serve`` reports a start-up error on one line.
    """
    host, _, port = listen.rpartition(":")
    try:
        infos = socket.getaddrinfo(
            host.strip("[]"), int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except (OSError, ValueError):
        return False
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port and hasattr(socket, "SO_REUSEPORT"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            try:
                sock.bind(address)
            except OSError:
                continue
            return True
    return False


def check_plaintext(listen: str, setting: str, *, tls: bool) -> None:
    """Refuse plaintext on a non-loopback address: :class:`InvalidInput` (CONFIG_INVALID)
    naming ``setting`` and ``[tls]``; anyone on the network could otherwise sign."""
    if not tls and not is_loopback(listen):
        raise InvalidInput(
            "CONFIG_INVALID",
            problem=f"{setting}: {shorten(listen)} is not a loopback address: without [tls] "
            "kyso listens in plaintext on 127.0.0.1, ::1 or localhost only (docs/security.md)",
        )


def build_server(
    ctx: AppContext,
    listen: str,
    *,
    setting: str = "listen",
    tls: CertificateReloader | None = None,
) -> tuple[grpc.Server, int, health.HealthServicer]:
    """The server, bound to ``listen`` (not started yet), its port and its health service.

    With ``tls`` the port speaks TLS (mTLS when a client CA is set); without it only a
    loopback address is accepted. Raises :class:`InvalidInput` (``CONFIG_INVALID``) naming
    the address and ``setting`` (where it came from) when it is not loopback and there is no
    TLS, or when it cannot be bound: in use, or not an address of this host.
    """
    check_plaintext(listen, setting, tls=tls is not None)
    # The process-wide patches: pyHanko's per-token hex-string reader makes a signature's
    # /Contents cost ~15 ms (kyso.pdf.hex_strings); asn1crypto re-encodes every value whose
    # definite length ends in 0x80 at each dump (kyso.pki.der_lengths).
    hex_strings.install()
    der_lengths.install()
    cfg = ctx.settings
    # room for the envelope; an Intake package may be larger than a document
    limit = max(cfg.max_document_bytes, cfg.intake.max_package_bytes) + 1024 * 1024
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=cfg.workers, thread_name_prefix="kyso-rpc"),
        # innermost: a unary document is read as a view of gRPC's bytes (one copy, not three)
        interceptors=[*ctx.interceptors, LeanDocuments()],
        options=[
            ("grpc.max_receive_message_length", limit),
            ("grpc.max_send_message_length", limit),
            ("grpc.so_reuseport", 1 if cfg.reuse_port else 0),
        ],
    )
    names: list[str] = []
    for api in _APIS:
        names.extend(api.register(server, ctx))
    health_servicer = dependency_health.HealthService()  # Check, Watch and List
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    ctx.health = health_servicer
    reflection.enable(
        [
            *names,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ],
        server,
    )
    port = 0
    if _bindable(listen, reuse_port=cfg.reuse_port):
        try:
            if tls is None:
                port = server.add_insecure_port(listen)
            else:
                port = server.add_secure_port(listen, tls.credentials())
        except RuntimeError:  # grpc: "Failed to bind to address ..."
            port = 0
    if port == 0:
        raise InvalidInput(
            "CONFIG_INVALID",
            problem=f"{setting}: cannot listen on {shorten(listen)}: "
            "the address is in use or not available on this host",
        )
    # once bound: one status per dependency and the services' from them (kyso.server.health)
    dependency_health.start(ctx, health_servicer, tuple(names))
    return server, port, health_servicer


def build_health_server(
    servicer: health.HealthServicer, listen: str, *, setting: str = "health_listen"
) -> tuple[grpc.Server, int]:
    """A plaintext server on ``listen`` with ``servicer`` (the main port's health service) and
    nothing else: no kyso service, no reflection.

    Kubernetes ``grpc:`` probes speak no TLS, so with ``[tls]`` they cannot ask the main port.
    Health is open to every caller there too, and names no secret. Raises
    :class:`InvalidInput` (``CONFIG_INVALID``) naming ``setting`` when ``listen`` cannot be
    bound.
    """
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="kyso-health"),
        options=[("grpc.max_receive_message_length", 64 * 1024)],
    )
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    try:
        port = server.add_insecure_port(listen) if _bindable(listen, reuse_port=False) else 0
    except RuntimeError:  # grpc: "Failed to bind to address ..."
        port = 0
    if port == 0:
        raise InvalidInput(
            "CONFIG_INVALID",
            problem=f"{setting}: cannot listen on {shorten(listen)}: "
            "the address is in use or not available on this host",
        )
    return server, port


def _freeze_startup_heap() -> None:
    """Keep start-up objects (modules, trust store, policies) out of the cyclic collector.

    They live as long as the process, yet every full collection walks them again: ~40 ms
    each, two or three times while verifying a large signed PDF (docs/benchmarks.md).
    """
    gc.collect()
    gc.freeze()


def _start_metrics(ctx: AppContext, listen: str, setting: str) -> str | None:
    """Serve ``/metrics`` (``off``: not); its URL. Closes ``ctx`` when it cannot start."""
    assert ctx.observability is not None
    try:
        return ctx.observability.start_endpoint(listen, setting=setting)
    except BaseException:
        ctx.close()
        raise


@contextlib.contextmanager
def running_server(
    settings: Settings, listen: str | None = None, *, metrics_listen: str = "off"
) -> Iterator[tuple[str, AppContext]]:
    """Start a real server in this process (tests, benchmarks); yields its address.

    ``metrics_listen``: the ``/metrics`` endpoint (``off`` by default here, unlike
    ``kyso serve``); ``ctx.observability.endpoint`` says where it listens.
    """
    tls = CertificateReloader(settings.tls) if settings.tls else None
    ctx = build_context(settings)
    _start_metrics(ctx, metrics_listen, "metrics_listen")
    server, port, _ = build_server(ctx, listen or "127.0.0.1:0", tls=tls)
    server.start()
    _freeze_startup_heap()
    try:
        yield f"127.0.0.1:{port}", ctx
    finally:
        server.stop(grace=1).wait()
        ctx.close()


def serve(
    settings: Settings,
    listen: str | None = None,
    metrics_listen: str | None = None,
    *,
    on_serving: Callable[[str], None] | None = None,
) -> None:
    """Run until SIGINT/SIGTERM; in-flight requests get a grace period.

    ``listen`` (``--listen``) replaces the ``listen`` setting, ``metrics_listen``
    (``--metrics-listen``) the ``[metrics] listen`` one. Start-up problems raise a
    :class:`kyso.errors.KysoError` (``kyso serve`` prints it on one line). SIGHUP makes the
    next TLS handshake re-read the certificate files. ``on_serving`` gets the address
    actually bound (``HOST:PORT``, the port chosen when ``listen`` asked for 0) before
    ``kyso: serving on`` is printed.
    """
    address = listen or settings.listen
    setting = "--listen" if listen else "listen"
    check_plaintext(address, setting, tls=settings.tls is not None)  # before building anything
    allocator.tune_server()  # before the gRPC threads: large messages stay on mmap
    tls = CertificateReloader(settings.tls) if settings.tls else None
    ctx = build_context(settings)
    try:
        server, port, health_servicer = build_server(ctx, address, setting=setting, tls=tls)
        probes = None
        if settings.health_listen:
            probes = build_health_server(health_servicer, settings.health_listen)
    except BaseException:
        ctx.close()
        raise
    metrics_setting = "--metrics-listen" if metrics_listen else "metrics.listen"
    metrics_url = _start_metrics(ctx, metrics_listen or settings.metrics.listen, metrics_setting)
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        stop.set()

    # Before "serving on": a client that reads it may stop kyso at once, and a SIGTERM that
    # arrives before the handler would end the process without its shutdown (the audit's
    # shutdown checkpoint included).
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if tls is not None:
        signal.signal(signal.SIGHUP, lambda _signum, _frame: tls.mark_stale())
    server.start()
    _freeze_startup_heap()
    host = address.rsplit(":", 1)[0]
    if on_serving is not None:
        on_serving(f"{host}:{port}")
    # printed once, for people and scripts; the log line would repeat it on a terminal
    log.debug("kyso serving on %s:%d", host, port)
    print(f"kyso: serving on {host}:{port}", flush=True)
    if metrics_url is not None:  # after "serving on": scripts read that line first
        log.info("metrics on %s", metrics_url)
        print(f"kyso: metrics on {metrics_url}", flush=True)
    if probes is not None:
        probes[0].start()
        probe_host = settings.health_listen.rsplit(":", 1)[0] if settings.health_listen else ""
        log.info("kyso health probes (plaintext, health only) on %s:%d", probe_host, probes[1])
        print(
            f"kyso: health probes (plaintext, health only) on {probe_host}:{probes[1]}", flush=True
        )
    stop.wait()
    _arm_shutdown_deadline(settings.shutdown_grace_seconds + _SHUTDOWN_SLACK_SECONDS)
    # Readiness first (NOT_SERVING), then the in-flight requests get the grace period; at its
    # end gRPC cancels them, which cancels their fetches (kyso.server.deadlines).
    health_servicer.enter_graceful_shutdown()
    grace = settings.shutdown_grace_seconds
    log.info("kyso stopping: in-flight requests have %.1f s", grace)
    server.stop(grace=grace).wait(grace + 5)
    if probes is not None:  # answered NOT_SERVING through the grace period
        probes[0].stop(grace=0)
    ctx.close()
    _exit_if_stuck(ctx)


#: After the grace period, how long request threads may still take to notice they were cancelled.
_STRAGGLER_SECONDS = 1.0
#: Beyond the grace period, how long the whole shutdown may take (gRPC stop ≤ 5 s, closing the
#: pools, the audit's shutdown checkpoint, interpreter exit) before the process ends anyway.
_SHUTDOWN_SLACK_SECONDS = 10.0


def _arm_shutdown_deadline(seconds: float) -> None:
    """End the process ``seconds`` after the stop signal, whatever still runs by then.

    Issue 9: after SIGTERM the process exits even if something is stuck; a shutdown step or
    the interpreter's exit (which joins non-daemon threads and child processes without a
    time limit) must not keep the port taken. Every thread's stack goes to stderr first, so
    the cause can be found.
    """

    def _expire() -> None:
        log.error("shutdown did not finish within %.1f s: exiting now (stacks on stderr)", seconds)
        with contextlib.suppress(Exception):
            faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        _flush_and_exit()

    timer = threading.Timer(seconds, _expire)
    timer.daemon = True
    timer.name = "kyso-shutdown-deadline"
    timer.start()


def _flush_and_exit() -> None:
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def _exit_if_stuck(ctx: AppContext) -> None:
    """End the process now if a request is still running after the shutdown.

    The interpreter would otherwise join every worker thread at exit, waiting for a request
    stuck in work no deadline can interrupt (minutes, issue 9); meanwhile the port and the demo
    responders' port stay taken. The log and the standard streams are flushed first."""
    tracker = next((i for i in ctx.interceptors if isinstance(i, FetchBudgetInterceptor)), None)
    if tracker is None or tracker.wait_idle(_STRAGGLER_SECONDS):
        return
    log.warning("exiting with %d request(s) still running after the grace period", tracker.active)
    _flush_and_exit()
