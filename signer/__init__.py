"""PAdES signing for kyso (see docs/signing.md).

Public surface: :class:`SigningService`, the request/result types of :mod:`signer.model`
and the settings of :mod:`signer.settings` (:class:`SignerSettings`, :class:`KeySettings`).
"""

from signer.model import Level, Placement, Profile, SignOptions, SignResult
from signer.pdf_signer import SigningService
from signer.placement import Box
from signer.settings import KeySettings, SignerSettings

__all__ = [
    "Box",
    "KeySettings",
    "Level",
    "Placement",
    "Profile",
    "SignOptions",
    "SignResult",
    "SignerSettings",
    "SigningService",
]
