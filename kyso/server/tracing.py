"""OpenTelemetry spans of the gRPC server, when ``[tracing] enabled = true``.

Optional: the packages come with the ``kyso[otel]`` extra (opentelemetry-sdk, the OTLP/HTTP
exporter and opentelemetry-instrumentation-grpc). The instrumentation's server interceptor
opens one span per RPC (method, status code, peer) with the caller's ``traceparent`` as parent;
the spans go to an OTLP collector or, for a look, to standard output. kyso gives the SDK its own
tracer provider, so nothing global is changed and two servers in one process do not mix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kyso.errors import InvalidInput
from kyso.server.observability_settings import TracingSettings


def tracing_interceptor(settings: TracingSettings) -> tuple[Any, Callable[[], Any]] | None:
    """The server interceptor and the provider's shutdown, or None when tracing is off.

    Raises :class:`InvalidInput` (``CONFIG_INVALID``) naming ``tracing.enabled`` when the
    ``kyso[otel]`` packages are not installed.
    """
    if not settings.enabled:
        return None
    try:
        from opentelemetry.instrumentation.grpc import server_interceptor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )
    except ImportError:
        raise InvalidInput(
            "CONFIG_INVALID",
            problem="tracing.enabled: OpenTelemetry is not installed "
            "(pip install 'kyso[otel]'), or set enabled = false",
        ) from None
    provider = TracerProvider(resource=Resource.create({"service.name": settings.service_name}))
    if settings.exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=settings.endpoint) if settings.endpoint else None
        provider.add_span_processor(BatchSpanProcessor(exporter or OTLPSpanExporter()))
    return server_interceptor(tracer_provider=provider), provider.shutdown


__all__ = ["tracing_interceptor"]
