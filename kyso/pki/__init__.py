"""The PKI layer below signing and validation.

Public modules, imported by name (nothing is imported here):

* :mod:`kyso.pki.revocation_cache` -- the shared OCSP/CRL cache (in process, and in Redis when
  configured) in front of pyhanko-certvalidator's fetchers.
"""

__all__ = ["revocation_cache"]
