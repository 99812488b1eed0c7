"""Map kyso errors onto gRPC status codes, with rich details for clients.

Errors know only their meaning (``kyso.errors``); this is the one place that
says which gRPC status each meaning becomes.  Every servicer method is wrapped
by :func:`grpc_errors`: a ``KysoError`` becomes its status with
``code: English (Vietnamese)`` as the message and, in ``grpc-status-details-bin``, a
``google.rpc.ErrorInfo`` (``reason``: the stable code, ``domain``: ``kyso.v1``,
``metadata``: ``message_en``, ``message_vi`` and the message's parameters) and a
``google.rpc.LocalizedMessage`` (``locale``: ``vi-VN``, the clerk's text); anything else
becomes INTERNAL (INTERNAL_ERROR, same details) without leaking internals (the traceback goes
to the log only). Clients read them with ``kyso_client.KysoRpcError`` (docs/api.md).
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
from kyso_client.errors import DOMAIN, LOCALE_VI, KysoRpcError

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


def status_code(err: KysoError) -> grpc.StatusCode:
    """The gRPC status for ``err``: that of its class or nearest mapped ancestor."""
    for kind in type(err).__mro__:
        if kind in STATUS:
            return STATUS[kind]  # type: ignore[index]
    return grpc.StatusCode.INTERNAL


def to_status(err: KysoError) -> grpc.Status:
    """The status of ``err``: its code, ``CODE: English (Vietnamese)``, ErrorInfo and the
    Vietnamese LocalizedMessage. ErrorInfo.metadata carries the message's parameters as
    quoted in the message (cut to 200 characters, :func:`kyso.errors.quoted`)."""
    metadata = {name: str(value) for name, value in err.params.items()}
    metadata.update(message_vi=err.message_vi, message_en=err.message_en)
    info = error_details_pb2.ErrorInfo(reason=err.code, domain=DOMAIN, metadata=metadata)
    text = error_details_pb2.LocalizedMessage(locale=LOCALE_VI, message=err.message_vi)
    details = []
    for message in (info, text):
        detail = any_pb2.Any()
        detail.Pack(message)
        details.append(detail)
    code = status_code(err).value[0]
    return rpc_status.to_status(status_pb2.Status(code=code, message=str(err), details=details))


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
            abort(context, Internal("INTERNAL_ERROR"))
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
        abort(context, Internal("INTERNAL_ERROR"))


def error_info(err: grpc.RpcError) -> tuple[str, str]:
    """Client side: the stable code and Vietnamese message of a failed call (the status name
    and "" for a status without kyso's details). See ``kyso_client.KysoRpcError``."""
    typed = KysoRpcError.from_rpc_error(err)
    return typed.code, typed.message_vi if typed.from_kyso else ""
