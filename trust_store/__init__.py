"""Trust anchors and intermediates managed by security officers.

Public surface: :class:`TrustSnapshot` (what signer and verifier read),
:class:`TrustEntry`, :class:`Purpose`, :class:`Role`, :class:`TrustStore`,
:func:`open_store` and its :class:`TrustStoreSettings`.  Storage (local directory or Redis)
and the audit chain live in their own modules.
"""

from trust_store.model import Purpose, Role, TrustEntry, TrustSnapshot, sha256_fingerprint
from trust_store.settings import TrustStoreSettings
from trust_store.store import ChangeOutcome, TrustStore, open_store

__all__ = [
    "ChangeOutcome",
    "Purpose",
    "Role",
    "TrustEntry",
    "TrustSnapshot",
    "TrustStore",
    "TrustStoreSettings",
    "open_store",
    "sha256_fingerprint",
]
