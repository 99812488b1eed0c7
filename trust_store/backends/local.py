"""Local-directory storage: one directory per version, a symlink names the current one.

Layout under the store path::

    current -> versions/v00000007      (replaced atomically with rename(2))
    versions/v00000007/metadata.json   (version, entries, purposes, who/when/why)
    versions/v00000007/<sha256>.pem    (one readable PEM per certificate)

A version directory is written completely and fsync'ed under a temporary name
before it is renamed into place and the ``current`` link is swapped, so a
crash at any point (even SIGKILL) leaves the old version or the new one.

A directory holding only ``*.pem`` files and no ``current`` link is a
*bootstrap* store (test fixtures, the embedded demo): self-signed certificates
are anchors, the others intermediates, all purposes, added by "bootstrap".  The
first change adopts it as version 1 and builds on it; the loose PEM files are
left where they are but no longer read.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from asn1crypto import pem, x509

from kyso.errors import Unavailable
from trust_store.audit import AuditDraft, AuditEntry, AuditLog
from trust_store.certificates import is_self_signed
from trust_store.model import Purpose, TrustEntry, TrustRole, TrustSnapshot
from trust_store.state_codec import (
    CorruptStateError,
    entry_from_metadata,
    metadata_document,
    pem_filename,
)

log = logging.getLogger("kyso.trust.local")

_VERSION_DIR = re.compile(r"^v(\d{8,})$")
BOOTSTRAP_ACTOR = "bootstrap"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def load_bootstrap(path: Path) -> TrustSnapshot:
    """The snapshot of a plain directory of PEM files (version 1, or 0 when empty)."""
    entries: list[TrustEntry] = []
    seen: set[str] = set()
    if path.is_dir():
        for f in sorted(path.glob("*.pem")):
            for _, _, der in pem.unarmor(f.read_bytes(), multiple=True):
                cert = x509.Certificate.load(der)
                entry = TrustEntry(
                    certificate=cert,
                    role=TrustRole.ANCHOR if is_self_signed(cert) else TrustRole.INTERMEDIATE,
                    purposes=frozenset(Purpose),
                    added_by=BOOTSTRAP_ACTOR,
                    reason="present in the trust directory before it was managed",
                )
                if entry.sha256 not in seen:
                    seen.add(entry.sha256)
                    entries.append(entry)
    return TrustSnapshot(version=1 if entries else 0, entries=tuple(entries))


def load_local(path: Path) -> TrustSnapshot:
    """The current snapshot of a local store directory (managed or bootstrap), read-only."""
    link = path / "current"
    if link.is_symlink():
        return LocalDirectoryBackend.load_version_dir(link.resolve())
    return load_bootstrap(path)


class LocalDirectoryBackend:
    """Versioned directories plus an atomically swapped ``current`` link."""

    def __init__(
        self,
        path: Path,
        audit: AuditLog[AuditDraft, AuditEntry],
        keep_versions: int = 10,
        poll_seconds: float = 1.0,
    ) -> None:
        self.path = path
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.audit = audit
        self.keep_versions = max(2, keep_versions)
        self._lock = threading.Lock()
        self._current = path / "current"
        self._versions = path / "versions"

    # -- reading ---------------------------------------------------------------

    def load(self) -> TrustSnapshot:
        target = self._current_dir()
        if target is None:
            return load_bootstrap(self.path)
        return self.load_version_dir(target)

    def _current_dir(self) -> Path | None:
        try:
            link = os.readlink(self._current)
        except FileNotFoundError:
            return None
        return (self.path / link).resolve()

    @staticmethod
    def load_version_dir(directory: Path) -> TrustSnapshot:
        try:
            doc = json.loads((directory / "metadata.json").read_text(encoding="utf-8"))
            entries = []
            for meta in doc["entries"]:
                data = (directory / meta["file"]).read_bytes()
                _, _, der = pem.unarmor(data)
                entries.append(entry_from_metadata(meta, x509.Certificate.load(der)))
            return TrustSnapshot(version=int(doc["version"]), entries=tuple(entries))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CorruptStateError(
                "TRUST_STORE_CORRUPT",
                problem=f"version directory {directory.name} is unreadable",
            ) from exc

    # -- writing ---------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)

    def commit(
        self, base: TrustSnapshot, new: TrustSnapshot, draft: AuditDraft
    ) -> AuditEntry | None:
        """Write ``new`` if the store is still at ``base``; None when someone else moved it."""
        try:
            with self._locked():
                on_disk = self.load()
                if on_disk.version != base.version:
                    return None
                if self._current_dir() is None and base.version >= 1:
                    self._adopt(base)
                directory = self._write_version(new)
                entry = self.audit.append(draft)
                self._point_to(directory)
                self._collect_garbage(new.version)
                return entry
        except OSError as exc:
            raise Unavailable(
                "TRUST_STORE_UNAVAILABLE", problem="the directory cannot be written"
            ) from exc

    def _adopt(self, bootstrap: TrustSnapshot) -> None:
        directory = self._write_version(bootstrap)
        self.audit.append(
            AuditDraft(
                actor=BOOTSTRAP_ACTOR,
                action="adopt",
                outcome="applied",
                reason="existing PEM files adopted as version 1",
                version=bootstrap.version,
                after=tuple(e.sha256 for e in bootstrap.entries),
                subjects=tuple(e.sha256 for e in bootstrap.entries),
            )
        )
        self._point_to(directory)

    def _write_version(self, snapshot: TrustSnapshot) -> Path:
        self._versions.mkdir(parents=True, exist_ok=True)
        final = self._versions / f"v{snapshot.version:08d}"
        tmp = self._versions / f".tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
        for entry in snapshot.entries:
            _write_file(
                tmp / pem_filename(entry), pem.armor("CERTIFICATE", entry.certificate.dump())
            )
        doc = metadata_document(snapshot)
        _write_file(tmp / "metadata.json", json.dumps(doc, ensure_ascii=False, indent=2).encode())
        _fsync_dir(tmp)
        if final.exists():  # left by a crash before its link was swapped: never current
            shutil.rmtree(final)
        os.rename(tmp, final)
        _fsync_dir(self._versions)
        return final

    def _point_to(self, directory: Path) -> None:
        link = self.path / f".current-{uuid.uuid4().hex}"
        os.symlink(os.path.relpath(directory, self.path), link)
        os.replace(link, self._current)
        _fsync_dir(self.path)

    def _collect_garbage(self, current_version: int) -> None:
        for child in self._versions.iterdir():
            m = _VERSION_DIR.match(child.name)
            if child.name.startswith(".tmp-") or (
                m and int(m.group(1)) <= current_version - self.keep_versions
            ):
                shutil.rmtree(child, ignore_errors=True)

    # -- lifecycle ---------------------------------------------------------------

    def recover(self) -> None:
        """After a crash: drop half-written directories, account for an unapplied change."""
        with self._locked():
            if self._versions.is_dir():
                current = self.load().version
                for child in self._versions.iterdir():
                    m = _VERSION_DIR.match(child.name)
                    if child.name.startswith(".tmp-") or (m and int(m.group(1)) > current):
                        shutil.rmtree(child, ignore_errors=True)
                for child in self.path.glob(".current-*"):
                    child.unlink(missing_ok=True)
            current_version = self.load().version
            last = next((e for e in reversed(self.audit.entries()) if e.outcome == "applied"), None)
            if last is not None and last.version > current_version:
                self.audit.append(
                    AuditDraft(
                        actor="kyso",
                        action="recovery",
                        outcome="not_applied",
                        reason=f"version {last.version} was interrupted before it took effect; "
                        f"the store is at version {current_version}",
                        version=current_version,
                        subjects=last.subjects,
                    )
                )

    def start(self, on_change: Callable[[TrustSnapshot], None]) -> None:
        """Follow changes written by another process sharing the directory (one readlink/s)."""
        self._thread = threading.Thread(
            target=self._follow, args=(on_change,), name="kyso-trust-local", daemon=True
        )
        self._thread.start()

    def _follow(self, on_change: Callable[[TrustSnapshot], None]) -> None:
        seen = self._link_target()
        while not self._stop.wait(self.poll_seconds):
            target = self._link_target()
            if target == seen:
                continue
            try:
                snapshot = self.load()
            except CorruptStateError:
                log.exception("trust store: cannot read the new version; keeping the current one")
                continue
            seen = target
            on_change(snapshot)

    def _link_target(self) -> str | None:
        try:
            return os.readlink(self._current)
        except OSError:
            return None

    def status(self) -> dict[str, Any]:
        return {"storage": "local", "degraded": False, "warning": "", "redis_errors": 0}

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
