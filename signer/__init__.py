"""PAdES signing for kyso (see docs/signing.md).

Public surface: :class:`SigningService` and the request/result types of
:mod:`signer.model`.
"""

from signer.model import Level, Placement, Profile, SignOptions, SignResult
from signer.pdf_signer import SigningService
from signer.placement import Box

__all__ = ["Box", "Level", "Placement", "Profile", "SignOptions", "SignResult", "SigningService"]
