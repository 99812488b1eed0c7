"""Signing keys by name: certificates and key handles loaded once, shared by every request.

Reloading a key per document is what makes the obvious pyHanko loop slow, so a
:class:`KeyRegistry` loads each configured key on first use and keeps it (PKCS#11
keys live in a :class:`~signer.keys.pkcs11_pool.TokenPool` of logged-in sessions).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pkcs11
from asn1crypto import cms, x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from pkcs11 import exceptions as p11_errors
from pkcs11.util.ec import encode_ecdsa_signature
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes, Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from kyso.errors import InvalidInput, NotFound, Unavailable
from signer.keys import files as key_files
from signer.keys.cms_template import CmsTemplates, eligible
from signer.keys.pkcs11_pool import TokenPool
from signer.settings import KeySettings

log = logging.getLogger("kyso.signer.keys")

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_P11_RSA = {
    "sha256": pkcs11.Mechanism.SHA256_RSA_PKCS,
    "sha384": pkcs11.Mechanism.SHA384_RSA_PKCS,
    "sha512": pkcs11.Mechanism.SHA512_RSA_PKCS,
}
_P11_PSS = {
    "sha256": (pkcs11.Mechanism.SHA256_RSA_PKCS_PSS, pkcs11.Mechanism.SHA256, pkcs11.MGF.SHA256),
    "sha384": (pkcs11.Mechanism.SHA384_RSA_PKCS_PSS, pkcs11.Mechanism.SHA384, pkcs11.MGF.SHA384),
    "sha512": (pkcs11.Mechanism.SHA512_RSA_PKCS_PSS, pkcs11.Mechanism.SHA512, pkcs11.MGF.SHA512),
}


def _hash(name: str) -> hashes.HashAlgorithm:
    try:
        return _HASHES[name]()
    except KeyError:
        raise InvalidInput("ALGORITHM_NOT_ALLOWED", algorithm=name) from None


def _pss_salt(mech: cms.SignedDigestAlgorithm, digest_algorithm: str) -> int:
    """The salt length the CMS announces (pyHanko picks the largest the key allows)."""
    params = mech["parameters"]
    if params.native and params["salt_length"].native is not None:
        return int(params["salt_length"].native)
    return hashlib.new(digest_algorithm).digest_size


class TemplatedSigner(Signer):
    """B-B signatures assembled from the key's CMS template (see signer.keys.cms_template)."""

    _templates: CmsTemplates
    _chain_for_registry: tuple[x509.Certificate, ...] = ()
    _registry: SimpleCertificateStore | None = None

    @property
    def cert_registry(self) -> SimpleCertificateStore:
        """Built on first use: a templated B-B signature never needs it."""
        if self._registry is None:
            self._registry = SimpleCertificateStore.from_certs(
                [self.signing_cert, *self._chain_for_registry]
            )
        return self._registry

    async def async_sign(  # type: ignore[override]  # bytes are accepted by pyHanko's embedder
        self,
        data_digest: bytes,
        digest_algorithm: str,
        dry_run: bool = False,
        use_pades: bool = False,
        timestamper: Any = None,
        signed_attr_settings: PdfCMSSignedAttributes | None = None,
        is_pdf_sig: bool = True,
        encap_content_info: Any = None,
    ) -> cms.ContentInfo | bytes:
        args = dict(
            dry_run=dry_run,
            use_pades=use_pades,
            timestamper=timestamper,
            signed_attr_settings=signed_attr_settings,
            is_pdf_sig=is_pdf_sig,
            encap_content_info=encap_content_info,
        )
        if not eligible(
            self,
            dry_run,
            use_pades,
            timestamper,
            signed_attr_settings,
            is_pdf_sig,
            encap_content_info,
        ):
            return await super().async_sign(data_digest, digest_algorithm, **args)
        template = self._templates.get(digest_algorithm)
        if template is None:
            ref = await super().async_sign(data_digest, digest_algorithm, **args)
            if not self._templates.known(digest_algorithm):
                assert signed_attr_settings is not None
                await self._templates.learn(
                    self, digest_algorithm, ref, data_digest, signed_attr_settings
                )
            return ref
        signature = await self.async_sign_raw(template.signed_attrs(data_digest), digest_algorithm)
        return template.assemble(data_digest, signature)


class _Pkcs11Signer(TemplatedSigner):
    """Signs on a token through the shared pool; the session is held only for C_Sign."""

    def __init__(
        self,
        pool: TokenPool,
        label: str | None,
        key_id: str | None,
        cert: x509.Certificate,
        chain: tuple[x509.Certificate, ...],
        templates: CmsTemplates,
        prefer_pss: bool = False,
    ) -> None:
        self._templates = templates
        self._chain_for_registry = chain
        self._pool = pool
        self._label = label
        self._key_id = key_id
        self._byte_size = cert.public_key.byte_size
        self._owner_pin: str | None = None
        self._key_name = ""
        super().__init__(signing_cert=cert, embed_roots=False, prefer_pss=prefer_pss)

    def use_owner_pin(self, key_name: str, pin: str) -> None:
        """Sign in a session of its own, logged in with the owner's PIN (``consent = "pin"``)."""
        self._key_name = key_name
        self._owner_pin = pin

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        mech = self.get_signature_mechanism_for_digest(digest_algorithm)
        algo = mech.signature_algo
        _hash(digest_algorithm)
        if dry_run:
            return bytes(self._byte_size * 2 + 16)

        def _sign(session: Any) -> bytes:
            key = self._pool.find_object(
                session,
                pkcs11.ObjectClass.PRIVATE_KEY,
                self._label,
                self._key_id,
                cache=self._owner_pin is None,
            )
            if algo == "rsassa_pkcs1v15":
                return bytes(key.sign(data, mechanism=_P11_RSA[digest_algorithm]))
            if algo == "rsassa_pss":
                mechanism, hash_mech, mgf = _P11_PSS[digest_algorithm]
                salt = _pss_salt(mech, digest_algorithm)
                return bytes(
                    key.sign(data, mechanism=mechanism, mechanism_param=(hash_mech, mgf, salt))
                )
            if algo == "ecdsa":
                digest = hashlib.new(digest_algorithm, data).digest()
                raw = key.sign(digest, mechanism=pkcs11.Mechanism.ECDSA)
                return bytes(encode_ecdsa_signature(raw))
            raise InvalidInput("ALGORITHM_NOT_ALLOWED", algorithm=algo)

        if self._owner_pin is not None:
            return self._pool.run_logged_in(self._owner_pin, self._key_name, _sign)
        try:
            return self._pool.run(_sign)
        except p11_errors.PKCS11Error as exc:
            raise Unavailable("TOKEN_SIGN_FAILED", problem=type(exc).__name__) from exc


class _CryptographySigner(TemplatedSigner):
    """A key held in memory (PKCS#12/PEM, development only)."""

    def __init__(
        self,
        key: key_files.PrivateKey,
        cert: x509.Certificate,
        chain: tuple[x509.Certificate, ...],
        templates: CmsTemplates,
        prefer_pss: bool = False,
    ) -> None:
        self._templates = templates
        self._chain_for_registry = chain
        self._key = key
        super().__init__(signing_cert=cert, embed_roots=False, prefer_pss=prefer_pss)

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        mech = self.get_signature_mechanism_for_digest(digest_algorithm)
        algo = mech.signature_algo
        h = _hash(digest_algorithm)
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(h))
        if algo == "rsassa_pss":
            pss = padding.PSS(mgf=padding.MGF1(h), salt_length=_pss_salt(mech, digest_algorithm))
            return self._key.sign(data, pss, h)
        return self._key.sign(data, padding.PKCS1v15(), h)


@dataclass
class SigningKey:
    """A configured key with its certificate and chain, ready to make pyHanko signers.

    asn1crypto objects are not safe to share between threads that embed them in new
    structures (embedding re-encodes them in place), so each request gets its own parsed
    copies of the certificates: :meth:`for_request`.
    """

    config: KeySettings
    certificate: x509.Certificate  # for listing only; never handed to pyHanko
    _cert_der: bytes
    _chain_der: tuple[bytes, ...]
    _factory: Callable[[x509.Certificate, tuple[x509.Certificate, ...], CmsTemplates], Signer]
    _templates: CmsTemplates
    subject: str  # computed once, before any thread sees the certificate

    @property
    def der_size(self) -> int:
        """Bytes of the certificates a CMS of this key embeds (for the placeholder size)."""
        return len(self._cert_der) + sum(len(d) for d in self._chain_der)

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        return tuple(x509.Certificate.load(d) for d in self._chain_der)

    def for_request(
        self, owner_pin: str | None = None
    ) -> tuple[x509.Certificate, tuple[x509.Certificate, ...], Signer]:
        """Private copies of the certificate and chain and a fresh pyHanko signer; with
        ``owner_pin`` (``consent = "pin"``) the signer logs in with it for this request only.

        Raises :class:`InvalidInput` (``CONFIG_INVALID``) for an owner PIN on a key that is
        not on a PKCS#11 token.
        """
        cert = x509.Certificate.load(self._cert_der)
        chain = self.chain
        signer = self._factory(cert, chain, self._templates)
        if owner_pin is not None:
            if not isinstance(signer, _Pkcs11Signer):
                raise InvalidInput(
                    "CONFIG_INVALID",
                    problem=f"key {self.name}: an owner PIN needs a PKCS#11 key",
                )
            signer.use_owner_pin(self.name, owner_pin)
        return cert, chain, signer


def _key(
    config: KeySettings,
    cert: x509.Certificate,
    chain: list[x509.Certificate],
    factory: Callable[[x509.Certificate, tuple[x509.Certificate, ...], CmsTemplates], Signer],
) -> SigningKey:
    return SigningKey(
        config,
        cert,
        cert.dump(),
        tuple(c.dump() for c in chain),
        factory,
        CmsTemplates(),
        cert.subject.human_friendly,
    )


class KeyRegistry:
    """All configured keys; each is loaded on first use and then kept."""

    def __init__(self, configs: Sequence[KeySettings]) -> None:
        self._configs = {k.name: k for k in configs}
        self._loaded: dict[str, SigningKey] = {}
        self._pools: dict[tuple[str, str | None], TokenPool] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return list(self._configs)

    def config(self, name: str) -> KeySettings:
        try:
            return self._configs[name]
        except KeyError:
            raise NotFound("KEY_NOT_FOUND", key=name) from None

    def get(self, name: str) -> SigningKey:
        key = self._loaded.get(name)
        if key is not None:
            return key
        config = self.config(name)
        with self._lock:
            key = self._loaded.get(name)
            if key is None:
                key = self._load(config)
                self._loaded[name] = key
        return key

    def probe(self, name: str) -> None:
        """Check that key ``name`` can sign now: loaded, and for PKCS#11 its private key
        found on the token past every cache (a token pulled out and put back is re-opened).

        Raises the :class:`~kyso.errors.KysoError` that a signature would meet
        (``TOKEN_UNAVAILABLE``, ``TOKEN_NOT_FOUND``, ``KEY_NOT_ON_TOKEN``, ...).
        """
        key = self.get(name)
        config = key.config
        if config.backend != "pkcs11":
            return
        # an owner-PIN key's private key is only visible once its owner logs in: the
        # certificate (a public object) stands for it
        wanted = (
            pkcs11.ObjectClass.CERTIFICATE
            if config.owner_consent == "pin"
            else pkcs11.ObjectClass.PRIVATE_KEY
        )
        try:
            self._pool(config).probe(wanted, config.key_label, config.key_id)
        except p11_errors.PKCS11Error as exc:
            raise Unavailable("TOKEN_UNAVAILABLE", problem=type(exc).__name__) from exc

    def warm_up(self) -> None:
        """Load every key now so the first request does not pay for it; failures are logged."""
        for name in self._configs:
            try:
                self.get(name)
            except Exception as exc:
                log.warning("key %s not loaded: %s", name, getattr(exc, "code", type(exc).__name__))

    def pools(self) -> list[TokenPool]:
        """The PKCS#11 session pools opened so far (one per module and token)."""
        with self._lock:
            return list(self._pools.values())

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()

    # ------------------------------------------------------------------ loading
    def _load(self, config: KeySettings) -> SigningKey:
        chain: list[x509.Certificate] = []
        for path in config.chain:
            chain.extend(key_files.read_certificates(path))
        cert = key_files.read_certificates(config.certificate)[0] if config.certificate else None
        if config.backend == "pkcs11":
            pool = self._pool(config)
            if cert is None:
                cert = self._token_certificate(pool, config)
            return _key(
                config,
                cert,
                chain,
                lambda c, reg, tpl: _Pkcs11Signer(
                    pool, config.key_label, config.key_id, c, reg, tpl, config.prefer_pss
                ),
            )
        if config.backend in ("pkcs12", "pem"):
            if config.key_file is None:
                raise InvalidInput(
                    "CONFIG_INVALID",
                    problem=f"key {config.name}: key_file is required for backend {config.backend}",
                )
            passphrase = config.read_pin()
            if config.backend == "pkcs12":
                private, leaf, extra = key_files.load_pkcs12(config.key_file, passphrase)
                cert = cert or leaf
                chain.extend(c for c in extra if c != cert and c not in chain)
            else:
                private = key_files.load_pem_key(config.key_file, passphrase)
            if cert is None:
                raise InvalidInput(
                    "CONFIG_INVALID", problem=f"key {config.name}: no certificate configured"
                )
            return _key(
                config,
                cert,
                chain,
                lambda c, reg, tpl: _CryptographySigner(private, c, reg, tpl, config.prefer_pss),
            )
        raise InvalidInput(
            "CONFIG_INVALID", problem=f"key {config.name}: unknown backend {config.backend!r}"
        )

    def _pool(self, config: KeySettings) -> TokenPool:
        if not config.module:
            raise InvalidInput(
                "CONFIG_INVALID",
                problem=f"key {config.name}: module is required for backend pkcs11",
            )
        ident = (config.module, config.token_label)
        pool = self._pools.get(ident)
        if pool is None:
            size = max(
                k.pool_size for k in self._configs.values() if (k.module, k.token_label) == ident
            )
            pool = TokenPool(
                config.module, config.token_label, config.read_pin, size, config.module_env
            )
            self._pools[ident] = pool
        return pool

    @staticmethod
    def _token_certificate(pool: TokenPool, config: KeySettings) -> x509.Certificate:
        def _read(session: Any) -> bytes:
            obj = pool.find_object(
                session, pkcs11.ObjectClass.CERTIFICATE, config.key_label, config.key_id
            )
            return bytes(obj[pkcs11.Attribute.VALUE])

        return x509.Certificate.load(pool.run(_read))
