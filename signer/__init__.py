"""PAdES signing for kyso (see docs/signing.md).

Public surface: :class:`SigningService`, the request/result types of :mod:`signer.model`
(:class:`PadesLevel`, :class:`Profile`, :class:`Placement`, :class:`SignOptions`,
:class:`SignResult`), :class:`SignatureBox` (where a visible signature goes) and the settings of
:mod:`signer.settings` (:class:`SignerSettings`, :class:`KeySettings`).
"""

from signer.model import PadesLevel, Placement, Profile, SignOptions, SignResult
from signer.pdf_signer import SigningService
from signer.placement import SignatureBox
from signer.settings import KeySettings, SignerSettings

__all__ = [
    "KeySettings",
    "PadesLevel",
    "Placement",
    "Profile",
    "SignOptions",
    "SignResult",
    "SignatureBox",
    "SignerSettings",
    "SigningService",
]
