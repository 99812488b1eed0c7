"""CV (cryptographic verification): the message digest over the byte ranges and the signature value.

RSA PKCS#1 v1.5 is verified here rather than through OpenSSL: the
Vietnamese government signing service omits the NULL parameter of the hash
AlgorithmIdentifier inside the DigestInfo, which OpenSSL (and so pdfsig,
``openssl cms`` and pyHanko) rejects.  RFC 8017 §9.2 note 2 says both
encodings exist in the wild; we accept exactly those two DER encodings and
nothing looser, by recovering the DigestInfo with the public key and
comparing bytes.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from asn1crypto import algos, cms, core, tsp, x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

_HASHLIB = {
    "sha1": "sha1",
    "sha224": "sha224",
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
    "sha512_224": "sha512_224",
    "sha512_256": "sha512_256",
    "sha3_224": "sha3_224",
    "sha3_256": "sha3_256",
    "sha3_384": "sha3_384",
    "sha3_512": "sha3_512",
    "md5": "md5",
}
_CRYPTO_HASH: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sha512_224": hashes.SHA512_224,
    "sha512_256": hashes.SHA512_256,
    "sha3_224": hashes.SHA3_224,
    "sha3_256": hashes.SHA3_256,
    "sha3_384": hashes.SHA3_384,
    "sha3_512": hashes.SHA3_512,
    "md5": hashes.MD5,
}


#: Extendable-output functions as digests (RFC 8702; RFC 8419 for Ed448): name -> default
#: output length in bytes (``shake*_len`` carry their length in bits as the parameter).
_XOF: dict[str, tuple[str, int]] = {
    "shake128": ("shake_128", 32),
    "shake256": ("shake_256", 64),
    "shake128_len": ("shake_128", 32),
    "shake256_len": ("shake_256", 64),
}
#: The EC public-key OID some signing libraries write as the SignerInfo's signature algorithm
#: (RFC 5480 id-ecPublicKey); Acrobat and EU DSS read it as ECDSA with the declared digest.
EC_PUBLIC_KEY_OID = "1.2.840.10045.2.1"


class UnsupportedDigest(ValueError):
    pass


class _FixedLengthXof:
    """A SHAKE hash with ``digest()`` of a fixed length, so callers treat it as any hash."""

    def __init__(self, name: str, length: int) -> None:
        self._h = hashlib.new(name)
        self._length = length

    def update(self, data: bytes | memoryview) -> None:
        self._h.update(data)

    def digest(self) -> bytes:
        return self._h.digest(self._length)  # type: ignore[call-arg]


def new_hash(name: str, length_bits: int | None = None) -> Any:
    """A hash object by asn1crypto name; SHAKE outputs ``length_bits`` (default per RFC 8702).

    Raises :class:`UnsupportedDigest` for a name kyso cannot compute.
    """
    if name in _XOF:
        hl_name, default = _XOF[name]
        length = default if not length_bits else length_bits // 8
        if length <= 0 or length > 1024:
            raise UnsupportedDigest(name)
        return _FixedLengthXof(hl_name, length)
    try:
        return hashlib.new(_HASHLIB[name])
    except KeyError as exc:
        raise UnsupportedDigest(name) from exc


def digest_parameters(algorithm: algos.DigestAlgorithm) -> int | None:
    """The output length in bits a ``shake*_len`` AlgorithmIdentifier declares, else None."""
    try:
        value = algorithm["parameters"].native
    except (KeyError, ValueError, TypeError):
        return None
    return int(value) if isinstance(value, int) else None


def digest_ranges(
    data: bytes | memoryview,
    ranges: tuple[tuple[int, int], ...],
    algo: str,
    length_bits: int | None = None,
) -> bytes:
    h = new_hash(algo, length_bits)
    view = memoryview(data)
    for start, length in ranges:
        h.update(view[start : start + length])
    return h.digest()


@dataclass
class SignatureValue:
    """``ok``: the value verifies; ``unsupported``: kyso cannot evaluate it (never a failure)."""

    ok: bool
    reason: str = ""
    digest_info_without_null: bool = False
    unsupported: bool = False


def _unsupported(reason: str) -> SignatureValue:
    return SignatureValue(False, reason, unsupported=True)


def signature_algorithm_name(signer_info: cms.SignerInfo) -> str:
    """The signature scheme (``rsassa_pkcs1v15``, ``rsassa_pss``, ``ecdsa``, ``ed25519``,
    ``ed448``, ``dsa``) or the dotted OID of one kyso does not know; the EC public-key OID reads
    as ``ecdsa`` (with the SignerInfo's digest algorithm)."""
    sig_algo = signer_info["signature_algorithm"]
    if sig_algo["algorithm"].dotted == EC_PUBLIC_KEY_OID:
        return "ecdsa"
    try:
        return str(sig_algo.signature_algo)
    except (ValueError, KeyError, TypeError):
        return str(sig_algo["algorithm"].dotted)


def signed_attrs_bytes(signer_info: cms.SignerInfo) -> bytes | None:
    """The DER the signature covers: signed attributes re-tagged as a SET OF."""
    attrs = signer_info["signed_attrs"]
    if not attrs:
        return None
    raw = attrs.dump()
    return b"\x31" + raw[1:]


def find_attr(signer_info: cms.SignerInfo, name: str, *, signed: bool = True) -> list[object]:
    """Values of the attributes called ``name`` (asn1crypto names)."""
    attrs = signer_info["signed_attrs" if signed else "unsigned_attrs"]
    if not attrs:
        return []
    out: list[object] = []
    for attr in attrs:
        if attr["type"].native == name:
            out.extend(attr["values"])
    return out


def _digest_infos(algo: str, digest: bytes) -> tuple[bytes, bytes]:
    """The two DER DigestInfo encodings RFC 8017 lets exist: with NULL parameters and without."""
    with_null = algos.DigestInfo(
        {"digest_algorithm": {"algorithm": algo, "parameters": core.Null()}, "digest": digest}
    ).dump()
    oid = algos.DigestAlgorithmId(algo).dump()
    bare = algos.DigestAlgorithm.load(b"\x30" + bytes([len(oid)]) + oid)
    without = algos.DigestInfo({"digest_algorithm": bare, "digest": digest}).dump()
    return with_null, without


def signature_hash_algorithm(signer_info: cms.SignerInfo) -> str:
    """The hash of the signature value: from the signature algorithm when it names one."""
    sig_algo = signer_info["signature_algorithm"]
    digest = signer_info["digest_algorithm"]["algorithm"].native
    if sig_algo["algorithm"].dotted == EC_PUBLIC_KEY_OID:
        return str(digest)
    try:
        named = sig_algo.hash_algo
    except (ValueError, KeyError, TypeError):
        return str(digest)
    return str(named or digest)


def verify_signature_value(
    cert: x509.Certificate, signer_info: cms.SignerInfo, signed: bytes
) -> SignatureValue:
    """Check the SignerInfo's signature over ``signed`` with ``cert``'s public key.

    RSA PKCS#1 v1.5 (RFC 8017 8.2, both DigestInfo encodings), RSASSA-PSS (RFC 4055 parameters),
    ECDSA (also when named by the EC public-key OID), DSA, and pure EdDSA over the signed
    attributes (RFC 8419: Ed25519, Ed448).  ``ok`` False with ``unsupported`` set means kyso
    cannot evaluate the value (unknown algorithm or hash, a key it cannot load): not a failure.
    """
    sig_algo = signer_info["signature_algorithm"]
    signature = signer_info["signature"].native
    algo_name = signature_algorithm_name(signer_info)
    if "." in algo_name:
        return _unsupported(f"unsupported signature algorithm {algo_name}")
    hash_name = signature_hash_algorithm(signer_info)
    digest_alg = signer_info["digest_algorithm"]["algorithm"].native
    eddsa = algo_name in ("ed25519", "ed448")
    if algo_name != "rsassa_pss" and not eddsa and hash_name != digest_alg:
        return SignatureValue(False, "the signature algorithm and the digest algorithm disagree")
    try:
        public_key = load_der_public_key(cert.public_key.dump())
    except (ValueError, UnsupportedAlgorithm):
        return _unsupported("the signer's public key cannot be loaded")
    try:
        if algo_name == "rsassa_pkcs1v15":
            if not isinstance(public_key, rsa.RSAPublicKey):
                return SignatureValue(False, "RSA signature but not an RSA key")
            digest = new_hash(hash_name)
            digest.update(signed)
            recovered = public_key.recover_data_from_signature(signature, padding.PKCS1v15(), None)
            with_null, without = _digest_infos(hash_name, digest.digest())
            if hmac.compare_digest(recovered, with_null):
                return SignatureValue(True)
            if hmac.compare_digest(recovered, without):
                return SignatureValue(True, digest_info_without_null=True)
            return SignatureValue(False, "the RSA signature value does not match")
        if algo_name == "rsassa_pss":
            if not isinstance(public_key, rsa.RSAPublicKey):
                return SignatureValue(False, "RSA-PSS signature but not an RSA key")
            pss = pss_parameters(sig_algo)
            if pss.hash not in _CRYPTO_HASH or pss.mgf_hash not in _CRYPTO_HASH:
                return _unsupported(f"unsupported RSA-PSS hash {pss.hash}/{pss.mgf_hash}")
            if pss.mgf != "mgf1" or pss.trailer_field != "trailer_field_bc":
                return _unsupported("unsupported RSA-PSS mask generation or trailer field")
            public_key.verify(
                signature,
                signed,
                padding.PSS(mgf=padding.MGF1(_CRYPTO_HASH[pss.mgf_hash]()), salt_length=pss.salt),
                _CRYPTO_HASH[pss.hash](),
            )
            return SignatureValue(True)
        if algo_name == "ecdsa":
            if not isinstance(public_key, ec.EllipticCurvePublicKey):
                return SignatureValue(False, "ECDSA signature but not an EC key")
            if hash_name not in _CRYPTO_HASH:
                return _unsupported(f"unsupported ECDSA hash {hash_name}")
            public_key.verify(signature, signed, ec.ECDSA(_CRYPTO_HASH[hash_name]()))
            return SignatureValue(True)
        if algo_name == "dsa":
            if not isinstance(public_key, dsa.DSAPublicKey):
                return SignatureValue(False, "DSA signature but not a DSA key")
            if hash_name not in _CRYPTO_HASH:
                return _unsupported(f"unsupported DSA hash {hash_name}")
            public_key.verify(signature, signed, _CRYPTO_HASH[hash_name]())
            return SignatureValue(True)
        if eddsa:
            wanted = ed25519.Ed25519PublicKey if algo_name == "ed25519" else ed448.Ed448PublicKey
            if not isinstance(public_key, wanted):
                return SignatureValue(False, f"{algo_name} signature but not an {algo_name} key")
            public_key.verify(signature, signed)  # pure EdDSA over the signed attributes
            return SignatureValue(True)
    except InvalidSignature:
        return SignatureValue(False, "the signature value does not match the signer's public key")
    except (UnsupportedDigest, UnsupportedAlgorithm) as exc:
        return _unsupported(f"the signature cannot be evaluated ({type(exc).__name__})")
    except (KeyError, ValueError, TypeError) as exc:
        return SignatureValue(False, f"the signature cannot be verified ({type(exc).__name__})")
    return _unsupported(f"unsupported signature algorithm {algo_name}")


@dataclass(frozen=True)
class PssParameters:
    """RSASSA-PSS-params (RFC 4055 3.1; absent fields take their defaults: SHA-1, MGF1-SHA-1,
    salt 20, trailer 1)."""

    hash: str
    mgf: str
    mgf_hash: str
    salt: int
    trailer_field: str


def pss_parameters(sig_algo: algos.SignedDigestAlgorithm) -> PssParameters:
    """The PSS parameters of ``sig_algo`` (raises ValueError/KeyError when malformed)."""
    params = sig_algo["parameters"]
    return PssParameters(
        hash=str(params["hash_algorithm"]["algorithm"].native),
        mgf=str(params["mask_gen_algorithm"]["algorithm"].native),
        mgf_hash=str(params["mask_gen_algorithm"]["parameters"]["algorithm"].native),
        salt=int(params["salt_length"].native),
        trailer_field=str(params["trailer_field"].native),
    )


@dataclass
class DigestCheck:
    ok: bool
    reason: str = ""


def check_message_digest(signer_info: cms.SignerInfo, content_digest: bytes) -> DigestCheck:
    """With signed attributes, messageDigest must equal the digest of the signed content."""
    if not signer_info["signed_attrs"]:
        return DigestCheck(True)  # the signature value itself covers the digest
    values = find_attr(signer_info, "message_digest")
    if len(values) != 1:
        return DigestCheck(False, "exactly one messageDigest attribute is required")
    value = values[0]
    stored = value.native if hasattr(value, "native") else None
    if not isinstance(stored, bytes) or not hmac.compare_digest(stored, content_digest):
        return DigestCheck(False, "the document digest does not match the signed messageDigest")
    return DigestCheck(True)


def content_type_ok(signer_info: cms.SignerInfo, expected: str) -> bool:
    if not signer_info["signed_attrs"]:
        return True
    values = find_attr(signer_info, "content_type")
    return len(values) == 1 and getattr(values[0], "native", None) == expected


def tst_info(signed_data: cms.SignedData) -> tsp.TSTInfo | None:
    eci = signed_data["encap_content_info"]
    if eci["content_type"].native != "tst_info":
        return None
    content = eci["content"]
    if content is None or content.native is None:
        return None
    parsed = content.parsed
    return parsed if isinstance(parsed, tsp.TSTInfo) else None


def tst_info_bytes(signed_data: cms.SignedData) -> bytes:
    return bytes(signed_data["encap_content_info"]["content"].contents)
