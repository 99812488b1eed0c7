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
from pyhanko_certvalidator.authority import AuthorityWithCert
from pyhanko_certvalidator.errors import (
    InsufficientRevinfoError,
    PathBuildingError,
    PathError,
    ValidationError,
)
from pyhanko_certvalidator.fetchers.api import Fetchers
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.validate import async_validate_path

from kyso.pki.algorithms import CHAIN_FORBIDDEN_DIGESTS
from kyso.pki.candidates import PathLimits, PathSearch, search_paths
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
    limits: PathLimits = field(default_factory=PathLimits)

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
    limits_hit: frozenset[str] = frozenset()  # PathLimits names that bounded the search


def _context(
    inputs: PathInputs,
    search: PathSearch,
    moment: datetime | None,
    retroactive: bool,
    fetchers: Fetchers | None,
) -> ValidationContext:
    return validation_context(
        inputs.anchors,
        search.pool,
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


def _worst(errors: list[ValidationError]) -> ValidationError:
    """The error to report when every candidate path failed (as certvalidator chooses)."""
    for exc in reversed(errors):
        if "signature" not in str(exc):
            return exc
    return errors[0]


async def _run(cert: x509.Certificate, vc: ValidationContext, search: PathSearch) -> ValidationPath:
    """Validate the searched paths in turn; without any, let certvalidator build (AIA).

    Any exception from certvalidator means "this path is invalid": it becomes a
    :class:`ValidationError` (general chain failure), never an unexpected failure.
    """
    trust = vc.path_builder.trust_manager
    if search.paths and trust.as_trust_anchor(AuthorityWithCert(cert)) is None:
        errors: list[ValidationError] = []
        for anchor_cert, interm in search.paths:
            anchor = trust.as_trust_anchor(AuthorityWithCert(anchor_cert))
            if anchor is None:
                continue
            path = ValidationPath(anchor, interm, cert)
            try:
                await async_validate_path(vc, path)
                return path
            except ValidationError as exc:
                errors.append(exc)
            except Exception as exc:
                errors.append(ValidationError(f"path validation failed: {type(exc).__name__}"))
        if errors:
            raise _worst(errors)
    try:
        return await CertificateValidator(cert, validation_context=vc).async_validate_path()
    except (ValidationError, PathError):
        raise
    except Exception as exc:
        raise ValidationError(f"path validation failed: {type(exc).__name__}") from exc


async def validate_path(
    cert: x509.Certificate, inputs: PathInputs, moment: datetime | None, *, retroactive: bool
) -> PathAttempt:
    """Validate ``cert`` at ``moment`` (None: now); up to two contexts, embedded data first.

    The candidate certificates are chosen first (:func:`kyso.pki.candidates.search_paths`,
    bounded by ``inputs.limits``); the limits that bounded the search are in the answer.
    """
    search = search_paths(cert, inputs.candidates(), inputs.anchors, inputs.limits)
    hit = frozenset(search.limits_hit)
    backend = inputs.fetcher_backend
    if inputs.can_fetch and not (inputs.ocsps or inputs.crls):
        # nothing embedded: go to the cache (and the responders) directly
        fetchers = backend.get_fetchers()  # type: ignore[union-attr]
        if moment is None:
            await prefetch_ocsp(fetchers, cert, search.pool, inputs.anchors)
        vc = _context(inputs, search, moment, retroactive, fetchers)
        try:
            return PathAttempt(await _run(cert, vc, search), vc, None, hit)
        except (ValidationError, PathBuildingError) as exc:
            return PathAttempt(None, vc, exc, hit)
    vc = _context(inputs, search, moment, retroactive, None)
    try:
        return PathAttempt(await _run(cert, vc, search), vc, None, hit)
    except (InsufficientRevinfoError, PathBuildingError) as exc:
        # Missing revocation data or a missing intermediate (AIA) may be fetched.
        if not inputs.can_fetch:
            return PathAttempt(None, vc, exc, hit)
    except ValidationError as exc:
        return PathAttempt(None, vc, exc, hit)
    vc = _context(inputs, search, moment, retroactive, backend.get_fetchers())  # type: ignore[union-attr]
    try:
        return PathAttempt(await _run(cert, vc, search), vc, None, hit)
    except (ValidationError, PathBuildingError) as exc:
        return PathAttempt(None, vc, exc, hit)


__all__ = ["PathAttempt", "PathInputs", "validate_path"]
