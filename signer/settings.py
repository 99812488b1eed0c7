"""The signer's settings: the ``[signer]`` section and each ``[[keys]]`` table.

Secrets never live in the file: a key's PIN or passphrase is named by ``pin_env`` (an
environment variable) or ``pin_file`` (a file readable only by kyso) and read by
:meth:`KeySettings.read_pin` at the moment it is needed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from kyso.errors import InvalidInput
from kyso.settings import (
    FilePaths,
    OptionalFilePath,
    OptionalNewFilePath,
    SettingsModel,
    shorten,
)

ProfileName = Literal["personal", "organisation", "attachment"]
LevelName = Literal["B-B", "B-T", "B-LT", "B-LTA"]
#: How a key's owner authorises each use (docs/security.md, "Owner consent").
ConsentKind = Literal["totp", "pin", "none"]


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _lower_all(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(v.lower() if isinstance(v, str) else v for v in value)
    return value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class KeySettings(SettingsModel):
    """One signing key, named for callers; ``backend`` says where it lives."""

    name: str = Field(min_length=1, description="the name callers give in SignRequest.key")
    backend: Literal["pkcs11", "pkcs12", "pem"] = Field(
        "pkcs11", description="where the private key lives"
    )
    profiles: Annotated[tuple[ProfileName, ...], BeforeValidator(_lower_all)] = Field(
        ("personal",),
        min_length=1,
        description="signature kinds the key may make (Decree 30/2020 Appendix I); "
        '`profile = "..."` is accepted for one',
    )
    certificate: OptionalFilePath = Field(
        None, description="PEM/DER certificate; for pkcs11 optional when it is on the token"
    )
    chain: FilePaths = Field((), description="intermediate CA certificates (PEM/DER files)")
    image: OptionalFilePath = Field(None, description="signature or seal PNG")
    module: str | None = Field(None, description="pkcs11: the vendor's PKCS#11 library")
    module_env: dict[str, str] = Field(
        {},
        description="pkcs11: environment variables the module reads, set by kyso before it "
        'loads the module (e.g. `{ SOFTHSM2_CONF = "/var/lib/kyso/softhsm2.conf" }`)',
    )
    token_label: str | None = Field(None, description="pkcs11: label of the token")
    key_label: str | None = Field(None, description="pkcs11: CKA_LABEL of the private key")
    key_id: str | None = Field(
        None, pattern=r"^[0-9A-Fa-f]+$", description="pkcs11: CKA_ID of the private key, hex"
    )
    pool_size: int = Field(4, ge=1, description="pkcs11: sessions kept open on the token")
    key_file: OptionalFilePath = Field(None, description="pkcs12/pem: the key file")
    pin_env: str | None = Field(
        None, description="environment variable holding the PIN or passphrase"
    )
    pin_file: OptionalFilePath = Field(
        None, description="file holding the PIN or passphrase (mode 0600)"
    )
    title: str | None = Field(
        None, description='signer\'s title in appearances, e.g. "KT. CHỦ TỊCH"'
    )
    display_name: str | None = Field(
        None, description="name shown in appearances instead of the certificate's"
    )
    seal_diameter_mm: float = Field(36.0, gt=0, description="diameter of the seal image, mm")
    prefer_pss: bool = Field(
        False, description="RSA keys sign with RSASSA-PSS (Circular 15/2025), not PKCS#1 v1.5"
    )
    consent: ConsentKind | None = Field(
        None,
        description="owner's authorisation for each use (remote signing, ETSI TS 119 431-1 "
        'SCAL2): `"totp"` an RFC 6238 code enrolled with `kyso keys enroll`, `"pin"` the '
        'token\'s user PIN sent in the request, `"none"`; default `"totp"` for a key with '
        'the personal profile, else `"none"`',
    )
    max_signatures_per_day: int | None = Field(
        None,
        ge=1,
        description="signatures a day (days in Asia/Ho_Chi_Minh, +07:00); none: no limit",
    )
    max_signatures_total: int | None = Field(
        None, ge=1, description="signatures over the key's life; none: no limit"
    )

    @model_validator(mode="before")
    @classmethod
    def _profile_and_pin(cls, data: Any) -> Any:
        """``profile = "x"`` means ``profiles = ["x"]``; a ``pin`` in the file is refused."""
        if not isinstance(data, dict):
            return data
        if "pin" in data:
            raise PydanticCustomError("pin_in_file", "a PIN must not be written in the file")
        if "profile" in data and "profiles" not in data:
            data = dict(data)
            data["profiles"] = [data.pop("profile")]
        return data

    @model_validator(mode="after")
    def _module_env_names(self) -> KeySettings:
        """Variable names a shell could export; never ``KYSO_*`` (kyso's own settings)."""
        for name in self.module_env:
            if _ENV_NAME.fullmatch(name) is None or name.upper().startswith("KYSO_"):
                raise ValueError(
                    f"module_env: {shorten(name)} is not an environment variable name "
                    "(letters, digits, _; not KYSO_*)"
                )
        return self

    @model_validator(mode="after")
    def _pin_consent_has_no_stored_pin(self) -> KeySettings:
        """With ``consent = "pin"`` the PIN comes from the owner with each request only."""
        if self.owner_consent == "pin":
            if self.backend != "pkcs11":
                raise ValueError('consent = "pin" needs backend = "pkcs11" (the token\'s PIN)')
            if self.pin_env or self.pin_file:
                raise ValueError(
                    'consent = "pin": the owner sends the PIN with each request; '
                    "remove pin_env / pin_file"
                )
        return self

    @property
    def owner_consent(self) -> ConsentKind:
        """``consent``, else ``"totp"`` for a personal key and ``"none"`` for the others."""
        if self.consent is not None:
            return self.consent
        return "totp" if "personal" in self.profiles else "none"

    def read_pin(self) -> str | None:
        """The PIN/passphrase, read now and never kept in the settings.

        Raises :class:`InvalidInput` (``KEY_PIN_MISSING``) when ``pin_env`` names an
        unset variable.
        """
        if self.pin_env:
            value = os.environ.get(self.pin_env)
            if value is None:
                raise InvalidInput("KEY_PIN_MISSING", key=self.name, variable=self.pin_env)
            return value
        if self.pin_file:
            return self.pin_file.read_text().strip()
        return None


class SignerSettings(SettingsModel):
    """The ``[signer]`` section."""

    tsa_url: str | None = Field(
        None, description="RFC 3161 time-stamp authority; the default level is B-T with one"
    )
    default_level: Annotated[LevelName | None, BeforeValidator(_upper)] = Field(
        None, description="level when a request names none; default B-T with a TSA, else B-B"
    )
    pending_ttl_seconds: int = Field(
        300, ge=1, description="how long a two-step signature waits for its signature value"
    )
    precheck_cache_seconds: int = Field(
        300, ge=0, description="how long a passed signer-certificate check is reused"
    )
    request_timeout_seconds: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="deadline of a signing RPC (Sign, SignStream, PrepareSignature, "
        "CompleteSignature) whose caller sends none; a caller's earlier deadline wins",
    )
    personal_placement_fallback: Literal["refuse", "signer_name"] = Field(
        "refuse",
        description="a personal signature without a placement goes into the document's one "
        "signer block (found by the layout reader); without one clear block: `refuse` "
        "(SIGNER_BLOCK_NOT_FOUND / PLACEMENT_AMBIGUOUS) or `signer_name` (anchor on the key's "
        "display name, else the certificate's common name)",
    )
    font_regular: OptionalFilePath = Field(None, description="TrueType font for appearances")
    font_bold: OptionalFilePath = Field(None, description="bold TrueType font for appearances")
    audit_path: OptionalNewFilePath = Field(
        None,
        description="signing audit log file (default `<home>/audit/signing.log`; "
        "with `redis_url`, the Redis stream `<redis_namespace>:audit:signing` instead)",
    )

    consent_max_failures: int = Field(
        5, ge=1, description="consecutive wrong, replayed or malformed owner codes that lock a key"
    )
    consent_lock_seconds: int = Field(
        900, ge=1, description="how long a key stays locked after `consent_max_failures`"
    )
    totp_valid_window: int = Field(
        1,
        ge=0,
        le=2,
        description="30-second steps a TOTP code may be early or late (RFC 6238 §5.2: "
        "at most one is recommended)",
    )
    consent_master_key_file: OptionalNewFilePath = Field(
        None,
        description="AES-256 key (mode 0600) that encrypts enrolled TOTP secrets (default "
        "`<home>/consent/master.key`; every replica needs the same file)",
    )
    key_state_path: OptionalNewFilePath = Field(
        None,
        description="usage counters and consent state of the keys (default "
        "`<home>/signer/key-state.json`; with `redis_url`, Redis keys `<redis_namespace>:key:*`)",
    )

    def audit_file(self, home: Path) -> Path:
        """The signing audit log: ``audit_path``, else ``<home>/audit/signing.log``."""
        return self.audit_path or (home / "audit" / "signing.log")

    def master_key_file(self, home: Path) -> Path:
        """``consent_master_key_file``, else ``<home>/consent/master.key``."""
        return self.consent_master_key_file or (home / "consent" / "master.key")

    def key_state_file(self, home: Path) -> Path:
        """``key_state_path``, else ``<home>/signer/key-state.json``."""
        return self.key_state_path or (home / "signer" / "key-state.json")


__all__ = ["ConsentKind", "KeySettings", "LevelName", "ProfileName", "SignerSettings"]
