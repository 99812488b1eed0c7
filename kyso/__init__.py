"""kyso: PAdES signing and verification for Vietnamese state agencies.

The public surface is small: the error hierarchy here (by meaning, with one
catalogue of stable codes), the generated ``kyso.v1`` gRPC stubs, and the
``signer``, ``verifier`` and ``trust_store`` packages' own ``__init__`` exports.
"""

from kyso.errors import (
    CATALOGUE,
    Aborted,
    AlreadyExists,
    DeadlineExceeded,
    Internal,
    InvalidInput,
    KysoError,
    NotFound,
    PermissionDenied,
    Precondition,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)

__all__ = [
    "CATALOGUE",
    "Aborted",
    "AlreadyExists",
    "DeadlineExceeded",
    "Internal",
    "InvalidInput",
    "KysoError",
    "NotFound",
    "PermissionDenied",
    "Precondition",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
]
