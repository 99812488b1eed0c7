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
    UnsupportedDigest,
    check_message_digest,
    content_type_ok,
    digest_parameters,
    find_attr,
    new_hash,
    signed_attrs_bytes,
    tst_info,
    tst_info_bytes,
    verify_signature_value,
)

#: id-aa-ets-contentTimestamp (RFC 5126 5.11.4, EN 319 122-1 5.2.8): a signed attribute.
CONTENT_TIMESTAMP_OID = "1.2.840.113549.1.9.16.2.20"


@dataclass
class TokenCheck:
    """The cryptographic part of a timestamp token; trust is decided by the chain check.

    ``code`` names what is wrong (``IMPRINT_MISMATCH``, ``SIGNATURE_INVALID``,
    ``NO_TST_INFO``, ``SIGNER_COUNT``, ``TSA_CERTIFICATE_MISSING``, ``SIGNED_ATTRIBUTES``,
    ``MALFORMED``); ``reason`` says it in English, the message catalogue in Vietnamese
    (``ts.reason.<code>``).
    """

    code: str = ""
    gen_time: datetime | None = None
    tsa_cert: x509.Certificate | None = None
    certs: list[x509.Certificate] = field(default_factory=list)
    imprint_ok: bool = False
    signature_ok: bool = False
    reason: str = ""
    imprint_algorithm: str = ""
    tsa_name: str = ""
    signer_info: cms.SignerInfo | None = None
    unsupported: bool = False  # an algorithm kyso cannot evaluate: nothing proven wrong

    @property
    def intact(self) -> bool:
        """Imprint and token signature verify (or the TSA certificate is simply absent)."""
        return (
            self.imprint_ok
            and (self.signature_ok or self.tsa_cert is None)
            and not (self.code and self.code != "TSA_CERTIFICATE_MISSING")
        )


def check_token(
    signed_data: cms.SignedData,
    imprint_of: bytes | None,
    imprint_digest: bytes | None = None,
    extra_certs: list[x509.Certificate] | None = None,
) -> TokenCheck:
    """Verify a token's imprint against ``imprint_of`` (or a ready digest) and its CMS signature."""
    out = TokenCheck()

    def problem(code: str, reason: str) -> None:
        if not out.code:
            out.code, out.reason = code, reason

    try:
        info = tst_info(signed_data)
    except (KeyError, ValueError, TypeError):
        info = None
    if info is None:
        problem("NO_TST_INFO", "the timestamp token carries no TSTInfo")
        return out
    try:
        out.gen_time = info["gen_time"].native
        mi = info["message_imprint"]
        algo = mi["hash_algorithm"]["algorithm"].native
        out.imprint_algorithm = str(algo)
        expected = imprint_digest
        if expected is None and imprint_of is not None:
            h = new_hash(algo, digest_parameters(mi["hash_algorithm"]))
            h.update(imprint_of)
            expected = h.digest()
        out.imprint_ok = expected is not None and hmac.compare_digest(
            mi["hashed_message"].native, expected
        )
        if not out.imprint_ok:
            problem(
                "IMPRINT_MISMATCH", "the timestamp's message imprint does not match the signed data"
            )
        signer_infos = signed_data["signer_infos"]
        if len(signer_infos) != 1:
            problem("SIGNER_COUNT", "the timestamp token must have exactly one signer")
            return out
        si = signer_infos[0]
        payload = signed_attrs_bytes(si)  # before any attribute is parsed
        out.signer_info = si
        out.certs = embedded_certificates(signed_data)
        cert = find_signer_certificate(signed_data, si, extra_certs or [])
        out.tsa_cert = cert
        if cert is None:  # certReq was false and nobody else carries it: cannot be checked
            problem("TSA_CERTIFICATE_MISSING", "the TSA certificate is not available")
            return out
        try:
            out.tsa_name = cert.subject.human_friendly
        except (ValueError, KeyError):
            out.tsa_name = ""
        content = tst_info_bytes(signed_data)
        h = new_hash(
            si["digest_algorithm"]["algorithm"].native, digest_parameters(si["digest_algorithm"])
        )
        h.update(content)
        md = check_message_digest(si, h.digest())
        if not si["signed_attrs"] or not md.ok or not content_type_ok(si, "tst_info"):
            problem(
                "SIGNED_ATTRIBUTES",
                md.reason or "the timestamp token's signed attributes are invalid",
            )
            return out
        if payload is None:
            problem("SIGNED_ATTRIBUTES", "the timestamp token has no signed attributes")
            return out
        value = verify_signature_value(cert, si, payload)
        out.signature_ok = value.ok
        out.unsupported = value.unsupported
        if not value.ok:
            problem(
                "SIGNATURE_UNSUPPORTED" if value.unsupported else "SIGNATURE_INVALID",
                f"the timestamp signature is invalid: {value.reason}",
            )
    except UnsupportedDigest as exc:
        out.unsupported = True
        problem("SIGNATURE_UNSUPPORTED", f"the timestamp uses a digest kyso cannot compute ({exc})")
    except (KeyError, ValueError, TypeError) as exc:
        problem("MALFORMED", f"the timestamp token is malformed ({type(exc).__name__})")
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


def content_timestamp_tokens(signer_info: cms.SignerInfo) -> list[cms.SignedData]:
    """id-aa-ets-contentTimestamp values (signed attributes) as SignedData.

    asn1crypto does not know the attribute, so each value is re-read from its DER.  A value that
    is not a SignedData is returned as an empty SignedData so that it is reported, not skipped.
    """
    out: list[cms.SignedData] = []
    attrs = signer_info["signed_attrs"]
    if not attrs:
        return out
    for attr in attrs:
        if attr["type"].dotted != CONTENT_TIMESTAMP_OID:
            continue
        for value in attr["values"]:
            try:
                info = cms.ContentInfo.load(value.dump())
                if info["content_type"].native != "signed_data":
                    raise ValueError("not SignedData")
                sd = info["content"]
                sd.native  # noqa: B018 - parse now: a malformed token is caught here
                out.append(sd)
            except (KeyError, ValueError, TypeError):
                out.append(cms.SignedData())
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


__all__ = [
    "CONTENT_TIMESTAMP_OID",
    "TokenCheck",
    "check_token",
    "claimed_signing_time",
    "content_timestamp_tokens",
    "signature_timestamp_tokens",
]
