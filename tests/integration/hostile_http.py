"""Hostile HTTP endpoints on a loopback address, for OCSP/CRL/AIA/TSA URLs of test certificates.

Real sockets, no mocks (after ``../shared/cases/robustness/hostile_http.py``), on free ports:

* ``blackhole``: reads the request, never answers;
* ``drip``: answers ``200 OK`` headers, then one body byte every 2 s;
* ``flood``: answers ``200 OK`` without a length, then ``flood_bytes`` as fast as it can.

Every connection is recorded (:attr:`HostileHttp.hits`: mode and request line), the evidence
that kyso did or did not send a request; :attr:`HostileHttp.flood_sent` is how many body bytes
each flood got out before the client hung up. :meth:`close` ends every connection.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

MODES = ("blackhole", "drip", "flood")


class HostileHttp:
    def __init__(self, host: str = "127.0.0.1", flood_bytes: int = 256 * 1024 * 1024) -> None:
        self.host = host
        self.flood_bytes = flood_bytes
        self.hits: list[tuple[str, str]] = []
        self.flood_sent: list[int] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listeners: dict[str, socket.socket] = {}
        handlers: dict[str, Callable[[socket.socket], None]] = {
            "blackhole": self._blackhole,
            "drip": self._drip,
            "flood": self._flood,
        }
        for mode in MODES:
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, 0))
            listener.listen(64)
            listener.settimeout(0.2)
            self._listeners[mode] = listener
            threading.Thread(
                target=self._serve, args=(listener, mode, handlers[mode]), daemon=True
            ).start()

    def url(self, mode: str, path: str = "x") -> str:
        return f"http://{self.host}:{self._listeners[mode].getsockname()[1]}/{path}"

    def hit_count(self) -> int:
        with self._lock:
            return len(self.hits)

    def close(self) -> None:
        self._stop.set()
        for listener in self._listeners.values():
            listener.close()

    # -- endpoints
    def _serve(
        self, listener: socket.socket, mode: str, handler: Callable[[socket.socket], None]
    ) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(5)
            line = _request_line(conn)
            with self._lock:
                self.hits.append((mode, line))
            threading.Thread(target=self._finish, args=(conn, handler), daemon=True).start()

    def _finish(self, conn: socket.socket, handler: Callable[[socket.socket], None]) -> None:
        try:
            handler(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def _blackhole(self, conn: socket.socket) -> None:
        self._stop.wait(120)

    def _drip(self, conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nConnection: close\r\n\r\n"
        )
        end = time.monotonic() + 120
        while time.monotonic() < end and not self._stop.is_set():
            conn.sendall(b"0")
            self._stop.wait(2)

    def _flood(self, conn: socket.socket) -> None:
        sent = 0
        try:
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\n"
                b"Connection: close\r\n\r\n"
            )
            block = b"\x30" * (1 << 20)
            while sent < self.flood_bytes and not self._stop.is_set():
                conn.sendall(block)
                sent += len(block)
        finally:
            with self._lock:
                self.flood_sent.append(sent)


def _request_line(conn: socket.socket) -> str:
    data = b""
    try:
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return data.split(b"\r\n", 1)[0].decode("latin-1", "replace")
