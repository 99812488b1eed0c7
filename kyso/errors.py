"""One error hierarchy for every kyso package.

Each error carries a stable English ``code`` (for machines and logs), an
English message, and a Vietnamese message for clerks.  The service layer maps
``grpc_status`` onto the wire; library code never imports grpc.
"""

from __future__ import annotations


class KysoError(Exception):
    """Base of every error kyso raises on purpose."""

    grpc_status: str = "INTERNAL"
    default_code: str = "INTERNAL_ERROR"

    def __init__(self, message_en: str, message_vi: str, *, code: str | None = None) -> None:
        super().__init__(message_en)
        self.code = code or self.default_code
        self.message_en = message_en
        self.message_vi = message_vi

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en} ({self.message_vi})"


class InvalidInputError(KysoError):
    """The caller sent something kyso cannot accept (not a PDF, bad option...)."""

    grpc_status = "INVALID_ARGUMENT"
    default_code = "INVALID_INPUT"


class NotFoundError(KysoError):
    """A named thing (key, certificate, pending signature, anchor text) does not exist."""

    grpc_status = "NOT_FOUND"
    default_code = "NOT_FOUND"


class PreconditionError(KysoError):
    """The request is well formed but the state of the world forbids it."""

    grpc_status = "FAILED_PRECONDITION"
    default_code = "PRECONDITION_FAILED"


class PermissionDeniedError(KysoError):
    """The caller's role does not allow the operation."""

    grpc_status = "PERMISSION_DENIED"
    default_code = "PERMISSION_DENIED"


class UnauthenticatedError(KysoError):
    """The caller presented no usable credential."""

    grpc_status = "UNAUTHENTICATED"
    default_code = "UNAUTHENTICATED"


class AbortedError(KysoError):
    """Optimistic concurrency lost: the caller's expected version is stale."""

    grpc_status = "ABORTED"
    default_code = "VERSION_CONFLICT"


class AlreadyExistsError(KysoError):
    grpc_status = "ALREADY_EXISTS"
    default_code = "ALREADY_EXISTS"


class ResourceExhaustedError(KysoError):
    """Over a configured limit (document size, pending signatures...)."""

    grpc_status = "RESOURCE_EXHAUSTED"
    default_code = "LIMIT_EXCEEDED"


class UnavailableError(KysoError):
    """A backend (token, Redis, TSA, responder) cannot be reached right now."""

    grpc_status = "UNAVAILABLE"
    default_code = "BACKEND_UNAVAILABLE"


class DeadlineError(KysoError):
    grpc_status = "DEADLINE_EXCEEDED"
    default_code = "DEADLINE_EXCEEDED"
