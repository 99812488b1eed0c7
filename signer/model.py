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
        """0 for B-B up to 3 for B-LTA: ``a.rank >= PadesLevel.B_T.rank`` means a timestamp."""
        return list(PadesLevel).index(self)


@dataclass(frozen=True)
class Placement:
    """At most one of the three; all ``None`` means the profile's default."""

    anchor_text: str | None = None
    field_name: str | None = None
    rect: SignatureBox | None = None


@dataclass(frozen=True)
class SignOptions:
    """What a Sign request asks for; ``None`` means the key's first profile, the configured
    level, the profile's default placement and the key's configured image.

    ``document_number`` is drawn on an attachment (Decree 30/2020 Appendix I), ``reason`` and
    ``location`` go into the signature dictionary, ``field_name`` names the new field."""

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
    """A signed document's description: ``box`` is where the visible signature went (None in
    an existing field), ``size`` the output's length in bytes and ``sha256`` its SHA-256 in
    lower-case hex (empty when the caller asked not to hash); ``pdfa`` the PDF/A identification
    the document declared and the signature kept (``PDF/A-1B``), empty when it declares none."""

    field_name: str
    profile: Profile
    level: PadesLevel
    signer_subject: str
    signing_time: datetime
    box: SignatureBox | None
    size: int
    sha256: str
    pdfa: str = ""  # the PDF/A part kept, "PDF/A-1B"; empty for a document not declaring one


@dataclass(frozen=True)
class DocumentWork:
    """What a worker needs for one signature's PDF work.

    ``certificate`` and ``chain``: DER. ``key_name``: the server key (its ``[[keys]]`` table
    is looked up by the worker; None for a two-step caller's certificate). ``mechanism``: DER
    ``SignedDigestAlgorithm`` the key signs with (None: two-step, the certificate's default).
    ``der_size``: DER bytes of certificate and chain as the key counts them (for the
    placeholder); ``subject``: the summary's signer name."""

    certificate: bytes
    chain: tuple[bytes, ...]
    options: SignOptions
    key_name: str | None = None
    mechanism: bytes | None = None
    der_size: int | None = None
    subject: str | None = None

    @property
    def two_step(self) -> bool:
        return self.key_name is None


@dataclass(frozen=True)
class PreparedDocument:
    """A two-step signature waiting for the client: the DER ``signed_attributes`` to sign, the
    ByteRange ``document_digest`` (SHA-256) and the placeholder's ``start``/``end`` offsets
    (bytes) in the prepared file; ``result`` without size and SHA-256."""

    signed_attributes: bytes
    document_digest: bytes
    start: int
    end: int
    result: SignResult
