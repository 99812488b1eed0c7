"""The time-stamp constraints (EN 319 102-1 5.4; content timestamps: SAV 5.2.8), as data.

Split from :mod:`verifier.constraints` (same :class:`~verifier.constraints.Constraint` rows,
same policy names): signature timestamps are unsigned attributes anyone can swap, so a broken
one is judged at the policy's level and never fails the signature; a content timestamp is a
signed attribute, part of what the signer signed, so one that fails keeps the signature from
TOTAL_PASSED (mandatory ``CONTENT_TIMESTAMP``).
"""

from __future__ import annotations

from verifier.constraints import Constraint
from verifier.model import Indication, SubIndication

_I = Indication.INDETERMINATE
_S = SubIndication

#: The sub-indication of an untrusted one is its TSA chain's (``replace(..., sub=...)``).
CONTENT_TIMESTAMP = Constraint(
    "CONTENT_TIMESTAMP",
    "CONTENT_TIMESTAMP_VALID",
    "CONTENT_TIMESTAMP_INVALID",
    "sav.content_timestamp",
    failure=_I,
    sub=_S.SIG_CONSTRAINTS_FAILURE,
)
CONTENT_TIMESTAMP_ORDER = Constraint(
    "CONTENT_TIMESTAMP",
    "CONTENT_TIMESTAMP_VALID",
    "CONTENT_TIMESTAMP_AFTER_SIGNING",
    "sav.content_timestamp",
    failure=_I,
    sub=_S.TIMESTAMP_ORDER_FAILURE,
)

# --- TS: time-stamp validation (5.4) -----------------------------------------------------------
SIGNATURE_TIMESTAMP_PRESENT = Constraint(
    "SIGNATURE_TIMESTAMP_PRESENT",
    "SIGNATURE_TIMESTAMP_PRESENT",
    "SIGNATURE_TIMESTAMP_ABSENT",
    "ts.present",
)
#: A broken signature timestamp is not proof of existence; at level FAIL the signature is
#: INDETERMINATE (the token's own report says HASH_FAILURE / SIG_CRYPTO_FAILURE), never FAILED.
SIGNATURE_TIMESTAMP_IMPRINT = Constraint(
    "SIGNATURE_TIMESTAMP_IMPRINT",
    "SIGNATURE_TIMESTAMP_INTACT",
    "SIGNATURE_TIMESTAMP_BROKEN",
    "ts.imprint",
    failure=_I,
    sub=_S.SIG_CONSTRAINTS_FAILURE,
)
SIGNATURE_TIMESTAMP_SIGNATURE = Constraint(
    "SIGNATURE_TIMESTAMP_IMPRINT",
    "SIGNATURE_TIMESTAMP_INTACT",
    "SIGNATURE_TIMESTAMP_BROKEN",
    "ts.imprint",
    failure=_I,
    sub=_S.SIG_CONSTRAINTS_FAILURE,
)
SIGNATURE_TIMESTAMP_TSA_UNKNOWN = Constraint(
    "SIGNATURE_TIMESTAMP_VALID",
    "SIGNATURE_TIMESTAMP_TRUSTED",
    "SIGNATURE_TIMESTAMP_TSA_UNKNOWN",
    "ts.tsa_unknown",
    failure=_I,
    sub=_S.NO_SIGNING_CERTIFICATE_FOUND,
)
#: The sub-indication of a violation is the TSA chain's (``replace(..., sub=...)``).
SIGNATURE_TIMESTAMP_VALID = Constraint(
    "SIGNATURE_TIMESTAMP_VALID",
    "SIGNATURE_TIMESTAMP_TRUSTED",
    "SIGNATURE_TIMESTAMP_NOT_TRUSTED",
    "ts.valid",
    failure=_I,
    sub=_S.GENERIC,
)


__all__ = [
    "CONTENT_TIMESTAMP",
    "CONTENT_TIMESTAMP_ORDER",
    "SIGNATURE_TIMESTAMP_IMPRINT",
    "SIGNATURE_TIMESTAMP_PRESENT",
    "SIGNATURE_TIMESTAMP_SIGNATURE",
    "SIGNATURE_TIMESTAMP_TSA_UNKNOWN",
    "SIGNATURE_TIMESTAMP_VALID",
]
