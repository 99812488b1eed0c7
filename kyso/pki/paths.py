"""Certification path validation with embedded data first and fetching only when needed.

One attempt at one moment: revocation data the document carries is tried without the network;
only when it is not enough (missing revocation data, a missing intermediate reachable through
AIA) does a second context fetch.  When the document carries nothing, the shared cache (and
the responders) are asked directly, prefetching OCSP for the likely path in parallel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import crl, ocsp, x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    InsufficientRevinfoError,
    PathBuildingError,
    ValidationError,
)
from pyhanko_certvalidator.fetchers.api import Fetchers
from pyhanko_certvalidator.path import ValidationPath

from kyso.pki.algorithms import CHAIN_FORBIDDEN_DIGESTS
from kyso.pki.contexts import Revocation, validation_context
from kyso.pki.issuers import prefetch_ocsp


@dataclass(frozen=True)
class PathInputs:
    """Everything one path validation may use; trust comes from ``anchors`` only."""

    anchors: tuple[x509.Certificate, ...]
    other_certs: tuple[x509.Certificate, ...]  # candidates for path building, never anchors
    embedded_certs: tuple[x509.Certificate, ...] = ()  # what the document carries (DSS)
    crls: tuple[crl.CertificateList, ...] = ()
    ocsps: tuple[ocsp.OCSPResponse, ...] = ()
    fetch: bool = False
    fetcher_backend: Any | None = None  # kyso.pki.revocation_cache backend (shared cache)
    extra: tuple[x509.Certificate, ...] = field(default=())  # learned issuers

    @property
    def can_fetch(self) -> bool:
        return self.fetch and self.fetcher_backend is not None

    def supplied(self) -> list[x509.Certificate]:
        """Certificates the caller supplied (a path through other ones was fetched)."""
        return [*self.other_certs, *self.extra, *self.embedded_certs, *self.anchors]

    def candidates(self) -> list[x509.Certificate]:
        """Every certificate path building may use besides the anchors, in lookup order."""
        return [*self.other_certs, *self.extra, *self.embedded_certs]


@dataclass
class PathAttempt:
    """A validated path, or the error; ``context`` holds the revocation data that was used."""

    path: ValidationPath | None
    context: ValidationContext
    error: Exception | None


def _context(
    inputs: PathInputs, moment: datetime | None, retroactive: bool, fetchers: Fetchers | None
) -> ValidationContext:
    return validation_context(
        inputs.anchors,
        inputs.candidates(),
        moment=moment,
        revocation=Revocation.END_ENTITY_REQUIRED,
        retroactive=retroactive,
        fetch=fetchers is not None,
        fetchers=fetchers,
        crls=inputs.crls,
        ocsps=inputs.ocsps,
        # SHA-1 inside chains and OCSP responses is judged by kyso's own policy, not here.
        forbidden_digests=CHAIN_FORBIDDEN_DIGESTS,
    )


async def _run(cert: x509.Certificate, vc: ValidationContext) -> ValidationPath:
    return await CertificateValidator(cert, validation_context=vc).async_validate_path()


async def validate_path(
    cert: x509.Certificate, inputs: PathInputs, moment: datetime | None, *, retroactive: bool
) -> PathAttempt:
    """Validate ``cert`` at ``moment`` (None: now); up to two contexts, embedded data first."""
    backend = inputs.fetcher_backend
    if inputs.can_fetch and not (inputs.ocsps or inputs.crls):
        # nothing embedded: go to the cache (and the responders) directly
        fetchers = backend.get_fetchers()  # type: ignore[union-attr]
        if moment is None:
            await prefetch_ocsp(fetchers, cert, inputs.candidates(), inputs.anchors)
        vc = _context(inputs, moment, retroactive, fetchers)
        try:
            return PathAttempt(await _run(cert, vc), vc, None)
        except (ValidationError, PathBuildingError) as exc:
            return PathAttempt(None, vc, exc)
    vc = _context(inputs, moment, retroactive, None)
    try:
        return PathAttempt(await _run(cert, vc), vc, None)
    except (InsufficientRevinfoError, PathBuildingError) as exc:
        # Missing revocation data or a missing intermediate (AIA) may be fetched.
        if not inputs.can_fetch:
            return PathAttempt(None, vc, exc)
    except ValidationError as exc:
        return PathAttempt(None, vc, exc)
    vc = _context(inputs, moment, retroactive, backend.get_fetchers())  # type: ignore[union-attr]
    try:
        return PathAttempt(await _run(cert, vc), vc, None)
    except (ValidationError, PathBuildingError) as exc:
        return PathAttempt(None, vc, exc)


__all__ = ["PathAttempt", "PathInputs", "validate_path"]
