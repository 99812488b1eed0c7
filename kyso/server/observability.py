"""Wires metrics, the access log and tracing into one server context (docs/operations.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kyso.server.access_log import ObservingInterceptor
from kyso.server.metrics import ServerMetrics
from kyso.server.metrics_endpoint import MetricsEndpoint, start_endpoint
from kyso.server.tracing import tracing_interceptor

if TYPE_CHECKING:
    from kyso.server.context import AppContext


@dataclass
class Observability:
    """The metrics of one server and, once started, its ``/metrics`` endpoint."""

    metrics: ServerMetrics
    endpoint: MetricsEndpoint | None = None

    def start_endpoint(self, listen: str, *, setting: str = "metrics.listen") -> str | None:
        """Serve ``/metrics`` on ``listen`` (``off``: nothing); its URL, or None."""
        self.endpoint = start_endpoint(listen, self.metrics.registry, setting=setting)
        return self.endpoint.url if self.endpoint is not None else None

    def close(self) -> None:
        if self.endpoint is not None:
            self.endpoint.close()
            self.endpoint = None


def attach(ctx: AppContext) -> Observability:
    """Put the observing interceptor (and the tracing one, if enabled) in front of
    ``ctx.interceptors`` and read ``ctx``'s components into a new :class:`ServerMetrics`."""
    metrics = ServerMetrics()
    metrics.attach(ctx)
    observed = Observability(metrics)
    ctx.interceptors.insert(0, ObservingInterceptor(metrics))
    tracing = tracing_interceptor(ctx.settings.tracing)
    if tracing is not None:
        interceptor, shutdown = tracing
        ctx.interceptors.insert(0, interceptor)  # outermost: the span covers the whole call
        ctx.closers.append(shutdown)
    ctx.closers.append(observed.close)
    return observed


__all__ = ["Observability", "attach"]
