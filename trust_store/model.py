"""The trust store's data model, shared read-only with the signer and verifier."""

from __future__ import annotations

import enum
import functools
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import x509


class Purpose(enum.Enum):
    """What a trusted certificate may vouch for."""

    SIGNATURE = "signature"
    TIMESTAMPING = "timestamping"
    OCSP_SIGNING = "ocsp_signing"


class TrustRole(enum.Enum):
    """The place of a certificate in the store (``kyso.v1.TrustRole``): an anchor is a
    self-signed root a chain may end at; an intermediate only helps to build chains."""

    ANCHOR = "anchor"
    INTERMEDIATE = "intermediate"


def sha256_fingerprint(cert: x509.Certificate) -> str:
    """Upper-case hex SHA-256 of the DER encoding, the name officers use."""
    return hashlib.sha256(cert.dump()).hexdigest().upper()


@dataclass(frozen=True)
class TrustEntry:
    """One trusted certificate: its role, the purposes it may vouch for, and who added it, when
    and why (from the audit of the change that added it)."""

    certificate: x509.Certificate
    role: TrustRole
    purposes: frozenset[Purpose]
    added_by: str = ""
    added_at: datetime | None = None
    reason: str = ""

    @functools.cached_property
    def sha256(self) -> str:
        """Computed once per entry: readers look entries up on every verification."""
        return sha256_fingerprint(self.certificate)


@dataclass(frozen=True)
class TrustSnapshot:
    """An immutable view of the store at one version; cheap to pass around."""

    version: int
    entries: tuple[TrustEntry, ...] = field(default_factory=tuple)

    def anchors(self, purpose: Purpose = Purpose.SIGNATURE) -> list[x509.Certificate]:
        """Anchors trusted for ``purpose`` (signatures by default)."""
        return [
            e.certificate
            for e in self.entries
            if e.role is TrustRole.ANCHOR and purpose in e.purposes
        ]

    def intermediates(self) -> list[x509.Certificate]:
        """Every intermediate, whatever its purposes: they only help to build chains."""
        return [e.certificate for e in self.entries if e.role is TrustRole.INTERMEDIATE]
