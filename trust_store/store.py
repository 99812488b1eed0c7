"""Placeholder store (replaced by the trust-store issue's local/Redis backends)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from asn1crypto import pem, x509

from trust_store.model import Purpose, Role, TrustEntry, TrustSnapshot

if TYPE_CHECKING:
    from service.config import Config


class TrustStore:
    """Holds the current snapshot; readers never block writers."""

    def __init__(self, snapshot: TrustSnapshot | None = None) -> None:
        self._lock = threading.Lock()
        self._snapshot = snapshot or TrustSnapshot(version=0)

    def snapshot(self) -> TrustSnapshot:
        return self._snapshot

    def replace(self, snapshot: TrustSnapshot) -> None:
        with self._lock:
            self._snapshot = snapshot


def _load_dir(path: Path) -> TrustSnapshot:
    entries: list[TrustEntry] = []
    for f in sorted(path.glob("*.pem")):
        data = f.read_bytes()
        for _, _, der in pem.unarmor(data, multiple=True):
            cert = x509.Certificate.load(der)
            role = Role.ANCHOR if cert.self_signed else Role.INTERMEDIATE
            entries.append(TrustEntry(cert, role, frozenset(Purpose)))
    return TrustSnapshot(version=1, entries=tuple(entries))


def open_store(config: Config) -> TrustStore:
    path = config.trust_store_path
    if path.is_dir():
        return TrustStore(_load_dir(path))
    return TrustStore()
