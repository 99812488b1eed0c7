"""The trust store's settings: the ``[trust_store]`` section.

It also carries the revocation cache's timings: the cache sits beside the trust store and
shares its Redis namespace (``kyso.pki.revocation_cache`` takes them as plain parameters).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from kyso.settings import OptionalDirectoryPath, OptionalNewFilePath, SettingsModel


class TrustStoreSettings(SettingsModel):
    """Where the trust store and its audit log live, and how replicas share them."""

    path: OptionalDirectoryPath = Field(
        None, description="local trust store directory (default `<home>/trust`)"
    )
    audit_path: OptionalNewFilePath = Field(
        None, description="audit log file (default `<home>/audit/trust-store.log`)"
    )
    officer_tokens_file: OptionalNewFilePath = Field(
        None,
        description="legacy: tokens with the roles security_officer and auditor "
        "(default `<home>/auth/officer-tokens`; prefer [[clients]] with token = true)",
    )
    reader_tokens_file: OptionalNewFilePath = Field(
        None,
        description="legacy: tokens with the role auditor "
        "(default `<home>/auth/reader-tokens`; prefer [[clients]] with token = true)",
    )
    redis_namespace: str = Field(
        "kyso",
        min_length=1,
        description="key prefix in Redis; the replicas of one deployment share it",
    )
    bundles_path: OptionalDirectoryPath = Field(
        None, description="extra directory of site bundles (`<name>/manifest.json`)"
    )
    keep_versions: int = Field(
        10, ge=0, description="local store: old versions kept on disk (Redis: they expire)"
    )
    redis_poll_seconds: float = Field(
        0.5, gt=0, description="version poll beside pub/sub, so replicas converge within 1 s"
    )
    revocation_fallback_ttl_seconds: int = Field(
        600, ge=0, description="how long an OCSP response or CRL without nextUpdate is reused"
    )
    revocation_stale_grace_seconds: int = Field(
        86400, ge=0, description="an expired answer is served this long if the responder is down"
    )
    revocation_timeout_seconds: float = Field(
        5.0, gt=0, description="timeout of one OCSP/CRL/AIA request"
    )

    def store_path(self, home: Path) -> Path:
        """The local trust store directory: ``path``, else ``<home>/trust``."""
        return self.path or (home / "trust")

    def audit_file(self, home: Path) -> Path:
        """The audit log: ``audit_path``, else ``<home>/audit/trust-store.log``."""
        return self.audit_path or (home / "audit" / "trust-store.log")


__all__ = ["TrustStoreSettings"]
