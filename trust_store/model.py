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
    ANCHOR = "anchor"
    INTERMEDIATE = "intermediate"


def sha256_fingerprint(cert: x509.Certificate) -> str:
    """Upper-case hex SHA-256 of the DER encoding, the name officers use."""
    return hashlib.sha256(cert.dump()).hexdigest().upper()


@dataclass(frozen=True)
class TrustEntry:
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
        return [
            e.certificate
            for e in self.entries
            if e.role is TrustRole.ANCHOR and purpose in e.purposes
        ]

    def intermediates(self) -> list[x509.Certificate]:
        return [e.certificate for e in self.entries if e.role is TrustRole.INTERMEDIATE]
