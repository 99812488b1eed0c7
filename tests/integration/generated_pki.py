"""A small PKI generated per test module with ``cryptography``, for keys certomancer's spec
does not cover (P-384, P-521, Ed25519, Ed448, RSA for PSS) and for certificates signed with
SHA-1, plus timestamp authorities (trusted and not) and signers built on pyHanko's.

The root publishes a CRL (valid for a year) on an HTTP server on 127.0.0.1 that the module
starts, so revocation is checked online like for real documents.  Nothing here is mocked: the
signatures, tokens and CRLs are real and verified by kyso's gRPC server.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import algos, cms, keys, x509
from cryptography import x509 as cx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.attributes import CMSAttributeProvider, TSTProvider
from pyhanko.sign.signers.pdf_cms import SimpleSigner
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

KEY_MAKERS: dict[str, Any] = {
    "rsa2048": lambda: rsa.generate_private_key(65537, 2048),
    "rsa1024": lambda: rsa.generate_private_key(65537, 1024),
    "rsa3072": lambda: rsa.generate_private_key(65537, 3072),
    "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "p384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "p521": lambda: ec.generate_private_key(ec.SECP521R1()),
    "ed25519": ed25519.Ed25519PrivateKey.generate,
    "ed448": ed448.Ed448PrivateKey.generate,
}
NOT_BEFORE = datetime(2025, 1, 1, tzinfo=UTC)


def _name(cn: str, org: str = "Sở Thử Nghiệm (generated)") -> cx.Name:
    return cx.Name(
        [
            cx.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            cx.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            cx.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _asn1(cert: cx.Certificate) -> x509.Certificate:
    return x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _key_info(key: Any) -> keys.PrivateKeyInfo:
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return keys.PrivateKeyInfo.load(der)


@dataclass
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: Any

    @property
    def key_info(self) -> keys.PrivateKeyInfo:
        return _key_info(self.key)


@dataclass
class GeneratedPki:
    """Root (RSA 3072) issuing leaves directly; ``crl_url`` is where the root's CRL is served."""

    dir: Path
    crl_url: str
    root: Issued = field(init=False)
    _server: Any = None

    def __post_init__(self) -> None:
        key = rsa.generate_private_key(65537, 3072)
        name = _name("Root CA sinh tự động (test)")
        cert = (
            cx.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(cx.random_serial_number())
            .not_valid_before(NOT_BEFORE)
            .not_valid_after(NOT_BEFORE + timedelta(days=3650))
            .add_extension(cx.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                cx.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .add_extension(cx.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        self._root_crypto = cert
        self.root = Issued(_asn1(cert), key)
        self.root_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.publish_crl()

    def publish_crl(
        self, revoked: tuple[x509.Certificate, ...] = (), name: str = "root.crl", sha1: bool = False
    ) -> None:
        """Write the root's CRL ``name`` (valid a year) listing ``revoked`` (revoked on
        2025-02-01); ``sha1``: signed with SHA-1, as old CAs still do."""
        now = datetime.now(UTC)
        b = (
            cx.CertificateRevocationListBuilder()
            .issuer_name(self._root_crypto.subject)
            .last_update(now - timedelta(days=1))
            .next_update(now + timedelta(days=365))
            .add_extension(
                cx.AuthorityKeyIdentifier.from_issuer_public_key(self.root.key.public_key()), False
            )
            .add_extension(cx.CRLNumber(1 + len(revoked)), False)
        )
        for cert in revoked:
            b = b.add_revoked_certificate(
                cx.RevokedCertificateBuilder()
                .serial_number(cert.serial_number)
                .revocation_date(datetime(2025, 2, 1, tzinfo=UTC))
                .build()
            )
        der = b.sign(self.root.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
        if sha1:
            from asn1crypto import crl as asn1_crl
            from cryptography.hazmat.primitives.asymmetric import padding

            cl = asn1_crl.CertificateList.load(der)
            algo = algos.SignedDigestAlgorithm({"algorithm": "sha1_rsa"})
            tbs = cl["tbs_cert_list"].copy()
            tbs["signature"] = algo
            value = self.root.key.sign(tbs.dump(force=True), padding.PKCS1v15(), hashes.SHA1())
            der = asn1_crl.CertificateList(
                {"tbs_cert_list": tbs, "signature_algorithm": algo, "signature": value}
            ).dump()
        (self.dir / name).write_bytes(der)

    @property
    def root_path(self) -> Path:
        return self.dir / "root.pem"

    def issue(
        self,
        cn: str,
        kind: str = "rsa2048",
        *,
        tsa: bool = False,
        sha1: bool = False,
        key: Any = None,
        crl_name: str = "root.crl",
        not_after: datetime | None = None,
    ) -> Issued:
        """A leaf of the root: a document signer, or a TSA (critical id-kp-timeStamping)."""
        key = key or KEY_MAKERS[kind]()
        b = (
            cx.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(self._root_crypto.subject)
            .public_key(key.public_key())
            .serial_number(cx.random_serial_number())
            .not_valid_before(NOT_BEFORE)
            .not_valid_after(not_after or NOT_BEFORE + timedelta(days=3000))
            .add_extension(
                cx.KeyUsage(True, not tsa, False, False, False, False, False, False, False),
                critical=True,
            )
            .add_extension(
                cx.CRLDistributionPoints(
                    [
                        cx.DistributionPoint(
                            [
                                cx.UniformResourceIdentifier(
                                    self.crl_url.replace("root.crl", crl_name)
                                )
                            ],
                            None,
                            None,
                            None,
                        )
                    ]
                ),
                critical=False,
            )
            .add_extension(
                cx.AuthorityKeyIdentifier.from_issuer_public_key(self.root.key.public_key()),
                False,
            )
        )
        if tsa:
            b = b.add_extension(cx.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True)
        cert = _asn1(b.sign(self.root.key, hashes.SHA256()))
        if sha1:
            cert = self._resign_sha1(cert)
        return Issued(cert, key)

    def _resign_sha1(self, cert: x509.Certificate) -> x509.Certificate:
        """The same certificate signed by the root with SHA-1 (cryptography no longer builds
        SHA-1 certificates; old CAs did)."""
        from cryptography.hazmat.primitives.asymmetric import padding

        algo = algos.SignedDigestAlgorithm({"algorithm": "sha1_rsa"})
        tbs = cert["tbs_certificate"].copy()
        tbs["signature"] = algo
        value = self.root.key.sign(tbs.dump(force=True), padding.PKCS1v15(), hashes.SHA1())
        return x509.Certificate(
            {"tbs_certificate": tbs, "signature_algorithm": algo, "signature_value": value}
        )

    def untrusted_tsa(self) -> Issued:
        """A self-signed TSA nobody trusts."""
        key = rsa.generate_private_key(65537, 2048)
        name = _name("TSA lạ (untrusted)", "Untrusted (generated)")
        cert = (
            cx.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(cx.random_serial_number())
            .not_valid_before(NOT_BEFORE)
            .not_valid_after(NOT_BEFORE + timedelta(days=3000))
            .add_extension(cx.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True)
            .sign(key, hashes.SHA256())
        )
        return Issued(_asn1(cert), key)

    # ---- signing
    def timestamper(
        self, tsa: Issued, when: datetime | None = None, md: str = "sha256"
    ) -> DummyTimeStamper:
        """A real RFC 3161 token from ``tsa``'s key (RSA: pyHanko's dummy TSA signs RSA only) at
        ``when`` (default now); ``md`` is the token's own digest, the imprint's is the caller's."""
        return DummyTimeStamper(
            tsa_cert=tsa.cert,
            tsa_key=tsa.key_info,
            certs_to_embed=SimpleCertificateStore.from_certs([self.root.cert]),
            fixed_dt=when,
            override_md=md,
        )

    def signer(
        self, leaf: Issued, *, mechanism: algos.SignedDigestAlgorithm | None = None
    ) -> SimpleSigner:
        return SimpleSigner(
            signing_cert=leaf.cert,
            signing_key=leaf.key_info,
            cert_registry=SimpleCertificateStore.from_certs([self.root.cert]),
            signature_mechanism=mechanism,
        )


class EcPublicKeyOidSigner(SimpleSigner):
    """Writes the EC public-key OID (1.2.840.10045.2.1) as the SignerInfo's signature algorithm,
    as several widespread signing libraries do, and signs ECDSA with the digest algorithm."""

    def __init__(self, leaf: Issued, root: x509.Certificate) -> None:
        super().__init__(
            signing_cert=leaf.cert,
            signing_key=leaf.key_info,
            cert_registry=SimpleCertificateStore.from_certs([root]),
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "1.2.840.10045.2.1"}),
        )
        self._key = leaf.key

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        md = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
        return bytes(self._key.sign(data, ec.ECDSA(md[digest_algorithm]())))


def sign_pdf(
    pdf: bytes,
    signer: signers.Signer,
    *,
    md: str | None = None,
    field_name: str = "Sig1",
    timestamper: Any = None,
    content_timestamp: bool = False,
    lt_context: Any = None,
) -> bytes:
    """Sign ``pdf`` (PAdES, one incremental update) with pyHanko; ``lt_context``: a
    ValidationContext to embed the revocation data with (B-LT)."""
    from pyhanko.sign.ades.api import CAdESSignedAttrSpec
    from pyhanko.sign.fields import SigSeedSubFilter

    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=md,
        subfilter=SigSeedSubFilter.PADES,
        cades_signed_attr_spec=CAdESSignedAttrSpec(timestamp_content=True)
        if content_timestamp
        else None,
        embed_validation_info=lt_context is not None,
        validation_context=lt_context,
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(pdf)), meta, signer=signer, timestamper=timestamper
    )
    return out.getvalue()


class ExtraUnsignedTimestamps:
    """Unsigned attribute spec: one signature timestamp per (timestamper, imprint data) pair;
    ``None`` data stamps the real signature value, bytes stamp those bytes instead (a token
    over other data: what an attacker can swap into a genuine document)."""

    def __init__(self, stamps: list[tuple[Any, bytes | None]]) -> None:
        self.stamps = stamps

    def unsigned_attr_providers(
        self, signature: bytes, signed_attrs: cms.CMSAttributes, digest_algorithm: str
    ) -> Iterator[CMSAttributeProvider]:
        for timestamper, data in self.stamps:
            yield TSTProvider(
                digest_algorithm=digest_algorithm,
                data_to_ts=signature if data is None else data,
                timestamper=timestamper,
            )


class FirstCallTimestamper:
    """Delegates the first token request to ``first`` (the content timestamp, requested while
    the signed attributes are built) and every later one to ``then``."""

    def __init__(self, first: Any, then: Any) -> None:
        self._first, self._then, self._calls = first, then, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._then, name)

    async def async_timestamp(self, message_digest: bytes, md_algorithm: str) -> Any:
        self._calls += 1
        target = self._first if self._calls == 1 else self._then
        return await target.async_timestamp(message_digest, md_algorithm)


class LyingTimestamper:
    """A real TSA that stamps the digest of other bytes: its token's imprint never matches."""

    def __init__(self, inner: DummyTimeStamper) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def async_timestamp(self, message_digest: bytes, md_algorithm: str) -> Any:
        wrong = bytes(b ^ 0xFF for b in message_digest)
        return await self._inner.async_timestamp(wrong, md_algorithm)


def rewrite_last_cms(pdf: bytes, change: Any) -> bytes:
    """Re-encode the last signature's CMS after ``change(signed_data)`` edited it, in place (the
    /Contents gap keeps its length; the byte ranges are untouched)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    sig = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures[-1]
    start, length, end, _ = (int(v) for v in sig.sig_object["/ByteRange"])
    gap = pdf[start + length : end]
    info = cms.ContentInfo.load(bytes(sig.sig_object["/Contents"]))
    sd = info["content"]
    change(sd)
    new = cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump(force=True).hex()
    assert len(new) + 2 <= len(gap), "the new CMS does not fit the /Contents gap"
    return pdf[: start + length] + b"<" + new.encode().ljust(len(gap) - 2, b"0") + b">" + pdf[end:]


def serve_directory(directory: Path) -> tuple[str, Any]:
    """Serve ``directory`` on 127.0.0.1 (free port); returns (base URL, server to shut down)."""

    class _Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def start_pki(directory: Path) -> tuple[GeneratedPki, Any]:
    """Generate the PKI in ``directory`` and serve its CRL; shut the server down when done."""
    base, server = serve_directory(directory)
    return GeneratedPki(directory, f"{base}/root.crl"), server


__all__ = [
    "EcPublicKeyOidSigner",
    "ExtraUnsignedTimestamps",
    "FirstCallTimestamper",
    "GeneratedPki",
    "Issued",
    "LyingTimestamper",
    "rewrite_last_cms",
    "serve_directory",
    "sign_pdf",
    "start_pki",
]
