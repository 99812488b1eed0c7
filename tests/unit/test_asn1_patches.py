"""kyso.pki.der_lengths (asn1crypto's indefinite-length test made exact) and kyso.pki.parsed
(values fully parsed before they are shared between threads)."""

from __future__ import annotations

from datetime import UTC

import pytest
from asn1crypto import core, x509

from kyso.pki import der_lengths
from kyso.pki.parsed import is_materialised, materialise

der_lengths.install()


class _Holder(core.Sequence):
    _fields = [("data", core.OctetString)]  # noqa: RUF012  -- asn1crypto's own form


def _ber_not_der_of_length_128() -> bytes:
    """A SEQUENCE of 128 content bytes (header 30 81 80: definite, last octet 0x80) holding an
    OCTET STRING whose length is in a needless long form (04 82 00 7c): valid BER, not DER."""
    inner = b"\x04\x82\x00\x7c" + bytes(range(124))
    assert len(inner) == 0x80
    return b"\x30\x81\x80" + inner


@pytest.mark.parametrize(
    ("header", "indefinite"),
    [
        (b"\x30\x80", True),
        (b"\x30\x81\x80", False),  # long form, length 128
        (b"\x30\x82\x04\x80", False),  # a 1,152-byte certificate
        (b"\xa0\x80", True),
        (b"\xa0\x82\x04\x84\x30\x82\x04\x80", False),  # explicit tag, then the value's own
        (b"\xa0\x82\x04\x84\x30\x80", True),
        (b"\x1f\x81\x00\x80", True),  # high tag number form, then indefinite
        (b"\x1f\x81\x00\x81\x80", False),
        (b"\x30", True),  # unreadable: asn1crypto's re-encoding, as before
    ],
)
def test_indefinite_form_read_from_the_length_octets(header: bytes, indefinite: bool) -> None:
    assert der_lengths.is_indefinite(header) is indefinite


def test_a_definite_length_ending_in_0x80_dumps_its_own_bytes() -> None:
    """Unpatched asn1crypto 1.5.1 re-encodes this value (and returns 30 7e 04 7c ...)."""
    data = _ber_not_der_of_length_128()
    value = _Holder.load(data)
    assert value["data"].native == bytes(range(124))  # children parsed, not mutated
    assert value.dump() == data
    assert value.dump(force=True) == b"\x30\x7e\x04\x7c" + bytes(range(124))  # DER on request


def test_indefinite_and_mutated_values_are_still_re_encoded() -> None:
    indefinite = _Holder.load(b"\x30\x80\x04\x01\x41\x00\x00")
    assert indefinite.dump() == b"\x30\x03\x04\x01\x41"
    mutated = _Holder.load(_ber_not_der_of_length_128())
    mutated["data"] = b"B"
    assert mutated.dump() == b"\x30\x03\x04\x01\x42"


def test_repeated_dumps_of_a_0x80_certificate_re_encode_nothing(
    signer_certificate_0x80: bytes,
) -> None:
    """Unpatched, every dump re-encodes the whole certificate (~1 ms each, new bytes)."""
    cert = x509.Certificate.load(signer_certificate_0x80)
    cert.subject.human_friendly  # noqa: B018  -- children parsed, as in a verification
    contents = cert._contents
    for _ in range(3):
        assert cert.dump() == signer_certificate_0x80
    assert cert._contents is contents


@pytest.fixture
def signer_certificate_0x80() -> bytes:
    """A real certificate grown (by an extra subject attribute) to a length ending in 0x80."""
    from asn1crypto import keys
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    from cryptography.hazmat.primitives import serialization

    spki = keys.PublicKeyInfo.load(
        key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    for pad in range(1, 400):
        tbs = x509.TbsCertificate(
            {
                "version": "v3",
                "serial_number": 1,
                "signature": {"algorithm": "sha256_ecdsa"},
                "issuer": x509.Name.build({"common_name": "Test CA"}),
                "validity": {
                    "not_before": x509.Time(name="utc_time", value=_utc(2026)),
                    "not_after": x509.Time(name="utc_time", value=_utc(2027)),
                },
                "subject": x509.Name.build({"common_name": "A" * pad}),
                "subject_public_key_info": spki,
            }
        )
        cert = x509.Certificate(
            {
                "tbs_certificate": tbs,
                "signature_algorithm": {"algorithm": "sha256_ecdsa"},
                "signature_value": b"\x30\x06\x02\x01\x01\x02\x01\x01",
            }
        )
        der = cert.dump()
        if der[1] == 0x82 and der[3] == 0x80:
            return der
    raise AssertionError("no padding gives a length ending in 0x80")


def _utc(year: int) -> object:
    from datetime import datetime

    return datetime(year, 1, 1, tzinfo=UTC)


def test_materialise_leaves_no_lazy_parse(signer_certificate_0x80: bytes) -> None:
    cert = x509.Certificate.load(signer_certificate_0x80)
    assert not is_materialised(cert)
    assert materialise(cert) is cert
    assert is_materialised(cert)
    assert cert.dump() == signer_certificate_0x80


def test_materialise_survives_what_does_not_parse() -> None:
    broken = _Holder.load(b"\x30\x03\x05\x01\x00")  # a NULL where an OCTET STRING belongs
    materialise(broken)  # nothing raised; reading the field raises, as before
    with pytest.raises(ValueError):
        broken["data"].native  # noqa: B018


def test_materialise_without_native_keeps_no_dicts(signer_certificate_0x80: bytes) -> None:
    """Large shared values (a CRL) are parsed for sharing but not converted to ``native``."""
    cert = materialise(x509.Certificate.load(signer_certificate_0x80), with_native=False)
    assert is_materialised(cert) and cert._native is None
    assert materialise(cert)._native is not None
