"""Prometheus metrics of one server, and the endpoint that serves them.

Each server context has its own :class:`ServerMetrics` (a private ``CollectorRegistry``): two
servers in one process (the tests) never count each other's calls. Three sources feed it:

* **Per RPC**, from :class:`kyso.server.request_log.RequestRecord` when the call ends
  (:class:`kyso.server.access_log.ObservingInterceptor`): requests by method and status code,
  latency per method, signatures by key, profile and level, verification indications, layout
  findings by rule. Verification metrics come from the report the server process holds, so
  work done elsewhere (a worker process) is counted where it is answered.
* **Per fetch**, from the hook :attr:`kyso.pki.fetching.HttpFetcher.on_fetch`: latency by
  purpose, responder host (host only: never a path) and outcome.
* **At scrape time**, read from the components (:class:`_ComponentCollector`): revocation cache
  hits, misses and stale answers, PKCS#11 sessions in use and errors per token, Redis
  availability, audit entries written per chain, refused calls without a credential.

Labels come from bounded sets: method names from the policy table, key names and rules from the
configuration, indications and levels from enums; responder hosts are capped at
:data:`MAX_RESPONDERS` (then ``other``). No label carries a subject, a token or a document.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from kyso.server.request_log import RequestRecord

if TYPE_CHECKING:
    from kyso.server.context import AppContext

log = logging.getLogger("kyso.metrics")

#: Distinct responder hosts labelled; later ones are counted as ``other``.
MAX_RESPONDERS = 64
#: Seconds: RPCs range from a health check (~1 ms) to a large verification with fetches (~60 s).
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: Seconds: an OCSP/CRL/TSA exchange, bounded by ``fetch.timeout_seconds``.
FETCH_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Seconds a Redis ping result is reused by scrapes.
REDIS_PING_SECONDS = 5.0


class ServerMetrics:
    """The metric families of one server and the registry the endpoint exposes."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "kyso_requests",
            "RPCs answered, by method and gRPC status code",
            ["method", "code"],
            registry=r,
        )
        self.latency = Histogram(
            "kyso_request_duration_seconds",
            "RPC latency by method (seconds)",
            ["method"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self.signatures = Counter(
            "kyso_signatures",
            "signatures made, by key, profile and PAdES level",
            ["key", "profile", "level"],
            registry=r,
        )
        self.verifications = Counter(
            "kyso_verifications",
            "documents verified, by ETSI main indication",
            ["indication"],
            registry=r,
        )
        self.layout_findings = Counter(
            "kyso_layout_findings",
            "Decree 30 layout findings, by rule and severity",
            ["rule", "severity"],
            registry=r,
        )
        self.fetches = Histogram(
            "kyso_fetch_duration_seconds",
            "outbound fetches (OCSP, CRL, AIA, TSA) by purpose, responder host and outcome",
            ["purpose", "responder", "outcome"],
            buckets=FETCH_BUCKETS,
            registry=r,
        )
        self._responders: set[str] = set()
        self._lock = threading.Lock()

    def attach(self, ctx: AppContext) -> None:
        """Read ``ctx``'s components at scrape time and time its fetches."""
        self.registry.register(_ComponentCollector(ctx))
        ctx.revocation.http.on_fetch = self.on_fetch  # the workers' fetches too (fetch_relay)

    # -- per RPC
    def record(self, record: RequestRecord, code: str, seconds: float) -> None:
        """One RPC ended with ``code`` after ``seconds``."""
        self.requests.labels(record.method, code).inc()
        self.latency.labels(record.method).observe(seconds)
        for sig in record.signatures:
            self.signatures.labels(sig.key, sig.profile, sig.level).inc()
        for indication in record.indications:
            self.verifications.labels(indication).inc()
        for rule, severity in record.layout_findings:
            self.layout_findings.labels(rule, severity).inc()

    # -- per fetch (kyso.pki.fetching's hook; runs on the request's event loop: cheap)
    def on_fetch(self, purpose: str, url: str, seconds: float, ok: bool) -> None:
        self.fetches.labels(purpose, self._responder(url), "ok" if ok else "failed").observe(
            seconds
        )

    def _responder(self, url: str) -> str:
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
        except ValueError:
            return "invalid"
        host = host[:128] or "invalid"
        with self._lock:
            if host in self._responders:
                return host
            if len(self._responders) < MAX_RESPONDERS:
                self._responders.add(host)
                return host
        return "other"


class _ComponentCollector(Collector):
    """Counters the components keep themselves, read when Prometheus scrapes."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self._redis_checked = float("-inf")
        self._redis_up = 0.0
        self._redis_lock = threading.Lock()

    def describe(self) -> Iterable[Any]:
        return []  # values read at scrape time only: nothing to describe at registration

    def collect(self) -> Iterator[Any]:
        ctx = self._ctx
        yield from self._revocation(ctx)
        yield from self._pkcs11(ctx)
        yield from self._audit(ctx)
        yield from self._anonymous(ctx)
        if ctx.redis is not None:
            up = GaugeMetricFamily("kyso_redis_up", "1 when Redis answered a ping, else 0")
            up.add_metric([], self._redis_answers())
            yield up

    @staticmethod
    def _revocation(ctx: AppContext) -> Iterator[Any]:
        stats = ctx.revocation.stats()
        lookups = CounterMetricFamily(
            "kyso_revocation_cache_lookups",
            "OCSP/CRL lookups of the revocation cache, by outcome (hit, miss, stale: a "
            "responder was down and an expired answer within the grace period was served)",
            labels=["outcome"],
        )
        lookups.add_metric(["hit"], stats.hits)
        lookups.add_metric(["miss"], stats.misses)
        lookups.add_metric(["stale"], stats.stale_served)
        yield lookups

    @staticmethod
    def _pkcs11(ctx: AppContext) -> Iterator[Any]:
        in_use = GaugeMetricFamily(
            "kyso_pkcs11_sessions_in_use", "PKCS#11 sessions lent out, by token", labels=["token"]
        )
        size = GaugeMetricFamily(
            "kyso_pkcs11_sessions", "PKCS#11 sessions of the pool, by token", labels=["token"]
        )
        errors = CounterMetricFamily(
            "kyso_pkcs11_errors",
            "PKCS#11 calls that failed with a token error, by token",
            labels=["token"],
        )
        for pool in ctx.keys.pools():
            token = pool.token_label or pool.module
            in_use.add_metric([token], pool.in_use)
            size.add_metric([token], pool.size)
            errors.add_metric([token], pool.errors)
        yield from (in_use, size, errors)

    @staticmethod
    def _audit(ctx: AppContext) -> Iterator[Any]:
        writes = CounterMetricFamily(
            "kyso_audit_writes",
            "audit entries this process appended, by chain",
            labels=["chain"],
        )
        for chain, log_ in (("trust", ctx.trust.audit), ("signing", ctx.signing_audit.chain)):
            if log_ is not None:
                writes.add_metric([chain], log_.appended)
        yield writes

    @staticmethod
    def _anonymous(ctx: AppContext) -> Iterator[Any]:
        from kyso.server.auth import AccessInterceptor

        refused = CounterMetricFamily(
            "kyso_refused_anonymous",
            "calls refused because they carried no credential (counted, never audited)",
            labels=["method"],
        )
        for interceptor in ctx.interceptors:
            if isinstance(interceptor, AccessInterceptor):
                for method, count in sorted(interceptor.anonymous.snapshot().items()):
                    refused.add_metric([method], count)
        yield refused

    def _redis_answers(self) -> float:
        with self._redis_lock:
            now = time.monotonic()
            if now - self._redis_checked >= REDIS_PING_SECONDS:
                self._redis_checked = now
                try:
                    self._redis_up = 1.0 if self._ctx.redis and self._ctx.redis.ping() else 0.0
                except Exception as exc:
                    log.debug("Redis ping failed: %s", type(exc).__name__)
                    self._redis_up = 0.0
            return self._redis_up


__all__ = ["FETCH_BUCKETS", "MAX_RESPONDERS", "REQUEST_BUCKETS", "ServerMetrics"]
