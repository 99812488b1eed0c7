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

from kyso.errors import DeadlineExceeded
from kyso.pki.fetching import HttpFetcher, RequestBudget, current_budget, request_scope
from kyso.server.status import abort
from signer.deadline import WorkDeadline

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
        remaining = caller_remaining(context)
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
            _refuse_if_late(context)
            with self._running(), request_scope(self.budget(context)):
                return behaviour(request, context)

        return scoped

    def _streaming(self, behaviour: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        def scoped(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            _refuse_if_late(context)
            with self._running():
                scope = request_scope(self.budget(context))
                scope.__enter__()
                try:
                    yield from behaviour(request, context)
                finally:
                    with contextlib.suppress(ValueError):  # closed from another context
                        scope.__exit__(None, None, None)

        return scoped


#: what :class:`RequestBudget` calls the caller's deadline when it bounds the fetches
_CALLER_DEADLINE = "request deadline"
#: gRPC Python reports "no deadline" as a time remaining of about 292 years, not None
_NO_DEADLINE_SECONDS = 10 * 365 * 86400.0


def caller_remaining(context: grpc.ServicerContext) -> float | None:
    """Seconds until the caller's deadline; None when it sent none."""
    remaining = context.time_remaining()
    if remaining is None or remaining > _NO_DEADLINE_SECONDS:
        return None
    return float(remaining)


def _refuse_if_late(context: grpc.ServicerContext) -> None:
    """A request that waited for a worker thread past its deadline is not started:
    ``DEADLINE_EXCEEDED`` (``REQUEST_DEADLINE_EXCEEDED``) at once, no work done for it."""
    remaining = context.time_remaining()
    if remaining is not None and remaining <= 0:
        abort(context, DeadlineExceeded("REQUEST_DEADLINE_EXCEEDED"))


def work_deadline(
    context: grpc.ServicerContext, default_seconds: float, default_setting: str
) -> WorkDeadline:
    """The :class:`signer.deadline.WorkDeadline` of the RPC served with ``context``.

    The caller's deadline, else ``default_seconds`` from now (the setting ``default_setting``),
    which then also ends the request's fetches. ``ended``: gRPC has ended the call (client
    cancelled, deadline passed, server shutting down); ``cut``: a fetch was refused or cut off
    because the deadline's time for fetching was up (the budget names the deadline, not a
    fetch setting), so the failure it caused is the deadline's."""
    now = time.monotonic()
    budget = current_budget()
    remaining = caller_remaining(context)
    if remaining is None:
        at = now + default_seconds
        if budget is not None:  # the default deadline bounds the fetches too
            budget.tighten(at, default_setting)
    else:
        at = now + remaining
    if budget is None:
        return WorkDeadline(at, lambda: not context.is_active())
    limits = {_CALLER_DEADLINE, default_setting}

    def cut() -> bool:
        limit = budget.time_limit
        return limit in limits and any(r.setting == limit for r in list(budget.refusals))

    return WorkDeadline(at, lambda: budget.cancelled, cut)


__all__ = ["FetchBudgetInterceptor", "caller_remaining", "work_deadline"]
