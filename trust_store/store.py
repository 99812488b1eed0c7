"""The trust store: one current snapshot for readers, audited atomic changes for officers.

Readers (signer, verifier) call :meth:`TrustStore.snapshot` on every request;
it returns an immutable object without locking or I/O.  Officers' changes are
planned against the version they replace (``trust_store.changes``), written by
the storage backend together with their audit entry, and then published to
readers.  A stale ``expected_version`` or a concurrent writer's win yields
``ABORTED`` (when the caller named a version) or a transparent re-plan.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from asn1crypto import x509

from kyso.errors import Aborted, InvalidInput, KysoError, Unavailable
from trust_store import bundles as _bundles
from trust_store.audit import (
    AuditDraft,
    AuditEntry,
    AuditLog,
    AuditReport,
    FileAuditLog,
    RedisAuditLog,
)
from trust_store.backends.local import LocalDirectoryBackend, load_local
from trust_store.certificates import parse_bundle
from trust_store.changes import ChangePlan, find, plan_add, plan_remove
from trust_store.model import Purpose, TrustEntry, TrustRole, TrustSnapshot, sha256_fingerprint
from trust_store.settings import TrustStoreSettings
from trust_store.state_codec import read_snapshot_file, write_snapshot_file

log = logging.getLogger("kyso.trust")

_MAX_ATTEMPTS = 10


class StorageBackend(Protocol):
    """Where snapshots are kept (:mod:`trust_store.backends`): ``load`` the current one,
    ``commit`` a new version with its audit entry (None when another writer won the race),
    ``start`` following other writers, ``status``, ``recover`` and ``close``."""

    def load(self) -> TrustSnapshot: ...

    def commit(
        self, base: TrustSnapshot, new: TrustSnapshot, draft: AuditDraft
    ) -> AuditEntry | None: ...

    def recover(self) -> None: ...

    def start(self, on_change: Callable[[TrustSnapshot], None]) -> None: ...

    def status(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ChangeOutcome:
    """What a change did: the new ``version`` (unchanged when nothing was to do), the entries
    added and removed, and the audit entry's sequence number (0 when nothing was written)."""

    version: int
    added: tuple[TrustEntry, ...] = ()
    removed: tuple[TrustEntry, ...] = ()
    audit_seq: int = 0


class TrustStore:
    """Holds the current snapshot; readers never block writers."""

    def __init__(
        self,
        snapshot: TrustSnapshot | None = None,
        *,
        backend: StorageBackend | None = None,
        audit: AuditLog[AuditDraft, AuditEntry] | None = None,
        bundles_path: Path | None = None,
    ) -> None:
        self._write_lock = threading.Lock()
        self._publish_lock = threading.Lock()
        self._backend = backend
        self.audit = audit
        self.bundles_path = bundles_path
        self._listeners: list[Callable[[TrustSnapshot], None]] = []
        self._snapshot = snapshot or TrustSnapshot(version=0)

    # -- reading ---------------------------------------------------------------

    def snapshot(self) -> TrustSnapshot:
        """The current immutable snapshot; one attribute read, never blocks on a writer."""
        return self._snapshot

    def replace(self, snapshot: TrustSnapshot) -> None:
        """Publish a snapshot to readers unconditionally (tests; use :meth:`_publish`)."""
        self._snapshot = snapshot
        for listener in list(self._listeners):
            try:
                listener(snapshot)
            except Exception:  # a listener must not stop publication
                log.exception("trust store listener failed")

    def on_change(self, listener: Callable[[TrustSnapshot], None]) -> None:
        """Call ``listener`` with every newly published snapshot (exceptions are logged)."""
        self._listeners.append(listener)

    def _publish(self, snapshot: TrustSnapshot) -> bool:
        """Publish ``snapshot`` if it is newer: a follower thread that read an older version
        just before this process committed must not move readers back."""
        with self._publish_lock:
            if snapshot.version <= self._snapshot.version:
                return False
            self.replace(snapshot)
            return True

    def _followed(self, snapshot: TrustSnapshot) -> None:
        if self._publish(snapshot):
            log.info("trust store: now at version %d", snapshot.version)
        elif snapshot.version < self._snapshot.version:
            log.warning(
                "trust store: storage is at version %d, behind this replica's %d; keeping %d",
                snapshot.version,
                self._snapshot.version,
                self._snapshot.version,
            )

    def status(self) -> dict[str, Any]:
        """Storage health for the Status RPC: ``storage`` (local, redis or memory), ``degraded``,
        ``warning``, ``redis_errors`` and the current ``version``."""
        base = (
            self._backend.status()
            if self._backend is not None
            else {
                "storage": "memory",
                "degraded": False,
                "warning": "",
                "redis_errors": 0,
            }
        )
        return {**base, "version": self._snapshot.version}

    # -- changing --------------------------------------------------------------

    def _apply(
        self,
        *,
        actor: str,
        action: str,
        reason: str,
        expected_version: int | None,
        plan: Callable[[TrustSnapshot], ChangePlan],
        subjects: tuple[str, ...] = (),
    ) -> ChangeOutcome:
        if self._backend is None:
            raise Unavailable("TRUST_STORE_READ_ONLY")
        with self._write_lock:
            for _ in range(_MAX_ATTEMPTS):
                current = self._backend.load()
                try:
                    if expected_version is not None and expected_version != current.version:
                        raise _stale(expected_version, current.version)
                    change = plan(current)
                except KysoError as err:
                    self.record_refusal(
                        actor,
                        action,
                        err,
                        reason=reason,
                        version=current.version,
                        subjects=subjects,
                    )
                    raise
                if change.empty:
                    return ChangeOutcome(version=current.version)
                new = TrustSnapshot(version=current.version + 1, entries=change.entries)
                draft = AuditDraft(
                    actor=actor,
                    action=action,
                    outcome="applied",
                    reason=reason.strip(),
                    version=new.version,
                    before=tuple(e.sha256 for e in current.entries),
                    after=tuple(e.sha256 for e in new.entries),
                    subjects=change.subjects,
                )
                entry = self._backend.commit(current, new, draft)
                if entry is not None:
                    with self._publish_lock:  # what was just committed is authoritative
                        self.replace(new)
                    log.info("trust store: %s by %s -> version %d", action, actor, new.version)
                    return ChangeOutcome(new.version, change.added, change.removed, entry.seq)
                if expected_version is not None:  # someone else won the race
                    lost = _stale(expected_version, expected_version + 1)
                    self.record_refusal(
                        actor,
                        action,
                        lost,
                        reason=reason,
                        version=current.version,
                        subjects=subjects,
                    )
                    raise lost
            raise Unavailable("TRUST_STORE_BUSY")

    def record_refusal(
        self,
        actor: str,
        action: str,
        err: KysoError,
        *,
        reason: str = "",
        version: int | None = None,
        subjects: tuple[str, ...] = (),
    ) -> None:
        """Audit a refused attempt; failure to audit is logged, never hides the refusal."""
        if self.audit is None:
            return
        try:
            self.audit.append(
                AuditDraft(
                    actor=actor,
                    action=action,
                    outcome="refused",
                    reason=(reason or "").strip()[:2000],
                    version=self._snapshot.version if version is None else version,
                    subjects=subjects,
                    code=err.code,
                )
            )
        except (KysoError, OSError):
            log.warning("could not audit a refused %s attempt by %s", action, actor)

    def add(
        self,
        data: bytes,
        *,
        actor: str,
        reason: str,
        purposes: Iterable[Purpose] = (),
        role: TrustRole | None = None,
        allow_expired: bool = False,
        expected_version: int | None = None,
    ) -> ChangeOutcome:
        """Add one certificate (PEM or DER) for ``purposes`` (none: every purpose) as ``role``
        (None: an anchor when self-signed, else an intermediate).

        Raises :class:`InvalidInput` (not exactly one certificate, not a CA, an anchor that is
        not self-signed, no reason), :class:`Precondition` (expired or not yet valid, unless
        ``allow_expired``), :class:`AlreadyExists`, :class:`Aborted` (``expected_version`` is
        stale) and :class:`Unavailable` (read-only or busy). Refusals are audited as well."""
        certs = self._parse(data, actor, "add", reason)
        if len(certs) != 1:
            refusal = InvalidInput("TRUST_ONE_CERTIFICATE")
            self.record_refusal(actor, "add", refusal, reason=reason)
            raise refusal
        fps = tuple(sha256_fingerprint(c) for c in certs)
        return self._apply(
            actor=actor,
            action="add",
            reason=reason,
            expected_version=expected_version,
            subjects=fps,
            plan=lambda cur: plan_add(
                cur,
                certs,
                actor=actor,
                reason=reason,
                purposes=purposes,
                role=role,
                allow_expired=allow_expired,
            ),
        )

    def import_bundle(
        self,
        data: bytes,
        *,
        actor: str,
        reason: str,
        purposes: Iterable[Purpose] = (),
        allow_expired: bool = False,
        skip_existing: bool = False,
        expected_version: int | None = None,
    ) -> ChangeOutcome:
        """Add every certificate of a PEM bundle, PKCS#7 or DER file, roles by self-signature;
        ``skip_existing`` ignores those already present instead of refusing. Same errors as
        :meth:`add`, and one audit entry for the whole import."""
        certs = self._parse(data, actor, "import", reason)
        fps = tuple(sha256_fingerprint(c) for c in certs)
        return self._apply(
            actor=actor,
            action="import",
            reason=reason,
            expected_version=expected_version,
            subjects=fps,
            plan=lambda cur: plan_add(
                cur,
                certs,
                actor=actor,
                reason=reason,
                purposes=purposes,
                allow_expired=allow_expired,
                skip_existing=skip_existing,
            ),
        )

    def install_bundle(
        self, name: str, *, actor: str, reason: str, expected_version: int | None = None
    ) -> ChangeOutcome:
        """Install a named bundle shipped with kyso (``trust_store/bundles/<name>``), with the roles
        and purposes of its manifest. Pinned: expired roots are kept (old signatures need them) and
        present certificates are skipped. Raises :class:`NotFound` (unknown bundle) and
        :class:`Precondition` (a broken manifest or a certificate failing its pin)."""
        try:
            bundle = _bundles.load_bundle(name, self.bundles_path)
        except KysoError as err:
            self.record_refusal(actor, "install_bundle", err, reason=reason or name)
            raise
        certs = [b.certificate for b in bundle.certificates]
        purposes = {sha256_fingerprint(b.certificate): b.purposes for b in bundle.certificates}
        roles = {sha256_fingerprint(b.certificate): b.role for b in bundle.certificates}
        why = (reason or "").strip() or f"install bundle {name}"
        return self._apply(
            actor=actor,
            action="install_bundle",
            reason=why,
            expected_version=expected_version,
            subjects=tuple(purposes),
            # Bundle certificates are pinned: an expired root stays (old signatures need it).
            plan=lambda cur: plan_add(
                cur,
                certs,
                actor=actor,
                reason=why,
                skip_existing=True,
                allow_expired=True,
                purposes_by_fingerprint=purposes,
                role_by_fingerprint=roles,
            ),
        )

    def remove(
        self,
        fingerprint: str,
        *,
        actor: str,
        reason: str,
        confirm_in_use: bool = False,
        expected_version: int | None = None,
    ) -> ChangeOutcome:
        """Remove the entry whose SHA-256 fingerprint starts with ``fingerprint`` (colons allowed).

        An anchor still valid, or with certificates of the store chaining to it, is removed only
        with ``confirm_in_use`` (signatures may depend on it). Raises :class:`NotFound`,
        :class:`InvalidInput` (ambiguous prefix, no reason), :class:`Precondition`
        (such an anchor without confirmation), :class:`Aborted` and
        :class:`Unavailable` as :meth:`add`."""
        return self._apply(
            actor=actor,
            action="remove",
            reason=reason,
            expected_version=expected_version,
            subjects=(fingerprint.replace(":", "").strip().upper()[:64],),
            plan=lambda cur: plan_remove(
                cur, fingerprint, reason=reason, confirm_in_use=confirm_in_use
            ),
        )

    def _parse(self, data: bytes, actor: str, action: str, reason: str) -> list[x509.Certificate]:
        try:
            return parse_bundle(data)
        except KysoError as err:
            self.record_refusal(actor, action, err, reason=reason)
            raise

    # -- reading helpers for the API ----------------------------------------------

    def get(self, fingerprint: str) -> TrustEntry:
        """The entry whose fingerprint starts with ``fingerprint``.

        Raises :class:`NotFound`, or :class:`InvalidInput` for an ambiguous prefix."""
        return find(self._snapshot, fingerprint)

    def history(self, limit: int = 100, fingerprint: str = "") -> list[AuditEntry]:
        """The last ``limit`` audit entries (all when ``limit`` <= 0), oldest first, optionally only
        those about certificates whose fingerprint starts with ``fingerprint``."""
        if self.audit is None:
            return []
        entries = self.audit.entries(None if fingerprint or limit <= 0 else limit)
        if fingerprint:
            prefix = fingerprint.replace(":", "").upper()
            entries = [e for e in entries if any(s.startswith(prefix) for s in e.subjects)]
        return entries[-limit:] if limit > 0 else entries

    def verify_audit(self) -> AuditReport:
        """Check the audit chain (hashes and sequence); an empty report without an audit log."""
        if self.audit is None:
            return AuditReport()
        return self.audit.verify()

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        """Follow changes made by other processes or replicas (the backend's watcher thread)."""
        if self._backend is not None:
            self._backend.start(self._followed)

    def close(self) -> None:
        """Stop following changes and release the backend."""
        if self._backend is not None:
            self._backend.close()


def _stale(expected: int, current: int) -> Aborted:
    return Aborted("TRUST_VERSION_CONFLICT", expected=expected, current=current)


def open_store(
    settings: TrustStoreSettings, home: Path, redis_url: str | None = None
) -> TrustStore:
    """Local directory by default; Redis (seeded from the directory once) with ``redis_url``.

    ``home`` is the data directory: the default place of the store and its audit log, and
    of this replica's copy of the shared state.
    """
    ts = settings
    path = ts.store_path(home)
    if redis_url:
        import redis

        from trust_store.backends.redis import RedisBackend

        client = redis.Redis.from_url(
            redis_url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=5
        )
        audit: AuditLog[AuditDraft, AuditEntry] = RedisAuditLog.trust(client, ts.redis_namespace)
        # This replica's copy of the shared state: served if it restarts while Redis is down.
        copy_path = home / "cache" / f"trust-{ts.redis_namespace}.json"
        copy = read_snapshot_file(copy_path)
        seed = copy if copy is not None and copy.version >= 1 else load_local(path)
        backend: StorageBackend = RedisBackend(
            client,
            audit,  # type: ignore[arg-type]
            namespace=ts.redis_namespace,
            poll_seconds=ts.redis_poll_seconds,
            seed=seed,
        )
        try:
            first = backend.load()
        except Unavailable:
            log.warning(
                "trust store: Redis unreachable at start; serving version %d from the "
                "last local copy",
                seed.version,
            )
            first = seed
    else:
        audit = FileAuditLog.trust(ts.audit_file(home))
        backend = LocalDirectoryBackend(path, audit, ts.keep_versions)
        if (path / "versions").is_dir():  # a managed store; a bootstrap one has nothing to mend
            try:
                backend.recover()
            except OSError:
                log.warning("trust store: cannot tidy %s after a crash (read-only?)", path)
        first = backend.load()
    store = TrustStore(first, backend=backend, audit=audit, bundles_path=ts.bundles_path)
    if redis_url:
        store.on_change(lambda snap: _keep_copy(copy_path, snap))
        _keep_copy(copy_path, first)
    store.start()
    return store


def _keep_copy(path: Path, snapshot: TrustSnapshot) -> None:
    if snapshot.version < 1:
        return
    try:
        write_snapshot_file(path, snapshot)
    except OSError:
        log.warning("trust store: cannot write the local copy %s", path)
