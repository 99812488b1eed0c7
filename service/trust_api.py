"""gRPC adapter for the trust (filled in by its issue)."""

from __future__ import annotations

import grpc

from service.context import AppContext


def register(server: grpc.Server, ctx: AppContext) -> list[str]:
    """Add this API's servicers to `server`; return their full service names."""
    return []
