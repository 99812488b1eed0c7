"""The outermost interceptor: request ids, one access-log line and the metrics of every RPC.

For each call it takes the request id from the ``x-request-id`` metadata (or makes one), keeps a
:class:`~kyso.server.request_log.RequestRecord` current while the call runs (inner layers note
the client, the document's SHA-256, signatures and indications), and when the call ends:

* answers the request id in the trailing metadata (``x-request-id``), errors included;
* writes one line to the ``kyso.access`` logger: method, status code, duration in ms, request
  id, client (the configured ``[[clients]]`` name, never a certificate subject) and the
  document's SHA-256 where known. kyso's methods at INFO; health and reflection at DEBUG (a
  probe every few seconds would drown the rest);
* records the call in :class:`~kyso.server.metrics.ServerMetrics`.

It is outside the access guard, so refused calls are logged and counted like the rest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc

from kyso.server import request_log
from kyso.server.metrics import ServerMetrics
from kyso.server.policy import POLICY, short_name
from kyso.server.request_log import REQUEST_ID_KEY, RequestRecord

log = logging.getLogger("kyso.access")

_KYSO = "/kyso."


@dataclass
class _Call:
    record: RequestRecord
    started: float
    level: int


def _code(context: grpc.ServicerContext, error: BaseException | None) -> str:
    """The status the caller gets: the one set by the handler, else OK or UNKNOWN (an
    exception gRPC turns into UNKNOWN), CANCELLED or DEADLINE_EXCEEDED when the caller left."""
    code = context.code()  # type: ignore[attr-defined]
    if isinstance(code, grpc.StatusCode):
        return code.name
    if not context.is_active():
        remaining = context.time_remaining()
        return "DEADLINE_EXCEEDED" if remaining is not None and remaining <= 0 else "CANCELLED"
    if isinstance(error, GeneratorExit):
        return "CANCELLED"
    return "OK" if error is None else "UNKNOWN"


class ObservingInterceptor(grpc.ServerInterceptor):
    """Wraps every handler; must be the first of the server's interceptors."""

    def __init__(self, metrics: ServerMetrics) -> None:
        self._metrics = metrics

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method: str = handler_call_details.method  # type: ignore[attr-defined]
        metadata = handler_call_details.invocation_metadata  # type: ignore[attr-defined]
        name = short_name(method) if method in POLICY else "unknown"
        level = logging.INFO if method.startswith(_KYSO) else logging.DEBUG

        def begin() -> _Call:
            record = RequestRecord(method=name, request_id=request_log.request_id_from(metadata))
            return _Call(record, time.perf_counter(), level)

        changes: dict[str, Any] = {}
        for kind in ("unary_unary", "stream_unary"):
            behaviour = getattr(handler, kind)
            if behaviour is not None:
                changes[kind] = self._unary(behaviour, begin)
        for kind in ("unary_stream", "stream_stream"):
            behaviour = getattr(handler, kind)
            if behaviour is not None:
                changes[kind] = self._streaming(behaviour, begin)
        return handler._replace(**changes)  # type: ignore[attr-defined, no-any-return]

    def _unary(
        self, behaviour: Callable[..., Any], begin: Callable[[], _Call]
    ) -> Callable[..., Any]:
        def observed(request: Any, context: grpc.ServicerContext) -> Any:
            call = begin()
            error: BaseException | None = None
            token = request_log.enter(call.record)
            try:
                return behaviour(request, context)
            except BaseException as exc:
                error = exc
                raise
            finally:
                request_log.leave(token)
                self._end(call, context, error)

        return observed

    def _streaming(
        self, behaviour: Callable[..., Iterator[Any]], begin: Callable[[], _Call]
    ) -> Callable[..., Iterator[Any]]:
        def observed(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            call = begin()
            error: BaseException | None = None
            try:
                token = request_log.enter(call.record)
                try:
                    iterator = behaviour(request, context)
                finally:
                    request_log.leave(token)
                while True:
                    token = request_log.enter(call.record)  # current during each step only
                    try:
                        item = next(iterator)
                    except StopIteration:
                        return
                    finally:
                        request_log.leave(token)
                    yield item
            except BaseException as exc:
                error = exc
                raise
            finally:
                self._end(call, context, error)

        return observed

    def _end(self, call: _Call, context: grpc.ServicerContext, error: BaseException | None) -> None:
        record = call.record
        seconds = time.perf_counter() - call.started
        code = _code(context, error)
        try:
            trailing = tuple(context.trailing_metadata() or ())  # type: ignore[attr-defined]
            context.set_trailing_metadata((*trailing, (REQUEST_ID_KEY, record.request_id)))
        except Exception as exc:  # the call is already over: nothing to add it to
            log.debug("request id not returned: %s", type(exc).__name__)
        self._metrics.record(record, code, seconds)
        fields = request_log.access_fields(record, code, seconds * 1000)
        log.log(
            call.level,
            "%s %s %.1f ms client=%s document_sha256=%s",
            record.method,
            code,
            fields["duration_ms"],
            fields["client"],
            fields["document_sha256"],
            extra={"request_id": record.request_id, **fields},
        )


__all__ = ["ObservingInterceptor"]
