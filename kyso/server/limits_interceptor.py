"""The per-client limits at the door: refused before the access check and any servicer work.

:class:`LimitsInterceptor` runs first: it recognises the caller the way the access guard does
(:class:`kyso.server.auth.IdentityResolver`: certificate, then bearer token), takes a token of
its bucket and a running slot (:class:`kyso.server.client_limits.ClientLimiter`), and refuses
with ``RESOURCE_EXHAUSTED`` (``CLIENT_RATE_LIMITED``, ``CLIENT_CONCURRENCY_LIMITED``, naming
the setting) when either is spent. The slot is given back when the handler returns or, for a
streamed answer, when the call ends (gRPC's termination callback, also on cancellation).
Health is never limited (probes must answer under load); reflection counts like any call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import grpc

from kyso.errors import KysoError
from kyso.server.client_limits import ClientLimiter, ClientLimits, LimitTable
from kyso.server.status import abort

if TYPE_CHECKING:
    from kyso.server.auth import AnonymousRefusals, IdentityResolver
    from kyso.server.context import AppContext

log = logging.getLogger("kyso.limits")

_UNLIMITED_PREFIX = "/grpc.health.v1.Health/"


class _Slot:
    """One running slot, given back once whichever of the handler's end or the call's end
    comes first."""

    def __init__(self, limiter: ClientLimiter, client: str) -> None:
        self._limiter = limiter
        self._client = client
        self._lock = threading.Lock()
        self._held = True

    def release(self) -> None:
        with self._lock:
            if not self._held:
                return
            self._held = False
        self._limiter.leave(self._client)


class LimitsInterceptor(grpc.ServerInterceptor):
    """Applies :class:`LimitTable` to every call but health's, before anything else runs."""

    def __init__(
        self,
        resolver: IdentityResolver,
        table: LimitTable,
        anonymous: AnonymousRefusals | None = None,
    ) -> None:
        self._resolver = resolver
        self.table = table
        self.limiter = ClientLimiter()
        self._anonymous = anonymous  # the guard's count of refused calls without a credential

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        method: str = handler_call_details.method  # type: ignore[attr-defined]
        if handler is None or method.startswith(_UNLIMITED_PREFIX):
            return handler
        changes: dict[str, Any] = {}
        for kind in ("unary_unary", "stream_unary"):
            behaviour = getattr(handler, kind)
            if behaviour is not None:
                changes[kind] = self._unary(behaviour, method)
        for kind in ("unary_stream", "stream_stream"):
            behaviour = getattr(handler, kind)
            if behaviour is not None:
                changes[kind] = self._streaming(behaviour, method)
        return handler._replace(**changes)  # type: ignore[attr-defined, no-any-return]

    def _enter(self, context: grpc.ServicerContext, method: str) -> _Slot:
        """Take a slot for the caller of ``context``, or end the call RESOURCE_EXHAUSTED."""
        identity = self._resolver.identify(context)
        limits: ClientLimits = self.table.of(identity)
        try:
            self.limiter.enter(limits)
        except KysoError as err:
            if identity is None and self._anonymous is not None:
                self._anonymous.count(method, context.peer() or "")  # counted, never logged each
            else:
                log.info("call of %s refused: %s", limits.client, err.code)
            abort(context, err)
            raise  # abort raises; this keeps type checkers and odd contexts honest
        slot = _Slot(self.limiter, limits.client)
        context.add_callback(slot.release)
        return slot

    def _unary(self, behaviour: Callable[..., Any], method: str) -> Callable[..., Any]:
        def limited(request: Any, context: grpc.ServicerContext) -> Any:
            slot = self._enter(context, method)
            try:
                return behaviour(request, context)
            finally:
                slot.release()

        return limited

    def _streaming(
        self, behaviour: Callable[..., Iterator[Any]], method: str
    ) -> Callable[..., Iterator[Any]]:
        def limited(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            slot = self._enter(context, method)
            try:
                yield from behaviour(request, context)
            finally:
                slot.release()

        return limited


def build_limits_interceptor(ctx: AppContext) -> LimitsInterceptor:
    """The limits of ``ctx.settings`` (``[limits]`` and each ``[[clients]]`` table's own),
    recognising callers with the access guard's resolver (``ctx.identities``, set first)."""
    from kyso.server.auth import AccessInterceptor, build_resolver, effective_clients

    resolver = ctx.identities or build_resolver(ctx.settings)
    table = LimitTable(ctx.settings.limits, effective_clients(ctx.settings))
    ctx.client_limits = table  # the pending-signature quota of PrepareSignature reads it
    guard = next((i for i in ctx.interceptors if isinstance(i, AccessInterceptor)), None)
    return LimitsInterceptor(resolver, table, guard.anonymous if guard is not None else None)


__all__ = ["LimitsInterceptor", "build_limits_interceptor"]
