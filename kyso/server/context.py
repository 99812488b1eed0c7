"""The composition root: what every servicer of one server process shares, as typed fields."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kyso.pki.revocation_cache import CachingFetcherBackend, fetcher_backend
from kyso.server.client_limits import LimitsSettings, LimitTable
from kyso.server.log_privacy import apply_personal_name_policy
from kyso.server.secret_check import check_secrets
from kyso.server.settings import Settings
from signer import SigningService
from signer.audit import SigningAudit
from signer.key_use import KeyGuard, open_key_guard
from signer.keys.checkpoint_key import Pkcs11CheckpointSigner
from signer.keys.registry import KeyRegistry
from signer.two_step import PendingStore, TwoStepSigner
from trust_store import TrustStore, open_store
from trust_store.audit import AuditLog
from trust_store.checkpoints import (
    Checkpointer,
    CheckpointSigner,
    load_public_keys,
    open_signer,
)
from verifier.policy import PolicyRegistry

log = logging.getLogger("kyso.server")

#: How long start-up waits for the cage's warm workers (the first server of a process also
#: waits for the forkserver's imports); past it they keep starting in the background.
_POOL_START_SECONDS = 30.0

if TYPE_CHECKING:
    import grpc
    import redis
    from grpc_health.v1.health import HealthServicer

    from kyso.server.auth import IdentityResolver
    from kyso.server.health import HealthMonitor
    from kyso.server.observability import Observability
    from kyso.server.worker_pool import WorkerPool


@dataclass
class AppContext:
    """One per server process; built by :func:`build_context`, closed by :meth:`close`."""

    settings: Settings
    trust: TrustStore
    redis: redis.Redis | None  # shared by the revocation cache and pending two-step signatures
    revocation: CachingFetcherBackend  # OCSP/CRL/AIA fetchers with the shared cache
    signing: SigningService
    two_step: TwoStepSigner
    policies: PolicyRegistry  # validation policies by name (verifier/policies, policy_dir)
    signing_audit: SigningAudit  # every signing attempt, written before a document is returned
    key_guard: KeyGuard  # owner consent and usage limits of the server-held keys
    interceptors: list[grpc.ServerInterceptor] = field(default_factory=list)
    closers: list[Callable[[], Any]] = field(default_factory=list)
    health: HealthServicer | None = None  # set once the gRPC server is built
    health_monitor: HealthMonitor | None = None  # the dependencies' states (kyso.server.health)
    identities: IdentityResolver | None = None  # who is calling (set with the guard)
    observability: Observability | None = None  # metrics, access log, tracing (set last)
    #: per-client limits (set with the limits interceptor; the defaults until then)
    client_limits: LimitTable = field(default_factory=lambda: LimitTable(LimitsSettings(), ()))
    pool: WorkerPool | None = None  # the cage: verification workers (None: in this process)
    signing_pool: WorkerPool | None = None  # the cage's signing workers (the PDF work only)

    @property
    def keys(self) -> KeyRegistry:
        """The signing keys (owned by :attr:`signing`)."""
        return self.signing.keys

    def close(self) -> None:
        """Close in the reverse order of opening; each step is best effort."""
        for close in reversed(self.closers):
            try:
                close()
            except Exception:  # noqa: S112 - closing is best effort
                continue


def build_context(settings: Settings) -> AppContext:
    """Create the shared components once per server process.

    Keys are loaded now, so the first request does not pay for it (a key that fails to load
    is logged and refused when asked for).
    """
    check_secrets(settings)  # before any key, PIN or token is read
    apply_personal_name_policy(settings.log_personal_names)
    if settings.process_pool.size != 0:  # the cage's forkserver warms up meanwhile
        from kyso.server.worker_pool import boot_forkserver

        boot_forkserver()
    closers: list[Callable[[], Any]] = []
    policies = PolicyRegistry(settings.verifier.policy_dir)
    policies.get(settings.verifier.default_policy)  # a bad policy fails at start-up
    try:
        trust = open_store(settings.trust_store, settings.home, settings.redis_url)
        closers.append(trust.close)  # stops the trust store's Redis follower, last
        redis_client = None
        if settings.redis_url:
            import redis

            redis_client = redis.Redis.from_url(
                settings.redis_url, socket_timeout=2, socket_connect_timeout=2
            )
            closers.append(redis_client.close)
        ts = settings.trust_store
        revocation = fetcher_backend(
            redis_client,
            fallback_ttl=ts.revocation_fallback_ttl_seconds,
            stale_grace=ts.revocation_stale_grace_seconds,
            namespace=ts.redis_namespace,
            fetch=settings.fetch,
        )
        signing = SigningService(settings.signer, settings.keys, trust.snapshot, revocation)
        closers.append(signing.close)
        signing.keys.warm_up()
        pending = PendingStore(
            redis_client,
            ttl_seconds=settings.signer.pending_ttl_seconds,
            namespace=ts.redis_namespace,
        )
        signing_audit = (
            SigningAudit.redis(redis_client, ts.redis_namespace)
            if redis_client is not None
            else SigningAudit.file(settings.signer.audit_file(settings.home))
        )
        _attach_checkpoints(
            settings, {"trust": trust.audit, "signing": signing_audit.chain}, closers
        )
        ctx = AppContext(
            settings=settings,
            trust=trust,
            redis=redis_client,
            revocation=revocation,
            signing=signing,
            two_step=TwoStepSigner(signing, pending),
            policies=policies,
            signing_audit=signing_audit,
            key_guard=open_key_guard(
                settings.signer, settings.home, redis_client, ts.redis_namespace
            ),
            closers=closers,
        )
        closers.append(ctx.key_guard.close)  # before Redis closes (closers run reversed)
        _warn_unenrolled(ctx)
        from kyso.server.auth import build_interceptor  # guards every RPC (policy table)
        from kyso.server.deadlines import FetchBudgetInterceptor
        from kyso.server.limits_interceptor import build_limits_interceptor

        ctx.interceptors.append(build_interceptor(ctx))  # who may call at all
        ctx.interceptors.insert(0, build_limits_interceptor(ctx))  # first: per-client limits
        ctx.interceptors.append(FetchBudgetInterceptor(revocation.http))  # budget per RPC
        if settings.process_pool.size != 0:
            from kyso.server.precheck_jobs import caged_precheck
            from kyso.server.sign_jobs import caged_signing
            from kyso.server.worker_pool import WorkerPool

            pool_cfg = settings.process_pool
            ctx.pool = WorkerPool(settings, revocation.cache, http=revocation.http)
            closers.append(ctx.pool.close)  # first to close: no verification outlives it
            ctx.pool.start()
            # the PDF work of a signature in workers of its own: a worker that read a
            # document for Verify or Intake never does a signature's work
            ctx.signing_pool = WorkerPool(
                settings,
                revocation.cache,
                purpose="signing",
                http=revocation.http,
                size=pool_cfg.signing_size,
                max_size=pool_cfg.signing_max_size or settings.workers,
                max_requests=pool_cfg.signing_requests_per_worker,
            )
            closers.append(ctx.signing_pool.close)
            ctx.signing_pool.start()
            # the signer's path building over a caller's chain is untrusted work too
            signing.precheck.isolate = caged_precheck(ctx.pool, revocation.http)
            # and so is the PDF work of a signature: only the key's operation stays here
            signing.isolate = caged_signing(ctx.signing_pool, revocation.http, trust.snapshot)
            ctx.pool.wait_ready(_POOL_START_SECONDS)  # serve once Verify can be served
            ctx.signing_pool.wait_ready(_POOL_START_SECONDS)
        from kyso.server import observability

        ctx.observability = observability.attach(ctx)  # outermost interceptor: sees refusals
    except BaseException:
        for close in reversed(closers):
            with contextlib.suppress(Exception):
                close()
        raise
    return ctx


def _attach_checkpoints(
    settings: Settings,
    chains: dict[str, AuditLog[Any, Any] | None],
    closers: list[Callable[[], Any]],
) -> None:
    """Sign each audit chain's head every ``audit.checkpoint_every`` entries and at shutdown
    (the closers run before Redis is closed); the checkpoints live beside each chain."""
    audit = settings.audit
    signer: CheckpointSigner
    if audit.checkpoint_pkcs11_module:
        pinned = load_public_keys(audit.public_key_file(settings.home))
        token_signer = Pkcs11CheckpointSigner(audit, pinned)
        closers.append(token_signer.close)  # after the checkpoints below (closers run reversed)
        signer = token_signer
    else:
        signer, pinned = open_signer(
            audit.key_file(settings.home),
            audit.public_key_file(settings.home),
            default=audit.checkpoint_key is None,
        )
    for name, chain in chains.items():
        if chain is None:
            continue
        checkpointer = Checkpointer(
            name,
            signer,
            chain.checkpoint_store(),
            chain.current_head,
            audit.checkpoint_every,
            pinned,
        )
        chain.attach(checkpointer)
        closers.append(functools.partial(checkpointer.close, chain.verify))


def _warn_unenrolled(ctx: AppContext) -> None:
    """Name at start-up each key whose owner's consent is TOTP but no secret is enrolled:
    it starts, and refuses to sign (CONSENT_NOT_ENROLLED) until ``kyso keys enroll``."""
    for key in ctx.settings.keys:
        if key.owner_consent != "totp":
            continue
        try:
            enrolled = ctx.key_guard.consent.secrets.enrolled(key.name)
        except Exception as exc:  # Redis not reachable yet: the signature will say so
            log.warning("key %s: enrolment not checked: %s", key.name, type(exc).__name__)
            continue
        if not enrolled:
            log.warning(
                "key %s needs its owner's one-time code but none is enrolled: it refuses to "
                "sign until `kyso keys enroll %s`",
                key.name,
                key.name,
            )


__all__ = ["AppContext", "build_context"]
