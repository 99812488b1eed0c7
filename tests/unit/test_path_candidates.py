"""The candidate filter of path building (kyso.pki.candidates): signature edges, dedupe, caps.

A small PKI made here with ``cryptography`` (root -> CA -> leaf) plus hostile certificates:
copies of the CA's name with other keys, X⇄Y name loops, a thousand certificates with the CA's
name.  Robustness issue 9, item 4.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from kyso.pki.candidates import (
    GuardedSignatureValidator,
    PathLimits,
    deduplicate,
    issued_by_key,
    search_paths,
)

NOW = dt.datetime.now(dt.UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    key: Any,
    issuer: str,
    issuer_key: Any,
    *,
    serial: int = 1,
    ca: bool = True,
) -> ax509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    cert = builder.sign(issuer_key, hashes.SHA256())
    return ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _ec() -> Any:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def pki() -> dict[str, Any]:
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf_key = _ec()
    root = _cert("Root", root_key, "Root", root_key)
    ca = _cert("CA", ca_key, "Root", root_key, serial=2)
    leaf = _cert("Leaf", leaf_key, "CA", ca_key, serial=3, ca=False)
    return {"root": root, "ca": ca, "leaf": leaf, "ca_key": ca_key}


def test_real_chain_is_found(pki: dict[str, Any]) -> None:
    search = search_paths(pki["leaf"], [pki["ca"]], [pki["root"]], PathLimits())
    assert search.paths == [(pki["root"], [pki["ca"]])]
    assert not search.limits_hit


def test_an_ec_certificate_with_the_issuers_name_is_dropped(pki: dict[str, Any]) -> None:
    """The kind that made certvalidator assert (an EC key asked to check an RSA signature)."""
    key = _ec()
    fake = _cert("CA", key, "CA", key, serial=99)
    search = search_paths(pki["leaf"], [fake, pki["ca"]], [pki["root"]], PathLimits())
    assert search.paths == [(pki["root"], [pki["ca"]])]
    assert fake not in search.pool
    assert search.dropped == 1


def test_guarded_validator_turns_any_failure_into_invalid_signature(
    pki: dict[str, Any],
) -> None:
    key = _ec()
    fake = _cert("CA", key, "CA", key, serial=99)
    ca_signed = pki["ca"]  # an RSA signature
    with pytest.raises(InvalidSignature):
        GuardedSignatureValidator().validate_signature(
            ca_signed["signature_value"].native,
            ca_signed["tbs_certificate"].dump(),
            fake.public_key,
            ca_signed["signature_algorithm"],
        )
    assert not issued_by_key(pki["leaf"], fake.public_key)
    assert issued_by_key(pki["leaf"], pki["ca"].public_key)


def test_a_thousand_copies_of_the_cas_name_cost_little(pki: dict[str, Any]) -> None:
    """1,000 certificates with the CA's name: deduplicated (one shared key), no recursion."""
    key = _ec()
    fakes = [_cert("CA", key, "CA", key, serial=1000 + i) for i in range(1000)]
    t0 = time.perf_counter()
    search = search_paths(pki["leaf"], [*fakes, pki["ca"]], [pki["root"]], PathLimits())
    assert time.perf_counter() - t0 < 2
    assert search.paths == [(pki["root"], [pki["ca"]])]
    assert search.signature_checks <= 4


def test_distinct_keys_are_bounded_by_the_signature_budget(pki: dict[str, Any]) -> None:
    fakes = []
    for i in range(40):
        key = _ec()
        fakes.append(_cert("CA", key, "CA", key, serial=2000 + i))
    limits = PathLimits(max_signature_checks=10)
    search = search_paths(pki["leaf"], [*fakes, pki["ca"]], [pki["root"]], limits)
    assert search.signature_checks <= 10
    assert "max_signature_checks" in search.limits_hit
    # with the default budget the real CA is still found behind 40 fakes
    search = search_paths(pki["leaf"], [*fakes, pki["ca"]], [pki["root"]], PathLimits())
    assert search.paths == [(pki["root"], [pki["ca"]])]


def test_name_loops_end(pki: dict[str, Any]) -> None:
    """Twelve certificates in an X⇄Y loop (each X signed by a Y key and back), no anchor:
    certvalidator's builder walked them for over a minute; here the walk follows signatures,
    never revisits a subject and key, and hands on one linear chain."""
    x_keys = [_ec() for _ in range(6)]
    y_keys = [_ec() for _ in range(6)]
    certs = []
    for i in range(6):
        certs.append(_cert("X", x_keys[i], "Y", y_keys[(i + 1) % 6], serial=10 + i))
        certs.append(_cert("Y", y_keys[i], "X", x_keys[(i + 2) % 6], serial=30 + i))
    leaf_key = _ec()
    leaf = _cert("Leaf", leaf_key, "X", x_keys[0], serial=5, ca=False)
    t0 = time.perf_counter()
    search = search_paths(leaf, certs, [pki["root"]], PathLimits())
    assert time.perf_counter() - t0 < 2
    assert search.paths == []
    names = [c.subject.dump() for c in search.chain]
    assert len(names) == len(set(names)) <= PathLimits().max_chain_length
    subjects = [c.subject.dump() for c in search.pool]
    assert len(subjects) == len(set(subjects))  # certvalidator walks a single branch


def test_chain_length_is_capped(pki: dict[str, Any]) -> None:
    keys = [_ec() for _ in range(12)]
    chain = [_cert("I0", keys[0], "Root", pki["ca_key"], serial=100)]
    for i in range(1, 12):
        chain.append(_cert(f"I{i}", keys[i], f"I{i - 1}", keys[i - 1], serial=100 + i))
    leaf = _cert("Leaf", _ec(), "I11", keys[11], serial=200, ca=False)
    search = search_paths(leaf, chain, [pki["root"]], PathLimits(max_chain_length=4))
    assert "max_chain_length" in search.limits_hit
    assert search.paths == []


def test_deduplicate_keeps_cross_certificates(pki: dict[str, Any]) -> None:
    key = pki["ca_key"]
    self_issued = _cert("CA", key, "CA", key, serial=7)
    copies = [_cert("CA", key, "CA", key, serial=8 + i) for i in range(5)]
    kept, dropped, capped = deduplicate([pki["ca"], self_issued, *copies], limit=10)
    assert kept == [pki["ca"], self_issued]  # same subject and key, different issuers
    assert dropped == 5 and not capped
    kept, dropped, capped = deduplicate([pki["ca"], self_issued], limit=1)
    assert kept == [pki["ca"]] and capped
