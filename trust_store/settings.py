"""The trust store's settings: the ``[trust_store]`` section, and the ``[audit]`` section of
every audit chain (the trust store's and the signing audit share the format of
:mod:`trust_store.audit` and its signed checkpoints, :mod:`trust_store.checkpoints`).

It also carries the revocation cache's timings: the cache sits beside the trust store and
shares its Redis namespace (``kyso.pki.revocation_cache`` takes them as plain parameters).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, model_validator

from kyso.errors import InvalidInput
from kyso.settings import (
    OptionalDirectoryPath,
    OptionalFilePath,
    OptionalNewFilePath,
    SettingsModel,
)


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

    def store_path(self, home: Path) -> Path:
        """The local trust store directory: ``path``, else ``<home>/trust``."""
        return self.path or (home / "trust")

    def audit_file(self, home: Path) -> Path:
        """The audit log: ``audit_path``, else ``<home>/audit/trust-store.log``."""
        return self.audit_path or (home / "audit" / "trust-store.log")


class AuditSettings(SettingsModel):
    """The ``[audit]`` section: signed checkpoints of both audit chains.

    The head of each chain is signed every ``checkpoint_every`` entries and at shutdown with
    ``checkpoint_key``; ``kyso audit verify`` checks the checkpoints with the public keys
    pinned in ``checkpoint_public_key``, never with a key found beside the checkpoints.
    """

    checkpoint_every: int = Field(
        100,
        ge=1,
        le=1_000_000,
        description="sign the chain's head every N entries (and at shutdown)",
    )
    checkpoint_key: OptionalNewFilePath = Field(
        None,
        description="private key (PEM, Ed25519/EC/RSA, unencrypted, mode 0600) signing the "
        "checkpoints (default `<home>/audit/checkpoint.key`, an Ed25519 key created on first "
        "start)",
    )
    checkpoint_public_key: OptionalNewFilePath = Field(
        None,
        description="the pinned public key(s) (PEM; old keys may stay for old checkpoints) "
        "checkpoints are checked with (default `<home>/audit/checkpoint.pub`, written when "
        "the default key is created)",
    )

    checkpoint_pkcs11_module: str | None = Field(
        None,
        description="PKCS#11 library of the token holding the checkpoint key (EC or RSA), "
        "instead of `checkpoint_key`; needs `checkpoint_key_label` and `checkpoint_public_key`",
    )
    checkpoint_token_label: str | None = Field(
        None, description="pkcs11: label of that token (default: the module's only token)"
    )
    checkpoint_key_label: str | None = Field(
        None, description="pkcs11: CKA_LABEL of the checkpoint's private key"
    )
    checkpoint_pin_env: str | None = Field(
        None, description="pkcs11: environment variable holding the token's user PIN"
    )
    checkpoint_pin_file: OptionalFilePath = Field(
        None, description="pkcs11: file holding the token's user PIN (mode 0600)"
    )

    @model_validator(mode="after")
    def _one_key(self) -> AuditSettings:
        if self.checkpoint_pkcs11_module is None:
            return self
        if self.checkpoint_key is not None:
            raise ValueError("checkpoint_key and checkpoint_pkcs11_module exclude each other")
        if not self.checkpoint_key_label:
            raise ValueError("checkpoint_pkcs11_module needs checkpoint_key_label")
        if self.checkpoint_public_key is None:
            raise ValueError(
                "checkpoint_pkcs11_module needs checkpoint_public_key (the pinned public key)"
            )
        if self.checkpoint_pin_env and self.checkpoint_pin_file:
            raise ValueError("checkpoint_pin_env and checkpoint_pin_file exclude each other")
        return self

    def read_checkpoint_pin(self) -> str | None:
        """The token PIN, read now (never kept); :class:`InvalidInput` (``KEY_PIN_MISSING``)
        when ``checkpoint_pin_env`` names an unset variable."""
        if self.checkpoint_pin_env:
            value = os.environ.get(self.checkpoint_pin_env)
            if value is None:
                raise InvalidInput(
                    "KEY_PIN_MISSING", key="audit checkpoint", variable=self.checkpoint_pin_env
                )
            return value
        if self.checkpoint_pin_file:
            return self.checkpoint_pin_file.read_text(encoding="utf-8").strip()
        return None

    def key_file(self, home: Path) -> Path:
        """``checkpoint_key``, else ``<home>/audit/checkpoint.key``."""
        return self.checkpoint_key or (home / "audit" / "checkpoint.key")

    def public_key_file(self, home: Path) -> Path:
        """``checkpoint_public_key``, else ``<home>/audit/checkpoint.pub``."""
        return self.checkpoint_public_key or (home / "audit" / "checkpoint.pub")


__all__ = ["AuditSettings", "TrustStoreSettings"]
