"""The signer's own certificate, checked before every signature (Decree 23/2025 Art. 15,
Circular 15/2025): valid now, chains to the trust store, not revoked, usable for signing,
strong enough algorithms.

A passed check is cached per certificate and trust-store version for
``signer.precheck_cache_seconds``: a responder answer does not change within seconds, and
asking it for every document is what would make signing slow. The uncached check (path
building over the caller's chain, revocation fetches) may run elsewhere: the server runs it
in a worker of its cage (:attr:`Precheck.isolate`, kyso.server.precheck_jobs), since a
two-step caller supplies the certificate and its chain.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import x509
from pyhanko_certvalidator import CertificateValidator
from pyhanko_certvalidator import errors as cv_errors

from kyso.errors import Precondition
from kyso.pki import DEFAULT_RULES, AlgorithmRules, Revocation, key_strength, validation_context
from kyso.pki.algorithms import SIGNING_KEY_USAGES
from kyso.pki.candidates import PathLimits, search_paths
from kyso.pki.outcomes import ChainFailure, classify
from signer import event_loop
from signer.levels import private_copies
from trust_store import Purpose, TrustSnapshot, sha256_fingerprint


def check_algorithms(cert: x509.Certificate, rules: AlgorithmRules = DEFAULT_RULES) -> None:
    """Circular 15/2025 Appendix I: RSA ≥ 2048 bits, ECDSA on a curve of ≥ 256 bits.

    The sizes and curves are :mod:`kyso.pki.algorithms`' rules, the data the validation
    policy's ``algorithms`` section is read into.
    """
    key = key_strength(cert, rules)
    if key.algorithm == "rsa":
        if not key.long_enough:
            raise Precondition("CERT_KEY_TOO_WEAK", key=f"RSA {key.bits} bits")
    elif key.algorithm == "ec":
        if key.curve not in rules.ecdsa_curves or not key.long_enough:
            raise Precondition("CERT_KEY_TOO_WEAK", key=f"elliptic curve {key.curve}")
    else:
        raise Precondition("CERT_KEY_TOO_WEAK", key=str(key.algorithm))


def check_key_usage(cert: x509.Certificate) -> None:
    """RFC 5280 §4.2.1.3: with a key usage extension, digitalSignature or nonRepudiation must
    be set. Raises :class:`Precondition` ``CERT_KEY_USAGE``."""
    usage = cert.key_usage_value
    if usage is None:
        return  # no extension: no restriction (RFC 5280 4.2.1.3)
    if not (set(usage.native) & SIGNING_KEY_USAGES):
        raise Precondition("CERT_KEY_USAGE")


def check_validity_now(cert: x509.Certificate, now: datetime) -> None:
    """The certificate is within its validity period at ``now`` (timezone-aware). Raises
    :class:`Precondition` ``CERT_NOT_YET_VALID`` or ``CERT_EXPIRED``."""
    validity = cert["tbs_certificate"]["validity"]
    if now < validity["not_before"].native:
        raise Precondition("CERT_NOT_YET_VALID", which="the signer's certificate")
    if now > validity["not_after"].native:
        raise Precondition("CERT_EXPIRED", which="the signer's certificate")


#: Runs :func:`check_certificate` (with its own fetcher) on (certificate, chain, snapshot);
#: raises what it raises.
PathCheck = Callable[[x509.Certificate, tuple[x509.Certificate, ...], TrustSnapshot], None]


@dataclass(frozen=True)
class _Passed:
    expires_at: float


class Precheck:
    """Runs and caches the pre-signing certificate checks."""

    def __init__(self, fetcher_backend: Any, cache_seconds: float) -> None:
        self._backend = fetcher_backend
        self._cache_seconds = cache_seconds
        #: where the uncached check runs; None: in this thread
        self.isolate: PathCheck | None = None
        self._passed: dict[tuple[str, int], _Passed] = {}
        self._lock = threading.Lock()

    def check(
        self, cert: x509.Certificate, chain: Iterable[x509.Certificate], snapshot: TrustSnapshot
    ) -> None:
        """Raise :class:`Precondition` unless ``cert`` may sign now."""
        key = (sha256_fingerprint(cert), snapshot.version)
        now = time.monotonic()
        passed = self._passed.get(key)
        if passed is not None and passed.expires_at > now:
            return
        if self.isolate is not None:
            self.isolate(cert, tuple(chain), snapshot)
        else:
            check_certificate(cert, tuple(chain), snapshot, self._backend)
        if self._cache_seconds > 0:
            with self._lock:
                if len(self._passed) > 4096:
                    self._passed.clear()
                self._passed[key] = _Passed(now + self._cache_seconds)


def check_certificate(
    cert: x509.Certificate,
    chain: tuple[x509.Certificate, ...],
    snapshot: TrustSnapshot,
    fetcher_backend: Any,
) -> None:
    """The uncached check of ``cert`` now, its path built from the trust store's intermediates
    and ``chain`` (untrusted: bounded by :class:`kyso.pki.candidates.PathLimits`) to a
    signature anchor of ``snapshot``, revocation fetched through ``fetcher_backend``.
    Raises :class:`Precondition` (``CERT_*``)."""
    moment = datetime.now(UTC)
    # the key's certificate is shared by every request thread: asn1crypto parses lazily,
    # so two first requests reading it at once race; each check reads its own parse
    cert = private_copies([cert])[0]
    check_validity_now(cert, moment)
    check_key_usage(cert)
    check_algorithms(cert)
    anchors = snapshot.anchors(Purpose.SIGNATURE)
    if not anchors:
        raise Precondition(
            "CERT_UNTRUSTED", problem="the trust store has no signature trust anchor"
        )
    leaf = cert
    anchor_copies = private_copies(anchors)
    # the client's chain is untrusted input: only certificates on signature-verified
    # paths (bounded, kyso.pki.candidates) reach certvalidator's name-driven builder
    search = search_paths(
        leaf,
        [*private_copies(snapshot.intermediates()), *private_copies(chain)],
        anchor_copies,
        PathLimits(),
    )
    vc = validation_context(
        anchor_copies,
        search.pool,
        moment=moment,
        revocation=Revocation.HARD_FAIL,
        fetch=True,
        fetcher_backend=fetcher_backend,
    )
    validator = CertificateValidator(leaf, validation_context=vc)
    try:
        event_loop.run(validator.async_validate_path())
    except (cv_errors.ValidationError, cv_errors.PathBuildingError) as exc:
        raise _refusal(classify(exc).failure) from exc


def _refusal(failure: ChainFailure) -> Precondition:
    """The signer's refusal for a path validation outcome (kyso.pki's outcome table)."""
    chain = "a certificate of the signer's chain"
    if failure is ChainFailure.REVOKED:
        return Precondition("CERT_REVOKED")
    if failure is ChainFailure.EXPIRED:
        return Precondition("CERT_EXPIRED", which=chain)
    if failure is ChainFailure.NOT_YET_VALID:
        return Precondition("CERT_NOT_YET_VALID", which=chain)
    if failure is ChainFailure.REVOCATION_UNKNOWN:
        return Precondition("CERT_REVOCATION_UNKNOWN")
    if failure is ChainFailure.NO_PATH:
        return Precondition("CERT_UNTRUSTED", problem="no path to a trusted root")
    if failure is ChainFailure.ALGORITHM:
        return Precondition("CERT_ALGORITHM_WEAK")
    return Precondition("CERT_INVALID")
