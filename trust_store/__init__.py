"""Trust anchors and intermediates managed by security officers.

Public surface: :class:`TrustSnapshot` (what signer and verifier read),
:class:`TrustEntry`, :class:`Purpose`, :class:`TrustRole`, :class:`TrustStore`,
:func:`open_store` and its :class:`TrustStoreSettings`.  Storage (:mod:`trust_store.backends`:
a local directory or Redis), the audit chain, the change rules and the bundles live in their
own modules.
"""

from trust_store.model import Purpose, TrustEntry, TrustRole, TrustSnapshot, sha256_fingerprint
from trust_store.settings import TrustStoreSettings
from trust_store.store import ChangeOutcome, TrustStore, open_store

__all__ = [
    "ChangeOutcome",
    "Purpose",
    "TrustEntry",
    "TrustRole",
    "TrustSnapshot",
    "TrustStore",
    "TrustStoreSettings",
    "open_store",
    "sha256_fingerprint",
]
