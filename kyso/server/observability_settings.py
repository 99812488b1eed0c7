"""The ``[metrics]``, ``[logging]`` and ``[tracing]`` sections (docs/operations.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from kyso.settings import SettingsModel

DEFAULT_METRICS_LISTEN = "127.0.0.1:9464"


def check_metrics_listen(value: str) -> str:
    """``off`` or ``HOST:PORT`` (:func:`kyso.server.settings.check_listen`)."""
    if value == "off":
        return value
    from kyso.server.settings import check_listen  # the same rule as `listen`

    try:
        return check_listen(value)
    except ValueError as exc:
        raise ValueError(f"{exc}, or off") from None


MetricsListen = Annotated[str, AfterValidator(check_metrics_listen)]


class MetricsSettings(SettingsModel):
    """The ``[metrics]`` section: the Prometheus endpoint."""

    listen: MetricsListen = Field(
        DEFAULT_METRICS_LISTEN,
        description="HOST:PORT of the Prometheus `/metrics` endpoint (plain HTTP); when taken the "
        "next free port (up to 15 more), then any; 0 for any free port, `off` for no endpoint",
    )


class LoggingSettings(SettingsModel):
    """The ``[logging]`` section: how the server's log lines look."""

    format: Literal["auto", "text", "json"] = Field(
        "auto",
        description="`text`, `json` (one object per line) or `auto`: text when standard error "
        "is a terminal, JSON otherwise",
    )


class TracingSettings(SettingsModel):
    """The ``[tracing]`` section: OpenTelemetry spans of the gRPC server (the ``kyso[otel]``
    extra)."""

    enabled: bool = Field(
        False, description="trace every RPC with OpenTelemetry (needs `pip install kyso[otel]`)"
    )
    exporter: Literal["otlp", "console"] = Field(
        "otlp", description="`otlp` (OTLP over HTTP) or `console` (spans on standard output)"
    )
    endpoint: str | None = Field(
        None,
        max_length=2048,
        description="OTLP/HTTP traces URL (default: the exporter's, "
        "$OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or http://localhost:4318/v1/traces)",
    )
    service_name: str = Field(
        "kyso", min_length=1, max_length=128, description="`service.name` of the spans"
    )


__all__ = [
    "DEFAULT_METRICS_LISTEN",
    "LoggingSettings",
    "MetricsSettings",
    "TracingSettings",
    "check_metrics_listen",
]
