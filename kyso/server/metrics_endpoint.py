"""The ``/metrics`` HTTP endpoint on a port of its own (``[metrics] listen``, ``--metrics-listen``).

Default ``127.0.0.1:9464``. When the port is taken, the next ones are tried (up to
:data:`PORT_TRIES` in all), then any free port: a second kyso on the host, or another exporter
on 9464, never stops the server; the address taken is printed at start. Port 0 takes any free
port; ``off`` serves
no endpoint (the metrics are still kept). The endpoint is plain HTTP served by prometheus-client
in a daemon thread; it answers from counters only, so request work never blocks it.
"""

from __future__ import annotations

import errno
import logging
import threading
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server

from kyso.errors import InvalidInput
from kyso.server.settings import is_loopback
from kyso.settings import shorten

log = logging.getLogger("kyso.metrics")

OFF = "off"
#: Ports tried from the configured one: 9464, 9465, ... 9479.
PORT_TRIES = 16


@dataclass
class MetricsEndpoint:
    """A running endpoint; :meth:`close` stops it."""

    host: str
    port: int
    _server: Any
    _thread: threading.Thread

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def start_endpoint(
    listen: str, registry: CollectorRegistry, *, setting: str = "metrics.listen"
) -> MetricsEndpoint | None:
    """Serve ``registry`` on ``listen`` (HOST:PORT, or ``off``: None).

    Raises :class:`InvalidInput` (``CONFIG_INVALID``) naming ``setting`` when no port at all can
    be bound on the host (not an address of this machine).
    """
    if listen == OFF:
        return None
    host, _, port_text = listen.rpartition(":")
    host = host.strip("[]")
    first = int(port_text)
    # port 0 is "any free port" at once, never ports 1, 2, … (as root, port 1 would bind)
    ports = [p for p in range(first, first + PORT_TRIES) if 0 < p <= 65535] if first else []
    ports.append(0)
    last: OSError | None = None
    for port in ports:
        try:
            server, thread = start_http_server(port, addr=host, registry=registry)
        except OSError as exc:
            last = exc
            if exc.errno == errno.EADDRINUSE:
                continue
            break
        bound = server.server_address[1]
        if not is_loopback(listen):
            log.warning("metrics are served in plain HTTP to whoever reaches %s", shorten(listen))
        if bound != first and first != 0:
            log.warning("metrics port %d is taken: serving metrics on %d", first, bound)
        return MetricsEndpoint(host, bound, server, thread)
    reason = (last.strerror if last is not None else None) or "no port"
    raise InvalidInput(
        "CONFIG_INVALID",
        problem=f"{setting}: cannot serve metrics on {shorten(listen)} ({reason}): "
        "not an address of this host? Choose another, or `off`",
    )


__all__ = ["OFF", "PORT_TRIES", "MetricsEndpoint", "start_endpoint"]
