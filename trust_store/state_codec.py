"""The persistent form of a trust snapshot (JSON metadata plus PEM certificates).

Shared by the local-directory and Redis storage so both hold exactly the same
information; a snapshot read back is checked against the fingerprints written.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import pem, x509

from kyso.errors import Internal
from kyso.pki.parsed import materialise
from trust_store.model import Purpose, TrustEntry, TrustRole, TrustSnapshot, sha256_fingerprint

FORMAT = "kyso-trust-store/1"


class CorruptStateError(Internal):
    """A stored state does not match its own metadata (never shown to callers as is).

    Raised with TRUST_STORE_CORRUPT; its own class so that readers can skip a bad version.
    """


def entry_metadata(entry: TrustEntry) -> dict[str, Any]:
    return {
        "sha256": entry.sha256,
        "file": pem_filename(entry),
        "subject": entry.certificate.subject.human_friendly,
        "role": entry.role.value,
        "purposes": sorted(p.value for p in entry.purposes),
        "added_by": entry.added_by,
        "added_at": entry.added_at.isoformat() if entry.added_at else None,
        "reason": entry.reason,
    }


def pem_filename(entry: TrustEntry) -> str:
    return f"{entry.sha256.lower()}.pem"


def entry_from_metadata(meta: dict[str, Any], cert: x509.Certificate) -> TrustEntry:
    if sha256_fingerprint(cert) != str(meta["sha256"]).upper():
        raise CorruptStateError(
            "TRUST_STORE_CORRUPT",
            problem=f"certificate does not match its recorded fingerprint {meta['sha256']}",
        )
    added_at = meta.get("added_at")
    return TrustEntry(
        certificate=cert,
        role=TrustRole(meta["role"]),
        purposes=frozenset(Purpose(p) for p in meta["purposes"]),
        added_by=str(meta.get("added_by", "")),
        added_at=datetime.fromisoformat(added_at) if added_at else None,
        reason=str(meta.get("reason", "")),
    )


def metadata_document(
    snapshot: TrustSnapshot, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": snapshot.version,
        "entries": [entry_metadata(e) for e in snapshot.entries],
        **(extra or {}),
    }


def encode_inline(snapshot: TrustSnapshot) -> str:
    """One JSON document with the PEMs inline (the Redis form)."""
    doc = metadata_document(snapshot)
    for meta, entry in zip(doc["entries"], snapshot.entries, strict=True):
        meta["pem"] = pem.armor("CERTIFICATE", entry.certificate.dump()).decode()
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)


def decode_inline(text: str | bytes) -> TrustSnapshot:
    try:
        doc = json.loads(text)
        if doc.get("format") != FORMAT:
            raise ValueError("unknown format")
        entries = []
        for meta in doc["entries"]:
            _, _, der = pem.unarmor(meta["pem"].encode())
            # a snapshot's certificates are read by every request thread at once
            cert = materialise(x509.Certificate.load(der))
            entries.append(entry_from_metadata(meta, cert))
        return TrustSnapshot(version=int(doc["version"]), entries=tuple(entries))
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptStateError("TRUST_STORE_CORRUPT", problem="unreadable state") from exc


def write_snapshot_file(path: Path, snapshot: TrustSnapshot) -> None:
    """Atomically replace ``path`` with ``snapshot`` (a replica's copy of the Redis state)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, encode_inline(snapshot).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_snapshot_file(path: Path) -> TrustSnapshot | None:
    """The copy written by :func:`write_snapshot_file`, or None if absent or unreadable."""
    try:
        return decode_inline(path.read_bytes())
    except (OSError, CorruptStateError):
        return None
