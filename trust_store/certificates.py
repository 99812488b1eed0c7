"""Reading and writing certificate bundles (PEM, DER, PKCS#7/P7B) strictly.

Officers paste whatever their CA published; a truncated or half-valid file must
be refused whole, so every certificate is parsed completely (no lazy parsing
left for later) and trailing garbage is an error.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from asn1crypto import cms, pem, x509

from kyso.errors import InvalidInput

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL)
_MAX_BUNDLE_BYTES = 16 * 1024 * 1024
_MAX_CERTIFICATES = 1000


def _bad_bundle(problem: str) -> InvalidInput:
    return InvalidInput("TRUST_BAD_BUNDLE", problem=problem)


def _load_certificate(der: bytes) -> x509.Certificate:
    try:
        cert = x509.Certificate.load(der, strict=True)
        cert.native  # noqa: B018 - parse every field now: lazy parsing hides truncation
        cert.public_key.native  # noqa: B018
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidInput("CERTIFICATE_INVALID") from exc
    return cert


def _from_pkcs7(der: bytes) -> list[x509.Certificate]:
    try:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            raise ValueError("not signed-data")
        choices = info["content"]["certificates"]
        # Re-encoding parses each certificate's inner fields: a damaged one fails here.
        ders = [c.chosen.dump(force=True) for c in choices if c.name == "certificate"]
    except (ValueError, TypeError, KeyError) as exc:
        raise _bad_bundle("the PKCS#7 bundle is damaged or truncated") from exc
    return [_load_certificate(der) for der in ders]


def _from_der(der: bytes) -> list[x509.Certificate]:
    # A PKCS#7 SignedData starts with the OID 1.2.840.113549.1.7.2 right after its header.
    if b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" in der[:32]:
        return _from_pkcs7(der)
    return [_load_certificate(der)]


def parse_bundle(data: bytes) -> list[x509.Certificate]:
    """Every certificate in ``data`` (PEM with any number of blocks, DER, or P7B), in order.

    Raises :class:`InvalidInput` if anything in it is not a whole certificate.
    """
    if not data or not data.strip():
        raise _bad_bundle("empty")
    if len(data) > _MAX_BUNDLE_BYTES:
        raise _bad_bundle("too large")
    certs: list[x509.Certificate] = []
    if pem.detect(data):
        begins = data.count(b"-----BEGIN ")
        blocks = list(_PEM_BLOCK.finditer(data))
        if begins != len(blocks) or data.count(b"-----END ") != len(blocks):
            raise _bad_bundle("the PEM is truncated: a BEGIN line has no matching END line")
        for block in blocks:
            kind = block.group(1)
            try:
                _, _, der = pem.unarmor(block.group(0))
            except ValueError as exc:
                raise _bad_bundle("a PEM block is damaged") from exc
            if kind in (b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"):
                certs.append(_load_certificate(der))
            elif kind in (b"PKCS7", b"CMS"):
                certs.extend(_from_pkcs7(der))
            else:
                raise _bad_bundle(
                    f"unexpected PEM block {kind.decode(errors='replace')!r}: only certificates"
                )
    else:
        certs = _from_der(bytes(data))
    if not certs:
        raise _bad_bundle("no certificate in it")
    if len(certs) > _MAX_CERTIFICATES:
        raise _bad_bundle("too many certificates")
    return certs


def is_self_signed(cert: x509.Certificate) -> bool:
    """Subject equals issuer and the key identifiers (when present) agree."""
    return bool(cert.self_issued) and cert.self_signed in ("yes", "maybe")


def is_ca(cert: x509.Certificate) -> bool:
    """A CA per basicConstraints; a v1 self-signed root (no extensions) counts as one."""
    bc = cert.basic_constraints_value
    if bc is not None:
        return bool(bc["ca"].native)
    return cert["tbs_certificate"]["version"].native == "v1" and is_self_signed(cert)


def validity(cert: x509.Certificate) -> tuple[datetime, datetime]:
    """``(notBefore, notAfter)`` as timezone-aware datetimes."""
    v = cert["tbs_certificate"]["validity"]
    return v["not_before"].native, v["not_after"].native


def is_expired(cert: x509.Certificate, now: datetime | None = None) -> bool:
    """True when ``notAfter`` is before ``now`` (default: the current time)."""
    return validity(cert)[1] < (now or datetime.now(UTC))


def to_pem(cert: x509.Certificate) -> bytes:
    """The certificate as one PEM block (ASCII bytes)."""
    return pem.armor("CERTIFICATE", cert.dump())


def to_p7b(certs: list[x509.Certificate]) -> bytes:
    """A degenerate PKCS#7 SignedData (certificates only, no signers), DER."""
    signed = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [],
            "encap_content_info": {"content_type": "data"},
            "certificates": [cms.CertificateChoices(name="certificate", value=c) for c in certs],
            "signer_infos": [],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump())


def describe_name(name: x509.Name) -> str:
    """asn1crypto's human-friendly form of a name (``Common Name: ..., Organization: ...``)."""
    return str(name.human_friendly)


def serial_hex(cert: x509.Certificate) -> str:
    """The serial number in upper-case hex padded to whole bytes, as certificate viewers show it."""
    serial = int(cert.serial_number)
    width = max(2, (serial.bit_length() + 7) // 8 * 2)
    return format(serial, f"0{width}X") if serial >= 0 else "-" + format(-serial, "X")


def issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    """Name chaining plus key identifiers when both carry them (no signature check)."""
    if child.issuer != parent.subject or child.sha256 == parent.sha256:
        return False
    aki, ski = child.authority_key_identifier, parent.key_identifier
    return aki is None or ski is None or aki == ski
