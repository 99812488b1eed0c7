"""The ``[health]`` section of the configuration (kept apart from :mod:`kyso.server.settings`
so that module stays one screenful per concern)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kyso.settings import SettingsModel


class HealthSettings(SettingsModel):
    """The ``[health]`` section: the background checks behind the gRPC health service
    (:mod:`kyso.server.health`, docs/operations.md)."""

    interval_seconds: float = Field(
        5.0, gt=0, le=3600, description="seconds between two checks of each dependency"
    )
    probe_timeout_seconds: float = Field(
        2.0,
        gt=0,
        le=60,
        description="a check that has not answered after this long counts as NOT_SERVING",
    )
    tsa_probe: Literal["off", "connect", "timestamp"] = Field(
        "connect",
        description="how `kyso.tsa` is checked: `connect` (a TCP connection to the TSA), "
        "`timestamp` (a real RFC 3161 request, which some TSAs bill) or `off`",
    )
    tsa_interval_seconds: float = Field(
        60.0, gt=0, le=86400, description="seconds between two checks of the TSA"
    )
