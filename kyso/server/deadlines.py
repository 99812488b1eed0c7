"""One fetch budget per RPC, from the caller's deadline, cancelled when the RPC ends.

Every RPC of kyso's services runs inside :func:`kyso.pki.fetching.request_scope` with a
:class:`~kyso.pki.fetching.RequestBudget` whose deadline is the caller's (less a small margin)
or, when the caller sends none, ``[fetch] max_seconds_per_request`` from now. When the RPC
terminates — answered, deadline passed, cancelled by the client, or the server shutting down —
gRPC runs the callback that cancels the budget: a fetch still running stops at once, so the
worker thread is released instead of waiting on a dripping or silent server (issue 9).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc

from kyso.pki.fetching import HttpFetcher, RequestBudget, request_scope

#: Fetching ends this share of the caller's time before its deadline (at least 50 ms, at most
#: 0.5 s), so the work after a cut-off fetch still answers with a report in time.
_MARGIN_SHARE, _MARGIN_MIN, _MARGIN_MAX = 0.1, 0.05, 0.5
#: Services that never fetch (health, reflection) are left alone: they must stay cheap.
_PREFIX = "/kyso."


class FetchBudgetInterceptor(grpc.ServerInterceptor):
    """Wraps every kyso RPC (unary or streaming) in a request scope with its own budget, and
    counts the RPCs in progress (:meth:`wait_idle`, for the shutdown)."""

    def __init__(self, http: HttpFetcher) -> None:
        self._http = http
        self._active = 0
        self._idle = threading.Condition()

    @property
    def active(self) -> int:
        """kyso RPCs whose handler is still running."""
        with self._idle:
            return self._active

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for every handler to return; True when none runs."""
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout)

    @contextlib.contextmanager
    def _running(self) -> Iterator[None]:
        with self._idle:
            self._active += 1
        try:
            yield
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def budget(self, context: grpc.ServicerContext) -> RequestBudget:
        """The budget of the RPC served with ``context``; cancelled when the RPC ends."""
        remaining = context.time_remaining()
        deadline = None
        if remaining is not None:
            margin = min(_MARGIN_MAX, max(_MARGIN_MIN, remaining * _MARGIN_SHARE))
            deadline = time.monotonic() + max(0.0, remaining - margin)
        budget = self._http.budget(deadline)
        context.add_callback(budget.cancel)
        return budget

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        method: str = handler_call_details.method  # type: ignore[attr-defined]
        if handler is None or not method.startswith(_PREFIX):
            return handler
        changes: dict[str, Any] = {}
        for kind in ("unary_unary", "stream_unary"):
            behaviour = getattr(handler, kind)
            if behaviour is not None:
                changes[kind] = self._unary(behaviour)
        for kind in ("unary_stream", "stream_stream"):
            behaviour = getattr(handler, kind)
            if behaviour is not None:
                changes[kind] = self._streaming(behaviour)
        return handler._replace(**changes)  # type: ignore[attr-defined, no-any-return]

    def _unary(self, behaviour: Callable[..., Any]) -> Callable[..., Any]:
        def scoped(request: Any, context: grpc.ServicerContext) -> Any:
            with self._running(), request_scope(self.budget(context)):
                return behaviour(request, context)

        return scoped

    def _streaming(self, behaviour: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        def scoped(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            with self._running():
                scope = request_scope(self.budget(context))
                scope.__enter__()
                try:
                    yield from behaviour(request, context)
                finally:
                    with contextlib.suppress(ValueError):  # closed from another context
                        scope.__exit__(None, None, None)

        return scoped


__all__ = ["FetchBudgetInterceptor"]
