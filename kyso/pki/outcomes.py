"""One table from pyhanko-certvalidator's outcomes to ETSI EN 319 102-1 (sub-)indications.

Path validation answers with an exception class; the standard with an indication and a
sub-indication, which depend on whether a proof of existence (POE) places the signature
outside the failing certificate's validity (clause 5.2.6 and 5.6.2.4, table 5).  The verifier's
XCV and the signer's precheck both read this table; the names are the standard's, kept as
strings so this layer does not depend on the verifier's result model.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pyhanko_certvalidator.errors import (
    DisallowedAlgorithmError,
    ExpiredError,
    InsufficientRevinfoError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
    ValidationError,
)


class ChainFailure(enum.Enum):
    """What went wrong with a certification path, by meaning."""

    NO_PATH = "NO_PATH"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    REVOCATION_UNKNOWN = "REVOCATION_UNKNOWN"
    ALGORITHM = "ALGORITHM"
    INVALID = "INVALID"


@dataclass(frozen=True)
class EtsiOutcome:
    """The ETSI answer for one kind of failure.

    ``sub_indication`` is the INDETERMINATE answer without proof of existence (for a revoked CA
    certificate: ``ca_sub_indication``); ``proven_sub_indication`` is the TOTAL_FAILED answer
    when a POE shows the signature was made after revocation or outside the validity period.
    """

    failure: ChainFailure
    sub_indication: str
    ca_sub_indication: str = ""
    proven_sub_indication: str = ""


#: First matching class wins (the specific ones are subclasses of PathValidationError).
OUTCOMES: tuple[tuple[type[Exception], EtsiOutcome], ...] = (
    (
        RevokedError,
        EtsiOutcome(ChainFailure.REVOKED, "REVOKED_NO_POE", "REVOKED_CA_NO_POE", "REVOKED"),
    ),
    (
        ExpiredError,
        EtsiOutcome(ChainFailure.EXPIRED, "OUT_OF_BOUNDS_NO_POE", proven_sub_indication="EXPIRED"),
    ),
    (
        NotYetValidError,
        EtsiOutcome(
            ChainFailure.NOT_YET_VALID,
            "OUT_OF_BOUNDS_NO_POE",
            proven_sub_indication="NOT_YET_VALID",
        ),
    ),
    (InsufficientRevinfoError, EtsiOutcome(ChainFailure.REVOCATION_UNKNOWN, "TRY_LATER")),
    (
        DisallowedAlgorithmError,
        EtsiOutcome(ChainFailure.ALGORITHM, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"),
    ),
    (PathBuildingError, EtsiOutcome(ChainFailure.NO_PATH, "NO_CERTIFICATE_CHAIN_FOUND")),
    (PathValidationError, EtsiOutcome(ChainFailure.INVALID, "CERTIFICATE_CHAIN_GENERAL_FAILURE")),
    (ValidationError, EtsiOutcome(ChainFailure.INVALID, "CERTIFICATE_CHAIN_GENERAL_FAILURE")),
)

_BY_FAILURE = {outcome.failure: outcome for _cls, outcome in OUTCOMES}


def classify(error: Exception) -> EtsiOutcome:
    """The table row for ``error`` (anything unknown is a general chain failure)."""
    for cls, outcome in OUTCOMES:
        if isinstance(error, cls):
            return outcome
    return _BY_FAILURE[ChainFailure.INVALID]


def outcome_of(failure: ChainFailure) -> EtsiOutcome:
    """The table row for a kind of failure."""
    return _BY_FAILURE[failure]


__all__ = ["OUTCOMES", "ChainFailure", "EtsiOutcome", "classify", "outcome_of"]
