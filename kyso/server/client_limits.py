"""Per-client limits: how many calls a client may have running, how fast it may call, and
how many two-step signatures it may leave waiting (docs/security.md, "Per-client limits").

A busy or hostile client must not take the whole server from the others (issue 9, item 9):
each ``[[clients]]`` name has its own concurrency count, token bucket and pending-signature
quota; callers without a credential, and certificates that name no client, share one bucket
of their own. The defaults are the ``[limits]`` section; a ``[[clients]]`` table may set its
own ``max_concurrent``, ``rate_per_second``, ``burst`` and ``max_pending_signatures``.

This module is the data and the arithmetic (no gRPC); :mod:`kyso.server.limits_interceptor`
applies it before any servicer runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import Field

from kyso.errors import ResourceExhausted
from kyso.settings import SettingsModel, shorten

if TYPE_CHECKING:
    from kyso.server.auth import Identity
    from kyso.server.clients import ClientSettings

#: The name the shared bucket of callers without a (usable) identity goes by in messages.
ANONYMOUS = "anonymous"


class LimitsSettings(SettingsModel):
    """The ``[limits]`` section: per-client defaults, and the anonymous callers' shared ones.

    Health (``grpc.health.v1.Health``) is never limited: probes must answer under any load.
    """

    max_concurrent: int = Field(
        8,
        ge=1,
        description="calls one client may have running at once (the server has `workers` "
        "threads); more are refused with RESOURCE_EXHAUSTED `CLIENT_CONCURRENCY_LIMITED`",
    )
    rate_per_second: float = Field(
        100.0,
        gt=0,
        description="calls a second one client may make on average (a token bucket); more are "
        "refused with RESOURCE_EXHAUSTED `CLIENT_RATE_LIMITED`",
    )
    burst: int = Field(
        200, ge=1, description="calls one client may make at once above its rate (bucket size)"
    )
    max_pending_signatures: int = Field(
        20,
        ge=1,
        description="two-step signatures (PrepareSignature) one client may leave waiting for "
        "CompleteSignature; more are refused with `PENDING_CLIENT_LIMIT`",
    )
    anonymous_max_concurrent: int = Field(
        4,
        ge=1,
        description="calls running at once of all callers without a credential (or with a "
        "certificate naming no client), together",
    )
    anonymous_rate_per_second: float = Field(
        10.0, gt=0, description="calls a second of those callers, together"
    )
    anonymous_burst: int = Field(20, ge=1, description="bucket size of those callers, together")


@dataclass(frozen=True)
class ClientLimits:
    """The limits of one caller, and where each came from (``limits.burst``,
    ``clients.NAME.burst``) for the message that names the one reached."""

    client: str
    max_concurrent: int
    rate_per_second: float
    burst: int
    max_pending_signatures: int
    sources: dict[str, str]

    def setting(self, name: str) -> str:
        return self.sources.get(name, f"limits.{name}")


_PER_CLIENT = ("max_concurrent", "rate_per_second", "burst", "max_pending_signatures")


class LimitTable:
    """The limits of every configured client, and the shared anonymous ones."""

    def __init__(self, defaults: LimitsSettings, clients: tuple[ClientSettings, ...]) -> None:
        self.defaults = defaults
        self._by_name = {c.name: self._of(c) for c in clients}
        self.anonymous = ClientLimits(
            ANONYMOUS,
            defaults.anonymous_max_concurrent,
            defaults.anonymous_rate_per_second,
            defaults.anonymous_burst,
            0,  # callers without an identity are refused every signing method anyway
            {
                "max_concurrent": "limits.anonymous_max_concurrent",
                "rate_per_second": "limits.anonymous_rate_per_second",
                "burst": "limits.anonymous_burst",
            },
        )

    def _of(self, client: ClientSettings) -> ClientLimits:
        values: dict[str, float] = {}
        sources: dict[str, str] = {}
        for name in _PER_CLIENT:
            own = getattr(client, name, None)
            values[name] = own if own is not None else getattr(self.defaults, name)
            sources[name] = f"clients.{client.name}.{name}" if own is not None else f"limits.{name}"
        return ClientLimits(
            client.name,
            int(values["max_concurrent"]),
            float(values["rate_per_second"]),
            int(values["burst"]),
            int(values["max_pending_signatures"]),
            sources,
        )

    def of(self, identity: Identity | None) -> ClientLimits:
        """The limits of ``identity``: its ``[[clients]]`` table's, the defaults for a
        recognised caller without one (a legacy token), the shared anonymous ones for a caller
        without a credential or without a role."""
        if identity is None or not identity.roles:
            return self.anonymous
        found = self._by_name.get(identity.name)
        if found is not None:
            return found
        d = self.defaults
        return ClientLimits(
            identity.name,
            d.max_concurrent,
            d.rate_per_second,
            d.burst,
            d.max_pending_signatures,
            {},
        )


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp


class ClientLimiter:
    """Concurrency counts and token buckets by client name (thread-safe, in this process).

    Each replica counts its own calls: with N replicas behind a balancer a client may make up
    to N times its rate in total (docs/security.md says so).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, int] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._clock = clock

    def running(self, client: str) -> int:
        with self._lock:
            return self._running.get(client, 0)

    def enter(self, limits: ClientLimits) -> None:
        """Take one call of ``limits.client``: a token from its bucket and a running slot.

        Raises :class:`ResourceExhausted` (``CLIENT_RATE_LIMITED`` or
        ``CLIENT_CONCURRENCY_LIMITED``, naming the setting) and takes nothing then.
        """
        name = limits.client
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(name)
            if bucket is None:
                bucket = self._buckets[name] = _Bucket(float(limits.burst), now)
            bucket.tokens = min(
                float(limits.burst), bucket.tokens + (now - bucket.stamp) * limits.rate_per_second
            )
            bucket.stamp = now
            if bucket.tokens < 1.0:
                retry = (1.0 - bucket.tokens) / limits.rate_per_second
                raise ResourceExhausted(
                    "CLIENT_RATE_LIMITED",
                    client=shorten(name),
                    limit=limits.setting("rate_per_second"),
                    value=f"{limits.rate_per_second:g}",
                    burst=limits.burst,
                    retry=f"{max(retry, 0.001):.3f}",
                )
            running = self._running.get(name, 0)
            if running >= limits.max_concurrent:
                raise ResourceExhausted(
                    "CLIENT_CONCURRENCY_LIMITED",
                    client=shorten(name),
                    limit=limits.setting("max_concurrent"),
                    value=limits.max_concurrent,
                )
            bucket.tokens -= 1.0
            self._running[name] = running + 1

    def leave(self, client: str) -> None:
        """Give back the running slot :meth:`enter` took."""
        with self._lock:
            left = self._running.get(client, 0) - 1
            if left > 0:
                self._running[client] = left
            else:
                self._running.pop(client, None)


__all__ = [
    "ANONYMOUS",
    "ClientLimiter",
    "ClientLimits",
    "LimitTable",
    "LimitsSettings",
]
