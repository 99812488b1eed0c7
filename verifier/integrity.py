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


class UnsupportedDigest(ValueError):
    pass


def new_hash(name: str) -> hashlib._Hash:
    try:
        return hashlib.new(_HASHLIB[name])
    except KeyError as exc:
        raise UnsupportedDigest(name) from exc


def digest_ranges(
    data: bytes | memoryview, ranges: tuple[tuple[int, int], ...], algo: str
) -> bytes:
    h = new_hash(algo)
    view = memoryview(data)
    for start, length in ranges:
        h.update(view[start : start + length])
    return h.digest()


@dataclass
class SignatureValue:
    ok: bool
    reason: str = ""
    digest_info_without_null: bool = False


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
    try:
        named = sig_algo.hash_algo
    except (ValueError, KeyError):
        return str(digest)
    return str(named or digest)


def verify_signature_value(
    cert: x509.Certificate, signer_info: cms.SignerInfo, signed: bytes
) -> SignatureValue:
    """Check the SignerInfo's signature over ``signed`` with ``cert``'s public key."""
    sig_algo = signer_info["signature_algorithm"]
    signature = signer_info["signature"].native
    try:
        algo_name = sig_algo.signature_algo
    except ValueError:
        return SignatureValue(
            False, f"unsupported signature algorithm {sig_algo['algorithm'].native}"
        )
    hash_name = signature_hash_algorithm(signer_info)
    digest_alg = signer_info["digest_algorithm"]["algorithm"].native
    if algo_name != "rsassa_pss" and hash_name != digest_alg:
        return SignatureValue(False, "the signature algorithm and the digest algorithm disagree")
    try:
        public_key = load_der_public_key(cert.public_key.dump())
    except (ValueError, UnsupportedAlgorithm):
        return SignatureValue(False, "the signer's public key cannot be loaded")
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
            params = sig_algo["parameters"]
            pss_hash = params["hash_algorithm"]["algorithm"].native
            mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
            salt = params["salt_length"].native
            public_key.verify(
                signature,
                signed,
                padding.PSS(mgf=padding.MGF1(_CRYPTO_HASH[mgf_hash]()), salt_length=salt),
                _CRYPTO_HASH[pss_hash](),
            )
            return SignatureValue(True)
        if algo_name == "ecdsa":
            if not isinstance(public_key, ec.EllipticCurvePublicKey):
                return SignatureValue(False, "ECDSA signature but not an EC key")
            public_key.verify(signature, signed, ec.ECDSA(_CRYPTO_HASH[hash_name]()))
            return SignatureValue(True)
        if algo_name == "dsa":
            if not isinstance(public_key, dsa.DSAPublicKey):
                return SignatureValue(False, "DSA signature but not a DSA key")
            public_key.verify(signature, signed, _CRYPTO_HASH[hash_name]())
            return SignatureValue(True)
        if algo_name in ("ed25519", "ed448"):
            if not isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
                return SignatureValue(False, "EdDSA signature but not an EdDSA key")
            public_key.verify(signature, signed)
            return SignatureValue(True)
    except InvalidSignature:
        return SignatureValue(False, "the signature value does not match the signer's public key")
    except (KeyError, ValueError, TypeError, UnsupportedDigest, UnsupportedAlgorithm) as exc:
        return SignatureValue(False, f"the signature cannot be verified ({type(exc).__name__})")
    return SignatureValue(False, f"unsupported signature algorithm {algo_name}")


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
