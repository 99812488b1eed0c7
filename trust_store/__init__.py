"""Trust anchors and intermediates managed by security officers.

Public surface: :class:`TrustSnapshot` (what signer and verifier read),
:class:`TrustEntry`, :class:`Purpose`, :class:`Role`, :class:`TrustStore` and
:func:`open_store`.  Storage (local directory or Redis), the audit chain and
the revocation cache live in their own modules.
"""

from trust_store.model import Purpose, Role, TrustEntry, TrustSnapshot, sha256_fingerprint
from trust_store.store import ChangeOutcome, TrustStore, open_store

__all__ = [
    "ChangeOutcome",
    "Purpose",
    "Role",
    "TrustEntry",
    "TrustSnapshot",
    "TrustStore",
    "open_store",
    "sha256_fingerprint",
]
