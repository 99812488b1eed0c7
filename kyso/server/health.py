"""Health and readiness that tell the truth: one status per dependency, checked in the background.

The standard gRPC health service (``grpc.health.v1.Health``: ``Check``, ``Watch``, ``List``)
answers from what :class:`HealthMonitor` last saw; a health call never waits for a probe.
Each dependency has a daemon thread of its own that probes it every ``[health]
interval_seconds`` (the TSA every ``tsa_interval_seconds``); a probe still running after
``probe_timeout_seconds`` counts as NOT_SERVING, so a hung token or a silent Redis shows at once
and never holds up another dependency's check.

Service names (docs/operations.md "Health and readiness"):

* ``kyso.key/<name>``: the key's private key (its certificate for ``consent = "pin"``) found on
  its PKCS#11 token past every cache; files keys: loaded at start-up;
* ``kyso.redis``: ``PING`` (only with ``redis_url``);
* ``kyso.trust_store``: a snapshot is loaded; a local store's directory is still readable;
* ``kyso.tsa``: the TSA reachable (TCP connect, or a real RFC 3161 request; only with a
  ``tsa_url`` and ``tsa_probe`` not ``off``);
* ``kyso.audit``: the signing and trust-store audit chains writable (files opened for append;
  in Redis a short-lived key written);
* ``kyso.v1.Signer``, ``kyso.v1.Verifier``, ``kyso.v1.TrustStore``, ``kyso.v1.Intake`` and the
  overall ``""``, derived from the above by :func:`readiness`.

SIGTERM sets every name NOT_SERVING (``HealthServicer.enter_graceful_shutdown``) and later
updates are then ignored by the servicer.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import grpc
from grpc_health.v1 import health, health_pb2

from trust_store.audit import FileAuditLog, RedisAuditLog

if TYPE_CHECKING:
    from grpc_health.v1.health import HealthServicer

    from kyso.server.context import AppContext

log = logging.getLogger("kyso.health")

KEY_PREFIX = "kyso.key/"
REDIS = "kyso.redis"
TRUST_STORE = "kyso.trust_store"
TSA = "kyso.tsa"
AUDIT = "kyso.audit"

_PB = health_pb2.HealthCheckResponse
#: how often the publisher looks for stalled probes and changed states
_PUBLISH_SECONDS = 0.25


class Status(enum.StrEnum):
    """A dependency's state, as the health service's enum names it."""

    SERVING = "SERVING"
    NOT_SERVING = "NOT_SERVING"
    UNKNOWN = "UNKNOWN"  # not checked yet

    @property
    def pb(self) -> int:
        return int(_PB.ServingStatus.Value(self.value))


@dataclass(frozen=True)
class DependencyState:
    """The last outcome of one dependency's probe.

    ``detail``: a stable error code or a short English reason, empty when SERVING (never a
    PIN, a URL's credentials or document content); ``checked_at``: Unix time (UTC) of the
    outcome; ``seconds``: how long the probe took."""

    status: Status
    detail: str = ""
    checked_at: float = 0.0
    seconds: float = 0.0


Probe = Callable[[], None]  # returns when the dependency works; raises otherwise

#: grpc.health.v1 says List may refuse a server with more services than this (RESOURCE_EXHAUSTED)
_LIST_LIMIT = 100


class HealthService(health.HealthServicer):
    """grpcio-health-checking's servicer (Check, Watch, graceful shutdown) with ``List``, which
    its 1.8x releases declare in the proto but leave unimplemented (UNIMPLEMENTED)."""

    def __init__(self) -> None:
        super().__init__()
        self._listed: dict[str, int] = dict(self._server_status)

    # The parent's re-entrant lock guards both maps: enter_graceful_shutdown holds it while it
    # calls set() for every name, so List never shows a name SERVING after the shutdown began.
    def set(self, service: str, status: int) -> None:
        with self._lock:
            super().set(service, status)  # ignored once the shutdown began
            if service in self._server_status:
                self._listed[service] = self._server_status[service]

    def List(
        self, request: health_pb2.HealthListRequest, context: grpc.ServicerContext
    ) -> health_pb2.HealthListResponse:
        with self._lock:
            listed = dict(self._listed)
        if len(listed) > _LIST_LIMIT:
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "too many services to list")
        return health_pb2.HealthListResponse(
            statuses={name: _PB(status=status) for name, status in listed.items()}
        )


class _Dependency:
    """One dependency's probe, its thread and its last state."""

    def __init__(self, name: str, probe: Probe, interval: float) -> None:
        self.name = name
        self.probe = probe
        self.interval = interval
        self.state = DependencyState(Status.UNKNOWN, "not checked yet")
        self.started: float | None = None  # monotonic start of the probe in progress

    def run_once(self) -> DependencyState:
        began = time.monotonic()
        self.started = began
        try:
            self.probe()
        except Exception as exc:  # any failure of a probe is "not serving", with its code
            detail = str(getattr(exc, "code", "") or type(exc).__name__)[:80]
            state = DependencyState(
                Status.NOT_SERVING, detail, time.time(), time.monotonic() - began
            )
        else:
            state = DependencyState(Status.SERVING, "", time.time(), time.monotonic() - began)
        finally:
            self.started = None
        self.state = state
        return state


class HealthMonitor:
    """Probes kyso's dependencies in the background and publishes the health statuses.

    Built once per server by :func:`start`; :meth:`statuses` is the per-dependency map
    (metrics read it); :meth:`close` stops the threads (they are daemons: a probe stuck in a
    token never delays the process's exit).
    """

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx
        cfg = ctx.settings.health
        self.timeout = cfg.probe_timeout_seconds
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._servicer: HealthServicer | None = None
        self._services: tuple[str, ...] = ()
        self._published: dict[str, Status] = {}
        self._deps: dict[str, _Dependency] = {}
        self._threads: list[threading.Thread] = []
        for name in ctx.keys.names():
            self._add(f"{KEY_PREFIX}{name}", _key_probe(ctx, name), cfg.interval_seconds)
        if ctx.redis is not None:
            self._add(REDIS, _redis_probe(ctx.redis), cfg.interval_seconds)
        self._add(TRUST_STORE, _trust_probe(ctx), cfg.interval_seconds)
        tsa_url = ctx.settings.signer.tsa_url
        if tsa_url and cfg.tsa_probe != "off":
            probe = (
                _tsa_connect_probe(tsa_url, self.timeout)
                if cfg.tsa_probe == "connect"
                else _tsa_timestamp_probe(ctx, tsa_url, self.timeout)
            )
            self._add(TSA, probe, cfg.tsa_interval_seconds)
        self._add(AUDIT, _audit_probe(ctx), cfg.interval_seconds)

    def _add(self, name: str, probe: Probe, interval: float) -> None:
        self._deps[name] = _Dependency(name, probe, interval)

    # -- reading -------------------------------------------------------------------------------
    def statuses(self) -> dict[str, DependencyState]:
        """The last state of each dependency, by health service name; a probe running past
        ``probe_timeout_seconds`` reads NOT_SERVING (``no answer within N s``)."""
        now = time.monotonic()
        out: dict[str, DependencyState] = {}
        for name, dep in self._deps.items():
            started = dep.started
            if started is not None and now - started > self.timeout:
                out[name] = DependencyState(
                    Status.NOT_SERVING,
                    f"no answer within {self.timeout:g} s",
                    time.time(),
                    now - started,
                )
            else:
                out[name] = dep.state
        return out

    def readiness(self) -> dict[str, Status]:
        """Every published name (dependencies, kyso services, ``""``) and its status."""
        deps = self.statuses()
        services = readiness(self._ctx, deps)
        out = {n: s.status for n, s in deps.items()}
        for name in (*self._services, ""):
            out[name] = services.get(name, Status.SERVING)
        return out

    # -- running -------------------------------------------------------------------------------
    def check_all(self) -> None:
        """Probe every dependency but the TSA once, now, each bounded by the probe timeout
        (start-up: the first answers are true ones). The TSA's first check runs in the
        background: a TSA never delays a start."""
        threads = [
            threading.Thread(target=dep.run_once, name="kyso-health-first", daemon=True)
            for name, dep in self._deps.items()
            if name != TSA
        ]
        for thread in threads:
            thread.start()
        end = time.monotonic() + self.timeout
        for thread in threads:
            thread.join(max(0.0, end - time.monotonic()))
        for name, state in self.statuses().items():
            _note(name, Status.UNKNOWN, state)

    def start(self, servicer: HealthServicer, services: tuple[str, ...]) -> None:
        """Publish into ``servicer`` for the kyso ``services`` and start the checking."""
        self._servicer = servicer
        self._services = services
        self.check_all()
        self.publish()
        for dep in self._deps.values():
            self._threads.append(
                threading.Thread(
                    target=self._loop, args=(dep,), name=f"kyso-health-{dep.name}", daemon=True
                )
            )
        self._threads.append(
            threading.Thread(target=self._publisher, name="kyso-health-publish", daemon=True)
        )
        for thread in self._threads:
            thread.start()

    def _loop(self, dep: _Dependency) -> None:
        first = dep.name == TSA  # the others were checked by start()
        while first or not self._stop.wait(dep.interval):
            first = False
            if dep.started is not None:  # the last check still hangs: no second one beside it
                continue
            before = dep.state.status
            _note(dep.name, before, dep.run_once())

    def _publisher(self) -> None:
        while not self._stop.wait(_PUBLISH_SECONDS):
            self.publish()

    def publish(self) -> None:
        """Set every name whose status changed since the last publication."""
        servicer = self._servicer
        if servicer is None:
            return
        with self._lock:
            for name, status in self.readiness().items():
                if self._published.get(name) is not status:
                    servicer.set(name, status.pb)
                    self._published[name] = status

    def close(self) -> None:
        """Stop checking; wait up to the probe timeout for a check in progress, so none
        re-opens a token or a connection the closing context has just closed."""
        self._stop.set()
        end = time.monotonic() + self.timeout
        for thread in self._threads:
            thread.join(max(0.0, end - time.monotonic()))


def _note(name: str, before: Status, state: DependencyState) -> None:
    """Log a change of state: WARNING when a dependency is down (at start-up too), INFO when
    it is back; the first SERVING is not news."""
    if state.status is before or state.status is Status.UNKNOWN:
        return
    if before is Status.UNKNOWN and state.status is Status.SERVING:
        return
    log.log(
        logging.INFO if state.status is Status.SERVING else logging.WARNING,
        "health: %s is %s%s",
        name,
        state.status.value,
        f" ({state.detail})" if state.detail else "",
    )


def readiness(ctx: AppContext, deps: Mapping[str, DependencyState]) -> dict[str, Status]:
    """The kyso services' and the overall status from the dependencies' (a policy, in one place).

    * Signer: some configured key usable (or none configured: two-step only) and the audit
      writable — a signature is never returned unaudited.
    * Verifier, Intake, TrustStore: the trust store readable.
    * ``""`` (readiness): NOT_SERVING when no configured signing key is usable, when the trust
      store is unreadable, or when the signing audit is a local file that cannot be written.
      Redis and the TSA do not take a replica out: every replica shares them, so their outage
      would take all replicas out at once, while verification and trust-store reads go on (from
      the last good copy); their own names and the Signer's say NOT_SERVING instead.
    """

    def ok(name: str) -> bool:
        state = deps.get(name)
        return state is None or state.status is Status.SERVING

    key_names = [n for n in deps if n.startswith(KEY_PREFIX)]
    keys_ok = not key_names or any(ok(n) for n in key_names)
    trust_ok = ok(TRUST_STORE)
    audit_ok = ok(AUDIT)
    local_audit = ctx.redis is None
    signer = keys_ok and audit_ok
    overall = keys_ok and trust_ok and (audit_ok or not local_audit or not key_names)

    def status(good: bool) -> Status:
        return Status.SERVING if good else Status.NOT_SERVING

    return {
        "kyso.v1.Signer": status(signer),
        "kyso.v1.Verifier": status(trust_ok),
        "kyso.v1.Intake": status(trust_ok),
        "kyso.v1.TrustStore": status(trust_ok),
        "": status(overall),
    }


# -- probes ------------------------------------------------------------------------------------


def _key_probe(ctx: AppContext, name: str) -> Probe:
    def probe() -> None:
        ctx.keys.probe(name)  # loaded, and on its token now (a token back is re-opened)

    return probe


def _redis_probe(client: Any) -> Probe:
    def probe() -> None:
        if not client.ping():
            raise ConnectionError("no PONG")

    return probe


def _trust_probe(ctx: AppContext) -> Probe:
    path = ctx.settings.trust_store_path
    # a local store's directory, if it had one at start-up (an empty store may have none)
    local = ctx.settings.redis_url is None and path.is_dir()

    def probe() -> None:
        ctx.trust.snapshot()  # loaded (an empty store is serving: anchors are added through it)
        if local:
            with os.scandir(path) as entries:  # the store's directory is still there
                next(entries, None)

    return probe


def _audit_probe(ctx: AppContext) -> Probe:
    chains = [ctx.signing_audit.chain, ctx.trust.audit]
    namespace = ctx.settings.trust_store.redis_namespace

    def probe() -> None:
        for chain in chains:
            if isinstance(chain, FileAuditLog):
                # what an append does, without writing: a directory in the file's place, a
                # read-only file system or a full inode table fail here
                fd = os.open(chain.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                os.close(fd)
            elif isinstance(chain, RedisAuditLog) and ctx.redis is not None:
                ctx.redis.set(f"{namespace}:audit:health-probe", b"1", px=60_000)

    return probe


def _tsa_connect_probe(url: str, timeout: float) -> Probe:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)

    def probe() -> None:
        with socket.create_connection((host, port), timeout=timeout):
            pass

    return probe


def _tsa_timestamp_probe(ctx: AppContext, url: str, timeout: float) -> Probe:
    from signer.levels import timestamper

    def probe() -> None:
        http = ctx.signing.http
        budget = http.budget(time.monotonic() + timeout)
        stamper = timestamper(url, http)
        digest = hashlib.sha256(f"kyso health {time.time()}".encode()).digest()

        async def ask() -> None:
            from kyso.pki.fetching import request_scope

            with request_scope(budget):
                await stamper.async_timestamp(digest, "sha256")

        asyncio.run(ask())

    return probe


def start(ctx: AppContext, servicer: HealthServicer, services: tuple[str, ...]) -> HealthMonitor:
    """Build the monitor of ``ctx``, publish its first statuses and keep them current; it is
    stopped by ``ctx.close()``."""
    monitor = HealthMonitor(ctx)
    ctx.health_monitor = monitor
    ctx.closers.append(monitor.close)
    monitor.start(servicer, services)
    return monitor


def dependency_statuses(ctx: AppContext) -> dict[str, str]:
    """``{service name: "SERVING" | "NOT_SERVING" | "UNKNOWN"}`` for the dependencies of the
    server of ``ctx`` (empty before the server is built) — for metrics and the CLI."""
    monitor = ctx.health_monitor
    if monitor is None:
        return {}
    return {name: state.status.value for name, state in monitor.statuses().items()}


__all__ = [
    "AUDIT",
    "KEY_PREFIX",
    "REDIS",
    "TRUST_STORE",
    "TSA",
    "DependencyState",
    "HealthMonitor",
    "Status",
    "dependency_statuses",
    "readiness",
    "start",
]
