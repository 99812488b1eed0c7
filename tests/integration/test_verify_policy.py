"""Validation policy as data: shipped policies, a custom policy directory through gRPC, and the
refusal of policies that would lower a mandatory constraint."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from kyso.errors import InvalidInput, NotFound
from kyso.server.settings import Settings
from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.integration.documents import make_pdf
from verifier.model import Level
from verifier.policy import MANDATORY, PolicyRegistry


def _write(directory: Path, name: str, constraints: dict[str, Any], **extra: Any) -> None:
    doc = {
        "name": name,
        "description_en": "test",
        "description_vi": "thử",
        "constraints": constraints,
    }
    doc.update(extra)
    (directory / f"{name}.json").write_text(json.dumps(doc), encoding="utf-8")


def test_shipped_policies() -> None:
    reg = PolicyRegistry()
    assert {"vn-gov", "vn-gov-strict"} <= set(reg.names())
    default, strict = reg.get("vn-gov"), reg.get("vn-gov-strict")
    assert default.level("DIGEST_ALGORITHM") is Level.WARN
    assert strict.level("DIGEST_ALGORITHM") is Level.FAIL
    assert "DIGEST_ALGORITHM" in strict.escalations
    for name in MANDATORY:
        assert default.level(name) is Level.FAIL
        assert strict.level(name) is Level.FAIL
    assert "15/2025" in default.citation("DIGEST_ALGORITHM")[1]


@pytest.mark.parametrize("constraint", sorted(MANDATORY))
def test_mandatory_constraints_cannot_be_lowered(tmp_path: Path, constraint: str) -> None:
    _write(tmp_path, "lax", {constraint: {"level": "WARN"}})
    with pytest.raises(InvalidInput) as info:
        PolicyRegistry(tmp_path).get("lax")
    assert info.value.code == "POLICY_INVALID"


@pytest.mark.parametrize(
    ("constraints", "extra"),
    [
        ({"NO_SUCH_CHECK": "FAIL"}, {}),
        ({"DIGEST_ALGORITHM": "SOMETIMES"}, {}),
        ({"KEY_USAGE": {"level": "FAIL", "indication": "TOTAL_PASSED"}}, {}),
        ({}, {"algorithms": {"acceptable_digests": ["md5", "sha256"]}}),
    ],
)
def test_malformed_policies_are_refused(tmp_path: Path, constraints: Any, extra: Any) -> None:
    _write(tmp_path, "bad", constraints, **extra)
    with pytest.raises(InvalidInput):
        PolicyRegistry(tmp_path).get("bad")


def test_names_are_checked(tmp_path: Path) -> None:
    reg = PolicyRegistry(tmp_path)
    with pytest.raises(InvalidInput):
        reg.get("../vn-gov")
    with pytest.raises(NotFound):
        reg.get("absent")
    _write(tmp_path, "other-name", {})
    (tmp_path / "other-name.json").rename(tmp_path / "renamed.json")
    with pytest.raises(InvalidInput):
        reg.get("renamed")


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("policies")
    # a policy that only informs about key size and ignores the missing timestamp
    _write(
        d, "lenient-keys", {"PUBLIC_KEY_SIZE": "INFORM", "SIGNATURE_TIMESTAMP_PRESENT": "IGNORE"}
    )
    return d


@pytest.fixture(scope="module")
def kyso_config(
    config_factory: Any, tmp_path_factory: pytest.TempPathFactory, policy_dir: Path
) -> Settings:
    return config_factory.make(  # type: ignore[no-any-return]
        tmp_path_factory.mktemp("kyso-policy"), verifier={"policy_dir": str(policy_dir)}
    )


def test_custom_policy_through_grpc(grpc_channel: Any, pki: Any) -> None:
    signer = signers.SimpleSigner.load(
        str(pki.key_path("personal-rsa1024")),
        str(pki.cert_path("personal-rsa1024")),
        ca_chain_files=[str(p) for p in pki.chain_paths("personal-rsa1024")],
    )
    w = IncrementalPdfFileWriter(BytesIO(make_pdf(["Khóa ngắn"])))
    pdf = signers.sign_pdf(w, signers.PdfSignatureMetadata(field_name="Sig1"), signer=signer)
    stub = pb_grpc.VerifierStub(grpc_channel)
    data = pdf.getvalue()
    default = stub.Verify(pb.VerifyRequest(document=data), timeout=60)
    assert default.indication == pb.INDICATION_INDETERMINATE
    custom = stub.Verify(
        pb.VerifyRequest(document=data, options=pb.VerifyOptions(policy="lenient-keys")), timeout=60
    )
    assert custom.policy == "lenient-keys"
    assert custom.indication == pb.INDICATION_TOTAL_PASSED, custom.summary_vi
    (sig,) = custom.signatures
    by_name = {c.name: c for c in sig.checks}
    assert by_name["PUBLIC_KEY_SIZE"].status == pb.CHECK_INFORMATION
    assert by_name["PUBLIC_KEY_SIZE"].level == pb.LEVEL_INFORM
    assert by_name["SIGNATURE_TIMESTAMP_PRESENT"].status == pb.CHECK_SKIPPED
