"""Issue 11 §2 in process: every scheme verified by the CV layer, accepted by the policy's data.

Real keys and real signatures (``cryptography``), hand-made SignerInfos (asn1crypto); the gRPC
tests (tests/integration/test_verify_algorithms.py) cover the same through whole documents.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import algos, cms, x509
from cryptography import x509 as cx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519
from cryptography.x509.oid import NameOID

from kyso.errors import InvalidInput
from kyso.pki.algorithms import key_strength
from tests.unit.process_inputs import strict, vn_gov
from verifier import integrity, timestamps
from verifier.model import Indication, Status, SubIndication
from verifier.policy import SHIPPED_DIR, PolicyRegistry
from verifier.process import sav

SIGNED = b"\x31\x03\x02\x01\x05"  # stands for the DER of the signed attributes


def _cert(key: Any) -> x509.Certificate:
    name = cx.Name([cx.NameAttribute(NameOID.COMMON_NAME, "Thử thuật toán")])
    signer = ec.generate_private_key(ec.SECP256R1())
    cert = (
        cx.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2025, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2030, 1, 1, tzinfo=UTC))
        .sign(signer, hashes.SHA256())
    )
    return x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _signer_info(sig_algo: str, digest: str, value: bytes) -> cms.SignerInfo:
    return cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {"subject_key_identifier": b"\x01" * 20}  # not read by the value check
            ),
            "digest_algorithm": {"algorithm": digest},
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": sig_algo}),
            "signature": value,
        }
    )


def test_ecdsa_named_by_the_ec_public_key_oid_verifies_with_the_declared_digest() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    value = key.sign(SIGNED, ec.ECDSA(hashes.SHA384()))
    si = _signer_info("1.2.840.10045.2.1", "sha384", value)
    assert integrity.signature_algorithm_name(si) == "ecdsa"
    assert integrity.verify_signature_value(_cert(key), si, SIGNED).ok
    wrong = integrity.verify_signature_value(_cert(key), si, SIGNED + b"x")
    assert not wrong.ok and not wrong.unsupported


@pytest.mark.parametrize("kind", ["ed25519", "ed448"])
def test_eddsa_verifies_and_its_key_has_a_fixed_size(kind: str) -> None:
    key = (ed25519.Ed25519PrivateKey if kind == "ed25519" else ed448.Ed448PrivateKey).generate()
    digest = "sha512" if kind == "ed25519" else "shake256_len"
    si = _signer_info(kind, digest, key.sign(SIGNED))
    cert = _cert(key)
    assert integrity.verify_signature_value(cert, si, SIGNED).ok
    strength = key_strength(cert)  # asn1crypto's bit_size raises UnboundLocalError here
    assert strength.long_enough and strength.bits == (256 if kind == "ed25519" else 456)


def test_unknown_algorithm_is_unsupported_not_wrong() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    value = integrity.verify_signature_value(
        _cert(key), _signer_info("1.2.3.4.5", "sha256", b"\x00" * 64), SIGNED
    )
    assert not value.ok and value.unsupported


def test_shake256_digest_lengths() -> None:
    assert len(integrity.new_hash("shake256_len", 512).digest()) == 64
    assert len(integrity.new_hash("shake256").digest()) == 64
    assert len(integrity.new_hash("shake128").digest()) == 32
    with pytest.raises(integrity.UnsupportedDigest):
        integrity.new_hash("gost3411")


def test_signature_algorithm_is_the_policys() -> None:
    si = _signer_info("ed25519", "sha512", b"")
    [c] = sav.signature_algorithm(vn_gov, si, "ed25519")
    assert (c.name, c.block, c.status) == ("SIGNATURE_ALGORITHM", "SAV", Status.FAILED)
    assert (c.indication, c.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
    )
    assert "15/2025" in c.message_vi
    [ok] = sav.signature_algorithm(vn_gov, _signer_info("sha256_ecdsa", "sha256", b""), "ecdsa")
    assert ok.status is Status.PASSED


def _pss_info(salt: int, mgf: str = "sha256") -> cms.SignerInfo:
    si = _signer_info("sha256_rsa", "sha256", b"")
    si["signature_algorithm"] = algos.SignedDigestAlgorithm(
        {
            "algorithm": "rsassa_pss",
            "parameters": {
                "hash_algorithm": {"algorithm": "sha256"},
                "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": mgf}},
                "salt_length": salt,
            },
        }
    )
    return si


def test_pss_parameters_are_judged_by_the_policy() -> None:
    [default] = sav.signature_algorithm(vn_gov, _pss_info(0), "rsassa_pss")
    assert default.status is Status.PASSED and default.code == "SIGNATURE_ALGORITHM_OK"
    [salt] = sav.signature_algorithm(strict, _pss_info(0), "rsassa_pss")
    assert salt.code == "PSS_PARAMETERS_NOT_ALLOWED" and "salt 0 < 32" in salt.message_en
    [mgf] = sav.signature_algorithm(vn_gov, _pss_info(32, "sha1"), "rsassa_pss")
    assert mgf.status is Status.FAILED and "MGF1 hash SHA-1" in mgf.message_en


def test_deprecated_digest_accepted_before_its_expiry_only() -> None:
    expiry = vn_gov.algorithms.expiry("sha1")
    assert expiry is not None and expiry.year == 2025
    assert sav.digest_acceptable(vn_gov, "sha1", datetime(2024, 1, 1, tzinfo=UTC))
    assert not sav.digest_acceptable(vn_gov, "sha1", datetime(2026, 1, 1, tzinfo=UTC))
    assert not sav.digest_acceptable(vn_gov, "sha1", None)
    assert not sav.digest_acceptable(vn_gov, "md5", datetime(2000, 1, 1, tzinfo=UTC))
    assert sav.digest_acceptable(vn_gov, "sha3_256", None)


@pytest.mark.parametrize(
    "algorithms",
    [
        {"signature_algorithms": ["rsassa_pkcs1v15", "gost"]},
        {"deprecated_until": {"md5": "2030-01-01"}},
        {"deprecated_until": {"sha1": "soon"}},
    ],
)
def test_policy_algorithm_data_is_validated(tmp_path: Path, algorithms: dict[str, Any]) -> None:
    raw = json.loads((SHIPPED_DIR / "vn-gov.json").read_text(encoding="utf-8"))
    raw["name"] = "bad"
    raw["algorithms"].update(algorithms)
    (tmp_path / "bad.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(InvalidInput):
        PolicyRegistry(tmp_path).get("bad")


def test_content_timestamp_that_is_not_a_token_is_reported_not_skipped() -> None:
    attr = cms.CMSAttribute(
        {
            "type": timestamps.CONTENT_TIMESTAMP_OID,
            "values": [cms.ContentInfo({"content_type": "data", "content": b"x"})],
        }
    )
    si = _signer_info("sha256_ecdsa", "sha256", b"")
    si["signed_attrs"] = cms.CMSAttributes([attr])
    [token] = timestamps.content_timestamp_tokens(si)
    check = timestamps.check_token(token, b"content")
    assert not check.intact and check.code == "NO_TST_INFO"
