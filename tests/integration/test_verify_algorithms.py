"""Issue 11 §2: every algorithm the standards allow is verified; the policy decides what it
accepts.  Signatures made at run time by a generated PKI (P-256/384/521, RSA-PSS variations,
Ed25519, Ed448, the EC public-key OID as signature algorithm), verified through gRPC.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import algos
from cryptography.hazmat.primitives import hashes

from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.integration.documents import make_pdf
from tests.integration.generated_pki import (
    EcPublicKeyOidSigner,
    GeneratedPki,
    rewrite_last_cms,
    sign_pdf,
    start_pki,
)


def _eddsa_policy() -> dict[str, Any]:
    """vn-gov accepting EdDSA too: the verdict is the policy's, not the verifier's."""
    from verifier.policy import SHIPPED_DIR

    raw: dict[str, Any] = json.loads((SHIPPED_DIR / "vn-gov.json").read_text(encoding="utf-8"))
    raw["name"] = "eddsa-accepted"
    raw["algorithms"]["signature_algorithms"] += ["ed25519", "ed448"]
    return raw


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedPki]:
    pki, server = start_pki(tmp_path_factory.mktemp("generated-pki"))
    yield pki
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def kyso_config(
    config_factory: Any, tmp_path_factory: pytest.TempPathFactory, gen: GeneratedPki
) -> Any:
    policies = tmp_path_factory.mktemp("policies")
    (policies / "eddsa-accepted.json").write_text(json.dumps(_eddsa_policy()), encoding="utf-8")
    return config_factory.make(
        tmp_path_factory.mktemp("kyso-algorithms"),
        trust=[gen.root_path],
        verifier={"policy_dir": str(policies)},
    )


@pytest.fixture(scope="module")
def stub(grpc_channel: Any) -> pb_grpc.VerifierStub:
    return pb_grpc.VerifierStub(grpc_channel)


@pytest.fixture(scope="module")
def document() -> bytes:
    return make_pdf(["QUYẾT ĐỊNH", "Về việc thử các thuật toán chữ ký", "Lạc Văn Thử"])


def verify(stub: pb_grpc.VerifierStub, pdf: bytes, **options: Any) -> pb.ValidationReport:
    return stub.Verify(
        pb.VerifyRequest(document=pdf, options=pb.VerifyOptions(**options)), timeout=60
    )


def checks(sig: pb.SignatureReport) -> dict[str, int]:
    return {c.name: c.status for c in sig.checks}


@pytest.mark.parametrize(
    ("kind", "md"),
    [("p256", "sha256"), ("p384", "sha384"), ("p521", "sha512"), ("p256", "sha512")],
)
@pytest.mark.parametrize("ec_oid", [False, True], ids=["ecdsa-with-sha", "ec-public-key-oid"])
def test_ecdsa_curves_and_digests_pass(
    stub: Any, gen: GeneratedPki, document: bytes, kind: str, md: str, ec_oid: bool
) -> None:
    leaf = gen.issue(f"ECDSA {kind} {md}", kind)
    signer = EcPublicKeyOidSigner(leaf, gen.root.cert) if ec_oid else gen.signer(leaf)
    pdf = sign_pdf(document, signer, md=md)
    report = verify(stub, pdf)
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    (sig,) = report.signatures
    assert sig.signature_algorithm == "ecdsa"
    assert sig.digest_algorithm == md
    assert checks(sig)["SIGNATURE_VALUE"] == pb.CHECK_PASSED


def test_ecdsa_by_public_key_oid_still_detects_forgery(
    stub: Any, gen: GeneratedPki, document: bytes
) -> None:
    """Accepting the OID is no loosening: a wrong value is still proven wrong."""
    leaf = gen.issue("ECDSA forged", "p256")
    pdf = sign_pdf(document, EcPublicKeyOidSigner(leaf, gen.root.cert), md="sha256")
    other = gen.issue("ECDSA other key", "p256")

    def swap_value(sd: Any) -> None:
        si = sd["signer_infos"][0]
        si["signature"] = other.key.sign(b"something else", _ecdsa_sha256())

    report = verify(stub, rewrite_last_cms(pdf, swap_value))
    (sig,) = report.signatures
    assert report.indication == pb.INDICATION_TOTAL_FAILED
    assert sig.sub_indication == pb.SUB_INDICATION_SIG_CRYPTO_FAILURE


def _ecdsa_sha256() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.ECDSA(hashes.SHA256())


def _pss(hash_name: str, mgf_hash: str, salt: int) -> algos.SignedDigestAlgorithm:
    return algos.SignedDigestAlgorithm(
        {
            "algorithm": "rsassa_pss",
            "parameters": algos.RSASSAPSSParams(
                {
                    "hash_algorithm": {"algorithm": hash_name},
                    "mask_gen_algorithm": {
                        "algorithm": "mgf1",
                        "parameters": {"algorithm": mgf_hash},
                    },
                    "salt_length": salt,
                }
            ),
        }
    )


@pytest.mark.parametrize(
    ("hash_name", "mgf_hash", "salt", "default", "strict"),
    [
        ("sha256", "sha256", 32, pb.INDICATION_TOTAL_PASSED, pb.INDICATION_TOTAL_PASSED),
        ("sha512", "sha512", 64, pb.INDICATION_TOTAL_PASSED, pb.INDICATION_TOTAL_PASSED),
        ("sha384", "sha256", 48, pb.INDICATION_TOTAL_PASSED, pb.INDICATION_TOTAL_PASSED),
        # salt 0 is allowed by RFC 8017; vn-gov-strict asks at least 32 bytes
        ("sha256", "sha256", 0, pb.INDICATION_TOTAL_PASSED, pb.INDICATION_INDETERMINATE),
        # MGF1 with SHA-1: not a digest Circular 15/2025 lists
        ("sha256", "sha1", 32, pb.INDICATION_INDETERMINATE, pb.INDICATION_INDETERMINATE),
    ],
)
def test_rsa_pss_parameters_are_judged_by_the_policy(
    stub: Any,
    gen: GeneratedPki,
    document: bytes,
    hash_name: str,
    mgf_hash: str,
    salt: int,
    default: int,
    strict: int,
) -> None:
    leaf = gen.issue(f"RSA-PSS {hash_name} {mgf_hash} {salt}")
    pdf = sign_pdf(
        document, gen.signer(leaf, mechanism=_pss(hash_name, mgf_hash, salt)), md=hash_name
    )
    report = verify(stub, pdf)
    (sig,) = report.signatures
    assert sig.signature_algorithm == "rsassa_pss"
    assert checks(sig)["SIGNATURE_VALUE"] == pb.CHECK_PASSED, report.summary_vi
    assert report.indication == default, report.summary_vi
    if default != pb.INDICATION_TOTAL_PASSED:
        assert sig.sub_indication == pb.SUB_INDICATION_CRYPTO_CONSTRAINTS_FAILURE
        assert checks(sig)["SIGNATURE_ALGORITHM"] == pb.CHECK_FAILED
    assert verify(stub, pdf, policy="vn-gov-strict").indication == strict


@pytest.mark.parametrize("kind", ["ed25519", "ed448"])
def test_eddsa_verified_and_judged_by_the_policy(
    stub: Any, gen: GeneratedPki, document: bytes, kind: str
) -> None:
    leaf = gen.issue(f"EdDSA {kind}", kind)
    pdf = sign_pdf(document, gen.signer(leaf))
    report = verify(stub, pdf)
    (sig,) = report.signatures
    assert sig.signature_algorithm == kind
    assert sig.digest_algorithm == ("sha512" if kind == "ed25519" else "shake256_len")
    assert checks(sig)["SIGNATURE_VALUE"] == pb.CHECK_PASSED, report.summary_vi
    assert checks(sig)["MESSAGE_DIGEST"] == pb.CHECK_PASSED
    # vn-gov: Circular 15/2025 lists RSA and ECDSA only -> INDETERMINATE with the reason
    assert report.indication == pb.INDICATION_INDETERMINATE
    assert sig.sub_indication == pb.SUB_INDICATION_CRYPTO_CONSTRAINTS_FAILURE
    failed = next(c for c in sig.checks if c.name == "SIGNATURE_ALGORITHM")
    assert "15/2025" in failed.message.message_vi
    # a policy that accepts EdDSA passes the same bytes
    accepted = verify(stub, pdf, policy="eddsa-accepted")
    assert accepted.indication == pb.INDICATION_TOTAL_PASSED, accepted.summary_vi
    # and a changed byte is still proven wrong
    tampered = bytearray(pdf)
    tampered[tampered.index(b"/MediaBox") + 1] = ord("m")
    broken = verify(stub, bytes(tampered), policy="eddsa-accepted")
    assert broken.indication == pb.INDICATION_TOTAL_FAILED
    assert broken.signatures[0].sub_indication == pb.SUB_INDICATION_HASH_FAILURE


def test_eddsa_wrong_value_fails(stub: Any, gen: GeneratedPki, document: bytes) -> None:
    leaf = gen.issue("EdDSA wrong value", "ed25519")
    pdf = sign_pdf(document, gen.signer(leaf))

    def flip(sd: Any) -> None:
        si = sd["signer_infos"][0]
        value = bytearray(si["signature"].native)
        value[0] ^= 1
        si["signature"] = bytes(value)

    report = verify(stub, rewrite_last_cms(pdf, flip), policy="eddsa-accepted")
    assert report.indication == pb.INDICATION_TOTAL_FAILED
    assert report.signatures[0].sub_indication == pb.SUB_INDICATION_SIG_CRYPTO_FAILURE


@pytest.mark.parametrize(
    "oid", ["1.2.3.4.5", "2.16.840.1.101.3.4.3.17"], ids=["unknown", "ml-dsa-44"]
)
def test_unsupported_signature_algorithm_is_indeterminate_not_failed(
    stub: Any, gen: GeneratedPki, document: bytes, oid: str
) -> None:
    """FAILED means the bytes were proven wrong; an algorithm kyso cannot evaluate proves
    nothing (INDETERMINATE)."""
    leaf = gen.issue("Unsupported algorithm")
    pdf = sign_pdf(document, gen.signer(leaf))

    def rename(sd: Any) -> None:
        sd["signer_infos"][0]["signature_algorithm"] = algos.SignedDigestAlgorithm(
            {"algorithm": oid}
        )

    report = verify(stub, rewrite_last_cms(pdf, rename))
    (sig,) = report.signatures
    assert report.indication == pb.INDICATION_INDETERMINATE, report.summary_vi
    assert sig.sub_indication == pb.SUB_INDICATION_GENERIC
    value = next(c for c in sig.checks if c.name == "SIGNATURE_VALUE")
    assert value.status == pb.CHECK_INDETERMINATE
    assert value.message.code == "SIGNATURE_ALGORITHM_UNSUPPORTED"
    assert value.message.message_vi


def test_signer_certificate_signed_with_sha1_is_judged_by_the_policy(
    stub: Any, gen: GeneratedPki, document: bytes
) -> None:
    """A SHA-1 signature inside the chain is judged like the signature's own digest."""
    leaf = gen.issue("Chain SHA-1", sha1=True)
    pdf = sign_pdf(document, gen.signer(leaf), md="sha256")
    default = verify(stub, pdf)
    (sig,) = default.signatures
    chain = next(c for c in sig.checks if c.name == "VALIDATION_DATA_ALGORITHMS")
    assert chain.status == pb.CHECK_WARNING, default.summary_vi
    assert "SHA-1" in chain.message.message_en and "15/2025" in chain.message.message_vi
    assert default.indication == pb.INDICATION_TOTAL_PASSED
    strict = verify(stub, pdf, policy="vn-gov-strict")
    assert strict.indication == pb.INDICATION_TOTAL_FAILED
    assert strict.signatures[0].sub_indication == pb.SUB_INDICATION_CRYPTO_CONSTRAINTS_FAILURE


def test_crl_signed_with_sha1_is_judged_by_the_policy(
    stub: Any, gen: GeneratedPki, document: bytes
) -> None:
    """Revocation data signed with SHA-1: the same policy, not ignored (issue 11 §2)."""
    gen.publish_crl(name="root-sha1.crl", sha1=True)
    leaf = gen.issue("CRL SHA-1", crl_name="root-sha1.crl")
    pdf = sign_pdf(document, gen.signer(leaf), md="sha256")
    default = verify(stub, pdf)
    (sig,) = default.signatures
    assert sig.revocation.source == pb.REVOCATION_DATA_SOURCE_CRL, default.summary_vi
    chain = next(c for c in sig.checks if c.name == "VALIDATION_DATA_ALGORITHMS")
    assert chain.status == pb.CHECK_WARNING, default.summary_vi
    assert "(CRL)" in chain.message.message_en
    assert default.indication == pb.INDICATION_TOTAL_PASSED
    strict = verify(stub, pdf, policy="vn-gov-strict")
    assert strict.indication == pb.INDICATION_TOTAL_FAILED


def test_policy_dir_is_used(kyso_config: Any) -> None:
    assert Path(str(kyso_config.verifier.policy_dir)).is_dir()
