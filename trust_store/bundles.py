"""Named certificate bundles shipped with kyso (``vn-gov``) or provided by the site.

A bundle is a directory with ``manifest.json`` and PEM files; the manifest
pins each file's SHA-256, its role and purposes.  A file that does not match
its pin is refused and nothing from the bundle is installed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import x509

from kyso.errors import InvalidInput, NotFound, Precondition
from trust_store.certificates import parse_bundle
from trust_store.model import Purpose, TrustRole, sha256_fingerprint

SHIPPED = Path(__file__).resolve().parent / "bundles"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class BundleCertificate:
    """One pinned file of a bundle: the certificate, its role and purposes, the file name."""

    certificate: x509.Certificate
    role: TrustRole
    purposes: frozenset[Purpose]
    file: str


@dataclass(frozen=True)
class Bundle:
    """A named set of pinned certificates shipped with kyso (``trust_store/bundles/<name>``)."""

    name: str
    description: str
    certificates: tuple[BundleCertificate, ...]


def _bundle_dir(name: str, extra: Path | None) -> Path:
    if not _NAME.match(name or ""):
        raise InvalidInput("TRUST_BAD_BUNDLE_NAME")
    for root in (extra, SHIPPED):
        if root is not None and (root / name / "manifest.json").is_file():
            return root / name
    raise NotFound("TRUST_BUNDLE_NOT_FOUND", bundle=name)


def available(extra: Path | None = None) -> list[str]:
    """Names of the bundles shipped with kyso and of those under ``extra`` (sorted)."""
    names: set[str] = set()
    for root in (extra, SHIPPED):
        if root is not None and root.is_dir():
            names.update(p.parent.name for p in root.glob("*/manifest.json"))
    return sorted(names)


def _mismatch(file: str, detail: str) -> Precondition:
    return Precondition("TRUST_BUNDLE_PIN_MISMATCH", file=file, problem=detail)


def load_bundle(name: str, extra: Path | None = None) -> Bundle:
    """Read and pin-check a bundle; raises before anything is installed."""
    directory = _bundle_dir(name, extra)
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        items = manifest["certificates"]
        # The manifest's shape, checked before any file is read: a list of objects whose
        # role and purposes are known values (a wrong type is a broken bundle, not a crash).
        entries = [
            (
                str(item["file"]),
                str(item["sha256"]),
                TrustRole(item["role"]),
                frozenset(Purpose(p) for p in item["purposes"]),
            )
            for item in items
        ]
        description = str(manifest.get("description", ""))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Precondition("TRUST_BUNDLE_BROKEN", bundle=name) from exc
    certs: list[BundleCertificate] = []
    for file, sha256, role, purposes in entries:
        if "/" in file or file.startswith("."):
            raise _mismatch(file, "bad file name")
        try:
            data = (directory / file).read_bytes()
        except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
            raise _mismatch(file, "missing") from exc
        try:
            parsed = parse_bundle(data)
        except InvalidInput as exc:
            raise _mismatch(file, "not a certificate") from exc
        pin = sha256.replace(":", "").upper()
        if len(parsed) != 1 or sha256_fingerprint(parsed[0]) != pin:
            raise _mismatch(file, f"expected {pin[:8]}…{pin[-4:]}")
        certs.append(
            BundleCertificate(certificate=parsed[0], role=role, purposes=purposes, file=file)
        )
    return Bundle(name=name, description=description, certificates=tuple(certs))
