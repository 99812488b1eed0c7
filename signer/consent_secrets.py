"""Enrolled TOTP secrets of key owners, stored only encrypted (AES-256-GCM).

The master key is 32 random bytes in ``<home>/consent/master.key`` (``consent_master_key_file``),
created with mode 0600 in a 0700 directory the first time a secret is enrolled. Each secret is
sealed with it, a fresh 96-bit nonce and the key's name as associated data (a sealed secret
copied to another key's place does not open). Without Redis a secret lives in
``<home>/consent/<name>.totp``; with Redis in ``<ns>:key:<name>:totp`` so that an enrolment made
on one machine reaches every replica, each of which needs the same master key file.

The secret itself (base32, RFC 4226 §4 asks for at least 128 bits: kyso makes 160) is shown
once, as the ``otpauth://`` URI of :func:`provisioning_uri`, and never logged.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kyso.errors import Precondition, Unavailable
from kyso.secret_files import write_secret
from signer.key_state import redis_key_prefix

_AAD = b"kyso owner-consent totp v1:"
#: Issuer shown by authenticator apps next to the key's name.
ISSUER = "kyso"


class SecretBackend(Protocol):
    """Where sealed secrets are kept: bytes in, bytes out, None when not enrolled."""

    def load(self, key: str) -> bytes | None: ...

    def save(self, key: str, sealed: bytes) -> None: ...


class FileSecrets:
    """``<directory>/<name>.totp`` (mode 0600, the name percent-encoded)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / f"{quote(key, safe='')}.totp"

    def load(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def save(self, key: str, sealed: bytes) -> None:
        path = self._path(key)
        tmp = path.with_name(f".{path.name}.tmp")
        write_secret(tmp, sealed)  # 0600 before the first byte, in a 0700 directory
        os.replace(tmp, path)


class RedisSecrets:
    """``<namespace>:key:<name>:totp`` in the Redis the replicas share."""

    def __init__(self, client: Any, namespace: str) -> None:
        self._redis = client
        self._namespace = namespace

    def _k(self, key: str) -> str:
        return f"{redis_key_prefix(self._namespace, key)}:totp"

    def load(self, key: str) -> bytes | None:
        value = self._redis.get(self._k(key))
        return bytes(value) if value is not None else None

    def save(self, key: str, sealed: bytes) -> None:
        self._redis.set(self._k(key), sealed)


def load_master_key(path: Path, *, create: bool) -> bytes | None:
    """The 32-byte master key; made (mode 0600, directory 0700) when ``create`` and absent.

    Returns None when it is absent and not to be created; raises :class:`ValueError` for a
    file that is not 32 bytes and :class:`OSError` when it cannot be read or made.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if not create:
            return None
        data = secrets.token_bytes(32)
        write_secret(path, data, exclusive=True)
    if len(data) != 32:
        raise ValueError(f"{path} is not a 32-byte key")
    return data


def seal(master: bytes, key: str, secret: str) -> bytes:
    """``secret`` (base32) encrypted for ``key``: JSON with the nonce and AES-GCM ciphertext."""
    nonce = secrets.token_bytes(12)
    ct = AESGCM(master).encrypt(nonce, secret.encode("ascii"), _AAD + key.encode("utf-8"))
    return json.dumps(
        {
            "v": 1,
            "nonce": base64.b64encode(nonce).decode(),
            "ct": base64.b64encode(ct).decode(),
            "enrolled": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    ).encode()


def unseal(master: bytes, key: str, sealed: bytes) -> str:
    """The base32 secret of :func:`seal`; ValueError when it does not open."""
    try:
        doc = json.loads(sealed)
        nonce = base64.b64decode(doc["nonce"])
        ct = base64.b64decode(doc["ct"])
        return AESGCM(master).decrypt(nonce, ct, _AAD + key.encode("utf-8")).decode("ascii")
    except (InvalidTag, KeyError, TypeError, ValueError) as exc:
        raise ValueError("the sealed secret does not open with this master key") from exc


def new_secret() -> str:
    """A fresh base32 TOTP secret of 160 bits (RFC 4226 §4)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, key: str) -> str:
    """``otpauth://totp/kyso:<key>?secret=…&issuer=kyso`` (SHA-1, 6 digits, 30 s: the
    defaults every authenticator app reads)."""
    return pyotp.TOTP(secret).provisioning_uri(name=key, issuer_name=ISSUER)


class ConsentSecrets:
    """Enrol and read the owners' TOTP secrets of the keys (sealed in ``backend``)."""

    def __init__(self, backend: SecretBackend, master_key_file: Path) -> None:
        self._backend = backend
        self.master_key_file = master_key_file

    def enrolled(self, key: str) -> bool:
        """Whether a sealed secret exists for ``key`` (not whether it opens)."""
        return self._guard(lambda: self._backend.load(key)) is not None

    def secret(self, key: str, kind: str) -> str:
        """The owner's base32 secret; :class:`Precondition` (``CONSENT_NOT_ENROLLED``) when
        there is none or it does not open with the master key."""
        sealed = self._guard(lambda: self._backend.load(key))
        if sealed is None:
            raise Precondition("CONSENT_NOT_ENROLLED", key=key, kind=kind, problem="none enrolled")
        try:
            master = load_master_key(self.master_key_file, create=False)
            if master is None:
                raise ValueError("no master key")
            return unseal(master, key, sealed)
        except (OSError, ValueError):
            raise Precondition(
                "CONSENT_NOT_ENROLLED",
                key=key,
                kind=kind,
                problem=f"the secret does not open with {self.master_key_file}",
            ) from None

    def enrol(self, key: str) -> str:
        """Make, seal and store a new secret for ``key``; returns it (show it once)."""
        secret = new_secret()
        master = load_master_key(self.master_key_file, create=True)
        assert master is not None
        self._guard(lambda: self._backend.save(key, seal(master, key, secret)))
        return secret

    @staticmethod
    def _guard(fn: Any) -> Any:
        from redis.exceptions import RedisError

        try:
            return fn()
        except (RedisError, OSError) as exc:
            problem = getattr(exc, "strerror", None) or type(exc).__name__
            raise Unavailable("KEY_STATE_UNAVAILABLE", problem=str(problem)) from exc


__all__ = [
    "ISSUER",
    "ConsentSecrets",
    "FileSecrets",
    "RedisSecrets",
    "load_master_key",
    "new_secret",
    "provisioning_uri",
    "seal",
    "unseal",
]
