"""The signer's certificate precheck in the cage (issue 9 §1: path building of a request runs
in a worker process).

A two-step caller (``PrepareSignature``) supplies its certificate and chain: building a path
over them and fetching their revocation is untrusted work. :func:`caged_precheck` makes the
signing service's :class:`signer.precheck.Precheck` run its uncached check
(:func:`signer.precheck.check_certificate`) in a worker of :class:`kyso.server.worker_pool.
WorkerPool`, under the worker's memory and CPU limits and the signing request's deadline (the
worker is killed when it passes or the caller goes). Only the certificates cross the process
boundary (DER); a refusal comes back as the same :class:`kyso.errors.Precondition`. The
keys, the key guard, consent and the audit stay in the server process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asn1crypto import x509

from kyso.pki.fetching import HttpFetcher
from kyso.server.sign_jobs import signing_limits
from signer.precheck import PathCheck, check_certificate
from trust_store.model import TrustSnapshot

if TYPE_CHECKING:
    from kyso.server.worker_pool import WorkerPool


@dataclass(frozen=True)
class PrecheckJob:
    """One uncached precheck: the certificate and the caller's chain (DER), the fetch budget's
    deadline (:func:`time.monotonic`) and what set it."""

    certificate: bytes
    chain: tuple[bytes, ...]
    budget_deadline: float | None
    budget_time_limit: str


def caged_precheck(pool: WorkerPool, http: HttpFetcher) -> PathCheck:
    """A :data:`signer.precheck.PathCheck` that runs in ``pool``; raises what the check raises
    and the cage's errors (``DEADLINE_EXCEEDED``, ``VERIFY_MEMORY_LIMIT``,
    ``VERIFY_CPU_LIMIT``, ``VERIFY_WORKER_LOST``)."""

    def run(
        cert: x509.Certificate, chain: tuple[x509.Certificate, ...], snapshot: TrustSnapshot
    ) -> None:
        at, budget, cancelled = signing_limits(http)
        job = PrecheckJob(
            certificate=cert.dump(),
            chain=tuple(c.dump() for c in chain),
            budget_deadline=budget.deadline,
            budget_time_limit=budget.time_limit,
        )
        pool.run(job, snapshot, b"", fd=None, deadline=at, cancelled=cancelled)

    return run


def run_precheck(job: PrecheckJob, snapshot: TrustSnapshot, fetcher_backend: Any) -> None:
    """The worker's side: :func:`signer.precheck.check_certificate` on the job's certificates."""
    check_certificate(
        x509.Certificate.load(job.certificate),
        tuple(x509.Certificate.load(der) for der in job.chain),
        snapshot,
        fetcher_backend,
    )


__all__ = ["PrecheckJob", "caged_precheck", "run_precheck"]
