"""Trust anchors and intermediates managed by security officers.

Public surface: :class:`TrustSnapshot` (what signer and verifier read),
:class:`TrustEntry`, :class:`Purpose`, :class:`Role`, and :func:`open_store`.
"""

from trust_store.model import Purpose, Role, TrustEntry, TrustSnapshot, sha256_fingerprint
from trust_store.store import TrustStore, open_store

__all__ = [
    "Purpose",
    "Role",
    "TrustEntry",
    "TrustSnapshot",
    "TrustStore",
    "open_store",
    "sha256_fingerprint",
]
