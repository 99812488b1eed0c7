"""Signing keys: the registry, the PKCS#11 session pool, key files and CMS templates."""

from signer.keys.registry import KeyRegistry

__all__ = ["KeyRegistry"]
