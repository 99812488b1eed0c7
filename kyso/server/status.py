"""Map kyso errors onto gRPC status codes, with rich details for clients.

Errors know only their meaning (``kyso.errors``); this is the one place that
says which gRPC status each meaning becomes.  Every servicer method is wrapped
by :func:`grpc_errors`: a ``KysoError`` becomes its status with
``code: English (Vietnamese)`` as the message and a ``google.rpc.ErrorInfo``
whose ``reason`` is the stable code; anything else becomes INTERNAL without
leaking internals (the traceback goes to the log only).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from kyso.errors import (
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

log = logging.getLogger("kyso.server")

F = TypeVar("F", bound=Callable[..., Any])


STATUS: Mapping[type[KysoError], grpc.StatusCode] = {
    InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    Precondition: grpc.StatusCode.FAILED_PRECONDITION,
    Aborted: grpc.StatusCode.ABORTED,
    ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Unavailable: grpc.StatusCode.UNAVAILABLE,
    DeadlineExceeded: grpc.StatusCode.DEADLINE_EXCEEDED,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    Internal: grpc.StatusCode.INTERNAL,
}
"""The gRPC status of each meaning; a subclass takes its nearest mapped ancestor's."""

_INTERNAL_MESSAGE = str(Internal("INTERNAL_ERROR"))


def status_code(err: KysoError) -> grpc.StatusCode:
    """The gRPC status for ``err``: that of its class or nearest mapped ancestor."""
    for kind in type(err).__mro__:
        if kind in STATUS:
            return STATUS[kind]  # type: ignore[index]
    return grpc.StatusCode.INTERNAL


def to_status(err: KysoError) -> grpc.Status:
    info = error_details_pb2.ErrorInfo(
        reason=err.code,
        domain="kyso",
        metadata={"message_vi": err.message_vi, "message_en": err.message_en},
    )
    detail = any_pb2.Any()
    detail.Pack(info)
    code = status_code(err).value[0]
    return rpc_status.to_status(status_pb2.Status(code=code, message=str(err), details=[detail]))


def abort(context: grpc.ServicerContext, err: KysoError) -> None:
    context.abort_with_status(to_status(err))


def grpc_errors(method: F) -> F:
    """Decorator for servicer methods (unary or streaming responses)."""

    @functools.wraps(method)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            result = method(self, request, context)
            if hasattr(result, "__next__"):
                return _guard_stream(result, context, method.__name__)
            return result
        except KysoError as err:
            log.info("%s refused: %s", method.__name__, err.code)
            abort(context, err)
        except Exception:
            if context.code() is not None:  # already aborted by the method itself
                raise
            log.exception("%s failed", method.__name__)
            context.abort(grpc.StatusCode.INTERNAL, _INTERNAL_MESSAGE)
        return None

    return wrapper  # type: ignore[return-value]


def _guard_stream(gen: Any, context: grpc.ServicerContext, name: str) -> Any:
    try:
        yield from gen
    except KysoError as err:
        log.info("%s refused: %s", name, err.code)
        abort(context, err)
    except Exception:
        if context.code() is not None:
            raise
        log.exception("%s failed", name)
        context.abort(grpc.StatusCode.INTERNAL, _INTERNAL_MESSAGE)


def error_info(err: grpc.RpcError) -> tuple[str, str]:
    """Client side: the stable code and Vietnamese message of a failed call."""
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    if status is not None:
        for d in status.details:
            if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                d.Unpack(info)
                return info.reason, info.metadata.get("message_vi", "")
    return err.code().name if hasattr(err, "code") else "UNKNOWN", ""
