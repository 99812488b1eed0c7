"""ISC (identification of the signing certificate), including ESS signing-certificate(-v2)."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from dataclasses import dataclass

from asn1crypto import cms, x509

from kyso.pki.algorithms import key_strength
from kyso.pki.parsed import materialise
from verifier.integrity import find_attr
from verifier.model import CertificateSummary

_INTERNED: OrderedDict[bytes, x509.Certificate] = OrderedDict()
_INTERN_MAX = 2048
_intern_lock = threading.Lock()


def intern_certificate(cert: x509.Certificate) -> x509.Certificate:
    """One parsed object per distinct certificate, shared across requests.

    The same signer and CA certificates arrive in document after document;
    reusing the parsed object keeps asn1crypto's memoised names, hashes and key
    info, which otherwise dominate a one-signature verification.
    """
    der = cert.dump()
    with _intern_lock:
        known = _INTERNED.get(der)
        if known is not None:
            _INTERNED.move_to_end(der)
            return known
        fresh = materialise(x509.Certificate.load(der))  # shared by request threads
        _INTERNED[der] = fresh
        if len(_INTERNED) > _INTERN_MAX:
            _INTERNED.popitem(last=False)
        return fresh


def embedded_certificates(signed_data: cms.SignedData) -> list[x509.Certificate]:
    certs: list[x509.Certificate] = []
    for choice in signed_data["certificates"] or []:
        if choice.name == "certificate":
            certs.append(intern_certificate(choice.chosen))
    return certs


def find_signer_certificate(
    signed_data: cms.SignedData,
    signer_info: cms.SignerInfo,
    extra: list[x509.Certificate] = (),  # type: ignore[assignment]
) -> x509.Certificate | None:
    """The certificate the SignerInfo's sid points at, among the embedded certificates."""
    sid = signer_info["sid"]
    for cert in [*embedded_certificates(signed_data), *extra]:
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            if ias["serial_number"].native == cert.serial_number and ias["issuer"] == cert.issuer:
                return cert
        elif sid.name == "subject_key_identifier":
            if cert.key_identifier is not None and cert.key_identifier == sid.chosen.native:
                return cert
    return None


@dataclass
class EssCheck:
    present: bool
    ok: bool
    reason: str = ""


def check_ess_reference(signer_info: cms.SignerInfo, cert: x509.Certificate) -> EssCheck:
    """ESS signing-certificate(-v2): when present, its first entry must be ``cert``."""
    v2 = find_attr(signer_info, "signing_certificate_v2")
    v1 = find_attr(signer_info, "signing_certificate")
    if not v2 and not v1:
        return EssCheck(False, True)
    der = cert.dump()
    try:
        if v2:
            first = v2[0]["certs"][0]  # type: ignore[index]
            algo = first["hash_algorithm"]["algorithm"].native
            expected = hashlib.new(algo, der).digest()
        else:
            first = v1[0]["certs"][0]  # type: ignore[index]
            expected = hashlib.sha1(der).digest()  # noqa: S324 - ESS v1 is defined over SHA-1
        if not hmac.compare_digest(first["cert_hash"].native, expected):
            return EssCheck(
                True, False, "the signed certificate reference does not match the signer"
            )
        issuer_serial = first["issuer_serial"]
        if issuer_serial.native is not None:
            if issuer_serial["serial_number"].native != cert.serial_number:
                return EssCheck(
                    True, False, "the signed certificate reference names another serial"
                )
    except (KeyError, IndexError, ValueError, TypeError):
        return EssCheck(True, False, "the signing-certificate attribute is malformed")
    return EssCheck(True, True)


def _name_part(name: x509.Name, key: str) -> str:
    try:
        value = name.native.get(key, "")
    except (ValueError, KeyError, TypeError):
        return ""
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return str(value or "")


def describe_certificate(cert: x509.Certificate) -> CertificateSummary:
    """What the report shows about a certificate (never trusted, just read)."""
    validity = cert["tbs_certificate"]["validity"]
    try:
        subject = cert.subject.human_friendly
        issuer = cert.issuer.human_friendly
    except (ValueError, KeyError, TypeError):
        subject = issuer = ""
    return CertificateSummary(
        subject=subject,
        common_name=_name_part(cert.subject, "common_name"),
        organisation=_name_part(cert.subject, "organization_name"),
        serial_hex=format(cert.serial_number, "X"),
        issuer=issuer,
        issuer_common_name=_name_part(cert.issuer, "common_name"),
        issuer_organisation=_name_part(cert.issuer, "organization_name"),
        not_before=validity["not_before"].native,
        not_after=validity["not_after"].native,
        sha256=hashlib.sha256(cert.dump()).hexdigest().upper(),
        public_key=key_strength(cert).description,
    )
