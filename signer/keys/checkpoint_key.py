"""The audit checkpoint key on a PKCS#11 token (``[audit] checkpoint_pkcs11_module``).

Implements :class:`trust_store.checkpoints.CheckpointSigner` with an EC key (ECDSA over
SHA-256, the signature DER-encoded as X9.62 / RFC 3279 2.2.3 say) or an RSA key
(CKM_SHA256_RSA_PKCS, RFC 8017 8.2) on a token, through a :class:`TokenPool` of one session
(so calls into the module are serialised with the signing keys' on the same module). The
token's public key is not read from the token: at start-up a probe is signed and checked
against each pinned public key, and the one that verifies is the key's; none is an error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pkcs11
from pkcs11 import exceptions as p11_errors
from pkcs11.util.ec import encode_ecdsa_signature

from kyso.errors import Unavailable
from signer.keys.pkcs11_pool import TokenPool
from trust_store.checkpoints import PublicKey, probe_public_key
from trust_store.settings import AuditSettings


class Pkcs11CheckpointSigner:
    """Signs checkpoints with ``checkpoint_key_label`` on the configured token."""

    def __init__(self, settings: AuditSettings, pinned: Mapping[str, PublicKey]) -> None:
        assert settings.checkpoint_pkcs11_module is not None
        self._label = settings.checkpoint_key_label
        self._pool = TokenPool(
            settings.checkpoint_pkcs11_module,
            settings.checkpoint_token_label,
            settings.read_checkpoint_pin,
            size=1,
        )
        self._ec = True
        try:
            self._ec = self._key_type() == pkcs11.KeyType.EC
            self.public_key: PublicKey = probe_public_key(self, pinned)
        except BaseException:
            self._pool.close()
            raise

    def _key_type(self) -> object:
        def _type(session: object) -> object:
            key = self._pool.find_object(session, pkcs11.ObjectClass.PRIVATE_KEY, self._label, None)
            return key.key_type

        return self._pool.run(_type)

    def sign(self, data: bytes) -> bytes:
        """ECDSA-SHA256 (DER) or RSA PKCS#1 v1.5 SHA-256 over ``data``;
        :class:`Unavailable` (``TOKEN_SIGN_FAILED``) when the token refuses."""

        def _sign(session: object) -> bytes:
            key = self._pool.find_object(session, pkcs11.ObjectClass.PRIVATE_KEY, self._label, None)
            if self._ec:
                raw = key.sign(hashlib.sha256(data).digest(), mechanism=pkcs11.Mechanism.ECDSA)
                return bytes(encode_ecdsa_signature(raw))
            return bytes(key.sign(data, mechanism=pkcs11.Mechanism.SHA256_RSA_PKCS))

        try:
            return self._pool.run(_sign)
        except p11_errors.PKCS11Error as exc:
            raise Unavailable("TOKEN_SIGN_FAILED", problem=type(exc).__name__) from exc

    def close(self) -> None:
        self._pool.close()


__all__ = ["Pkcs11CheckpointSigner"]
