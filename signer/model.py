"""What a signing request asks for and what it gives back (independent of gRPC)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from signer.placement import SignatureBox


class Profile(enum.Enum):
    """Decree 30/2020 Appendix I signature kinds."""

    PERSONAL = "personal"
    ORGANISATION = "organisation"
    ATTACHMENT = "attachment"


class PadesLevel(enum.Enum):
    """PAdES baseline levels, in increasing order."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"

    @property
    def rank(self) -> int:
        return list(PadesLevel).index(self)


@dataclass(frozen=True)
class Placement:
    """At most one of the three; all ``None`` means the profile's default."""

    anchor_text: str | None = None
    field_name: str | None = None
    rect: SignatureBox | None = None


@dataclass(frozen=True)
class SignOptions:
    profile: Profile | None = None
    level: PadesLevel | None = None
    placement: Placement = field(default_factory=Placement)
    image_png: bytes | None = None
    document_number: str | None = None
    reason: str | None = None
    location: str | None = None
    field_name: str | None = None


@dataclass(frozen=True)
class SignResult:
    field_name: str
    profile: Profile
    level: PadesLevel
    signer_subject: str
    signing_time: datetime
    box: SignatureBox | None
    size: int
    sha256: str
