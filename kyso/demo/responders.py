"""The embedded demo PKI's responders in this process: the port they take, and one line when
another program holds it.

The demo's certificates name the responders' URLs, so the port is chosen once, when the demo
is created (:func:`reserve`: ``KYSO_DEMO_PKI_PORT``, else 50080, else any free port), and kept
in ``demo/state.json``. At a later start another program may hold it: :func:`start` then says
so on one line naming ``KYSO_DEMO_PKI_PORT`` (which, set, makes :mod:`kyso.demo.embedded`
issue the certificates again for another port), unless what answers there is this demo's
responders, served by another kyso of the same data directory.
"""

from __future__ import annotations

import os
import socket
import threading
import urllib.request
from pathlib import Path
from typing import Any

from asn1crypto import pem

from kyso.demo import pki as demo_pki
from kyso.errors import Composed, InvalidInput
from kyso.settings import shorten

DEMO_ARCH = "kyso-demo"
DEFAULT_PKI_PORT = 50080
PORT_ENV = "KYSO_DEMO_PKI_PORT"

_responders_lock = threading.Lock()
_responders: dict[Path, demo_pki.Responders] = {}


def requested_port() -> int | None:
    """``KYSO_DEMO_PKI_PORT`` (0: any free port), None when unset.

    Raises :class:`InvalidInput` (``CONFIG_INVALID``) naming it when it is no port.
    """
    text = os.environ.get(PORT_ENV)
    if text is None:
        return None
    if not (text.isascii() and text.isdigit() and int(text) <= 65535):
        raise InvalidInput(
            "CONFIG_INVALID", problem=f"{PORT_ENV}: expected a port 0-65535 (0: any free one)"
        )
    return int(text)


def reserve(port: int, *, why: str) -> socket.socket:
    """A listening socket on 127.0.0.1:``port``, else on a free port (said on one line)."""
    sock = demo_pki.listening_socket("127.0.0.1", port)
    if sock is None:
        sock = demo_pki.listening_socket("127.0.0.1", 0)
        if sock is None:
            raise InvalidInput(
                "CONFIG_INVALID",
                problem=f"no free port on 127.0.0.1 for the demo PKI responders ({PORT_ENV})",
            )
        print(
            f"kyso: demo PKI port {port} ({why}) is taken; its responders use 127.0.0.1:"
            f"{sock.getsockname()[1]} instead (recorded in the data directory)",
            flush=True,
        )
    return sock


def serves(demo: Path, port: int) -> bool:
    """Whether 127.0.0.1:``port`` already answers for this demo PKI (another kyso serving
    the same data directory): its certificate repository returns the stored CA certificate."""
    url = f"http://127.0.0.1:{port}/{DEMO_ARCH}/certs/ca/ca.crt"
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            body = answer.read(65536)
    except (OSError, ValueError):
        return False
    stored = pem.unarmor((demo / "certs" / "ca.cert.pem").read_bytes())[2]
    return body in (stored, (demo / "certs" / "ca.cert.pem").read_bytes())


def start(demo: Path, arch: Any, port: int, sock: socket.socket | None = None) -> None:
    """Serve ``arch`` (the demo PKI in ``demo``) once per process (idempotent), on ``sock``
    when given (reserved before the PKI was built), else on 127.0.0.1:``port``.

    Raises :class:`InvalidInput` (``CONFIG_INVALID``) naming ``KYSO_DEMO_PKI_PORT`` when
    another program holds the port.
    """
    with _responders_lock:
        if demo in _responders:
            if sock is not None:
                sock.close()
            return
        if sock is None:
            sock = demo_pki.listening_socket("127.0.0.1", port)
        if sock is None:
            if serves(demo, port):
                print(
                    f"kyso: demo PKI responders: already served on 127.0.0.1:{port} by another "
                    "kyso of this data directory",
                    flush=True,
                )
                return
            raise InvalidInput(
                "CONFIG_INVALID",
                problem=Composed(
                    f"demo PKI responders: another program holds 127.0.0.1:{port}, the port "
                    f"the demo certificates of {shorten(str(demo))} name: stop it, or start "
                    f"kyso once with {PORT_ENV}=0 (any free port) or {PORT_ENV}=PORT to issue "
                    "the demo certificates again for another port"
                ),
            )
        running = demo_pki.Responders([arch], "127.0.0.1", port, sock=sock).start()
        _responders[demo] = running
        print(f"kyso: demo PKI responders (OCSP, CRL, TSA) on {running.base_url}", flush=True)


def stop_responders() -> None:
    """Stop the responders started in this process (tests)."""
    with _responders_lock:
        for responders in _responders.values():
            responders.close()
        _responders.clear()
