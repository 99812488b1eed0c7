"""RFC 3161 timestamp tokens: signature and document timestamps (inputs of verifier.process.ts).

A token proves the signature existed at its genTime only when its message
imprint matches, its own CMS signature verifies and its TSA chains to a
timestamping anchor; until all three hold, the signing time stays the
signer's claim and the report says so.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import cms, x509

from verifier.identification import embedded_certificates, find_signer_certificate
from verifier.integrity import (
    check_message_digest,
    content_type_ok,
    find_attr,
    new_hash,
    signed_attrs_bytes,
    tst_info,
    tst_info_bytes,
    verify_signature_value,
)


@dataclass
class TokenCheck:
    """The cryptographic part of a timestamp token; trust is decided by the chain check."""

    gen_time: datetime | None = None
    tsa_cert: x509.Certificate | None = None
    certs: list[x509.Certificate] = field(default_factory=list)
    imprint_ok: bool = False
    signature_ok: bool = False
    reason: str = ""
    imprint_algorithm: str = ""
    tsa_name: str = ""
    signer_info: cms.SignerInfo | None = None


def check_token(
    signed_data: cms.SignedData,
    imprint_of: bytes | None,
    imprint_digest: bytes | None = None,
    extra_certs: list[x509.Certificate] | None = None,
) -> TokenCheck:
    """Verify a token's imprint against ``imprint_of`` (or a ready digest) and its CMS signature."""
    out = TokenCheck()
    info = tst_info(signed_data)
    if info is None:
        out.reason = "the timestamp token carries no TSTInfo"
        return out
    try:
        out.gen_time = info["gen_time"].native
        mi = info["message_imprint"]
        algo = mi["hash_algorithm"]["algorithm"].native
        out.imprint_algorithm = str(algo)
        expected = imprint_digest
        if expected is None and imprint_of is not None:
            h = new_hash(algo)
            h.update(imprint_of)
            expected = h.digest()
        out.imprint_ok = expected is not None and hmac.compare_digest(
            mi["hashed_message"].native, expected
        )
        if not out.imprint_ok:
            out.reason = "the timestamp's message imprint does not match the signed data"
        signer_infos = signed_data["signer_infos"]
        if len(signer_infos) != 1:
            out.reason = out.reason or "the timestamp token must have exactly one signer"
            return out
        si = signer_infos[0]
        payload = signed_attrs_bytes(si)  # before any attribute is parsed
        out.signer_info = si
        out.certs = embedded_certificates(signed_data)
        cert = find_signer_certificate(signed_data, si, extra_certs or [])
        out.tsa_cert = cert
        if cert is None:  # certReq was false and nobody else carries it: cannot be checked
            out.reason = out.reason or "the TSA certificate is not available"
            return out
        try:
            out.tsa_name = cert.subject.human_friendly
        except (ValueError, KeyError):
            out.tsa_name = ""
        content = tst_info_bytes(signed_data)
        h = new_hash(si["digest_algorithm"]["algorithm"].native)
        h.update(content)
        md = check_message_digest(si, h.digest())
        if not si["signed_attrs"] or not md.ok or not content_type_ok(si, "tst_info"):
            out.reason = out.reason or (
                md.reason or "the timestamp token's signed attributes are invalid"
            )
            return out
        if payload is None:
            out.reason = out.reason or "the timestamp token has no signed attributes"
            return out
        value = verify_signature_value(cert, si, payload)
        out.signature_ok = value.ok
        if not value.ok:
            out.reason = out.reason or f"the timestamp signature is invalid: {value.reason}"
    except (KeyError, ValueError, TypeError) as exc:
        out.reason = out.reason or f"the timestamp token is malformed ({type(exc).__name__})"
    return out


def signature_timestamp_tokens(signer_info: cms.SignerInfo) -> list[cms.SignedData]:
    """id-aa-signatureTimeStampToken values (unsigned attributes) as SignedData."""
    out: list[cms.SignedData] = []
    for value in find_attr(signer_info, "signature_time_stamp_token", signed=False):
        try:
            if value["content_type"].native == "signed_data":  # type: ignore[index]
                out.append(value["content"])  # type: ignore[index]
        except (KeyError, ValueError, TypeError):
            continue
    return out


def claimed_signing_time(
    signer_info: cms.SignerInfo, sig_dict_m: datetime | None
) -> datetime | None:
    """The signer's own claim: the CMS signing-time attribute, else the dictionary's /M."""
    for value in find_attr(signer_info, "signing_time"):
        try:
            t = value.native  # type: ignore[attr-defined]
            if isinstance(t, datetime):
                return t
        except (ValueError, TypeError):
            continue
    return sig_dict_m


__all__ = ["TokenCheck", "check_token", "claimed_signing_time", "signature_timestamp_tokens"]
