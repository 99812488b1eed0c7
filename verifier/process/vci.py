"""VCI (validation context initialisation, EN 319 102-1 5.2.4).

Selects what X.509 validation may use for one certificate: the trust anchors of the trust store
for the purpose (signatures or time-stamping; trust comes from nowhere else), the candidate
intermediates (the trust store's, the CMS's, timestamp tokens', the DSS's), the revocation data
the document carries (DSS, CMS ``adbe-revocationInfoArchival``), whether fetching is allowed
(only when validating at "now") and the validation time.  It judges nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import x509

from kyso.pki.paths import PathInputs
from trust_store.model import Purpose
from verifier import revocation
from verifier.limits import path_limits
from verifier.process._context import Context


@dataclass(frozen=True)
class ChainInputs:
    """The initialised validation context of one certificate."""

    path: PathInputs
    embedded: revocation.EmbeddedValidationData  # for the revocation summary
    validation_time: datetime
    at_now: bool
    deadline: float | None
    fetcher_backend: object | None
    #: When a valid document timestamp covering the object proves it existed (the archive
    #: chain, EN 319 102-1 5.6.3): a proof of existence for past signature validation only.
    archive_poe: datetime | None = None


def initialise(
    ctx: Context,
    purpose: Purpose,
    certs: Iterable[x509.Certificate],
    embedded: revocation.EmbeddedValidationData,
    archive_poe: datetime | None = None,
) -> ChainInputs:
    """The validation context for a certificate used for ``purpose``; ``archive_poe``: the time
    of the earliest valid document timestamp covering what is validated."""
    data = ctx.dss.extend(embedded)
    return ChainInputs(
        path=PathInputs(
            anchors=tuple(ctx.snapshot.anchors(purpose)),
            other_certs=(*ctx.intermediates, *certs),
            embedded_certs=tuple(data.certs),
            crls=tuple(data.crls),
            ocsps=tuple(data.ocsps),
            fetch=ctx.fetch and ctx.at_now,
            fetcher_backend=ctx.fetcher_backend,
            limits=path_limits(ctx.settings),
        ),
        embedded=data,
        validation_time=ctx.now,
        at_now=ctx.at_now,
        deadline=ctx.deadline,
        fetcher_backend=ctx.fetcher_backend,
        archive_poe=archive_poe,
    )


__all__ = ["ChainInputs", "initialise"]
