"""kyso: PAdES signing and verification for Vietnamese state agencies.

The public surface is small: the error hierarchy here, the generated
``kyso.v1`` gRPC stubs, and the ``signer``, ``verifier`` and ``trust_store``
packages' own ``__init__`` exports.
"""

from kyso.errors import (
    AbortedError,
    InvalidInputError,
    KysoError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionError,
    UnavailableError,
)

__all__ = [
    "AbortedError",
    "InvalidInputError",
    "KysoError",
    "NotFoundError",
    "PermissionDeniedError",
    "PreconditionError",
    "UnavailableError",
]
