"""Verification cases from real use (../shared/cases, MANIFEST.md) through gRPC.

Each case is one instance of a kind of fault that kyso got wrong; its control is built the same
way without the fault and must keep its verdict. The cases' certificates name their CRLs at
``http://127.0.0.1:18961/`` (fixed in the certificates, valid until 2036), so the CRL folder is
served there for the module; when that port is already serving the same CRLs (another run on this
machine), that server is used. Cases that kyso still gets wrong are strict xfails naming the issue
that fixes them: the day one passes, the marker must go (issue 11 §1-2 landed: none left).
"""

from __future__ import annotations

import functools
import http.server
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.shared_corpus import CASES

CRL_PORT = 18961
DEADLINE_SECONDS = 20.0


def _serving_our_crls() -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{CRL_PORT}/root.crl", timeout=2) as resp:
            return bool(resp.read() == (CASES / "pki" / "root.crl").read_bytes())
    except OSError:
        return False


@pytest.fixture(scope="module")
def crl_server(shared_cases_dir: Path) -> Iterator[None]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(CASES / "pki"))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", CRL_PORT), handler)
    except OSError:
        if not _serving_our_crls():
            pytest.fail(f"127.0.0.1:{CRL_PORT} is taken by something that is not the cases' CRLs")
        yield
        return
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def kyso_config(
    config_factory: Any, tmp_path_factory: pytest.TempPathFactory, shared_cases_dir: Path
) -> Any:
    """Trust only the cases' root (signatures and timestamps)."""
    return config_factory.make(
        tmp_path_factory.mktemp("kyso-cases"),
        trust=[CASES / "pki" / "root.pem"],
        trust_root=False,
    )


@pytest.fixture(scope="module")
def stub(grpc_channel: Any, crl_server: None) -> pb_grpc.VerifierStub:
    return pb_grpc.VerifierStub(grpc_channel)


def _verify(stub: pb_grpc.VerifierStub, name: str) -> pb.ValidationReport:
    data = (CASES / name).read_bytes()
    report: pb.ValidationReport = stub.Verify(
        pb.VerifyRequest(document=data), timeout=DEADLINE_SECONDS
    )
    return report


def _check(sig: pb.SignatureReport, name: str) -> int:
    return {c.name: c.status for c in sig.checks}.get(name, pb.CHECK_STATUS_UNSPECIFIED)


@pytest.mark.parametrize("name", ["g01-ecdsa-control.pdf", "g04-sigts-control.pdf"])
def test_controls_pass(stub: Any, name: str) -> None:
    report = _verify(stub, name)
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    assert len(report.signatures) == 1


def test_ecdsa_named_by_public_key_oid_passes(stub: Any) -> None:
    """Issue 11 §2: verified as ECDSA with the declared digest, as Acrobat and DSS do."""
    report = _verify(stub, "g01-ecdsa-pubkey-oid.pdf")
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    (sig,) = report.signatures
    assert sig.signature_algorithm == "ecdsa"
    assert _check(sig, "SIGNATURE_VALUE") == pb.CHECK_PASSED


def test_wrong_signature_timestamp_does_not_fail_an_intact_signature(stub: Any) -> None:
    """Issue 11 §1: the bad timestamp is named, not used as proof; the signature stands."""
    report = _verify(stub, "g04-sigts-wrong-imprint.pdf")
    assert report.indication != pb.INDICATION_TOTAL_FAILED, report.summary_vi
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi  # vn-gov: WARN
    (sig,) = report.signatures
    assert sig.signing_time_source == pb.SIGNING_TIME_SOURCE_CLAIMED
    assert _check(sig, "MESSAGE_DIGEST") == pb.CHECK_PASSED
    assert _check(sig, "SIGNATURE_VALUE") == pb.CHECK_PASSED
    assert _check(sig, "SIGNATURE_TIMESTAMP_IMPRINT") == pb.CHECK_WARNING
    (ts,) = sig.timestamps
    assert ts.kind == pb.TIMESTAMP_KIND_SIGNATURE
    assert ts.indication == pb.INDICATION_TOTAL_FAILED
    assert ts.sub_indication == pb.SUB_INDICATION_HASH_FAILURE
    assert not ts.proof_of_existence
    assert "imprint" in ts.reason.message_en and ts.reason.message_vi
    assert any(w.code == "SIGNATURE_TIMESTAMP_BROKEN" for w in sig.warnings)
    strict = stub.Verify(
        pb.VerifyRequest(
            document=(CASES / "g04-sigts-wrong-imprint.pdf").read_bytes(),
            options=pb.VerifyOptions(policy="vn-gov-strict"),
        ),
        timeout=DEADLINE_SECONDS,
    )
    assert strict.indication == pb.INDICATION_INDETERMINATE, strict.summary_vi


def test_control_signature_timestamp_is_the_signing_time(stub: Any) -> None:
    (sig,) = _verify(stub, "g04-sigts-control.pdf").signatures
    assert sig.signing_time_source == pb.SIGNING_TIME_SOURCE_SIGNATURE_TIMESTAMP
    (ts,) = sig.timestamps
    assert ts.indication == pb.INDICATION_TOTAL_PASSED and ts.proof_of_existence


@pytest.mark.parametrize("name", ["g06d-ed25519.pdf", "g06c-ed448-shake256.pdf"])
def test_eddsa_signature_value_verifies(stub: Any, name: str) -> None:
    """Issue 11 §2: RFC 8419 verified; the verdict is the vn-gov policy's, with its reason."""
    report = _verify(stub, name)
    (sig,) = report.signatures
    assert _check(sig, "SIGNATURE_VALUE") == pb.CHECK_PASSED, sig.summary_vi.text
    assert _check(sig, "MESSAGE_DIGEST") == pb.CHECK_PASSED
    assert _check(sig, "CERTIFICATE_CHAIN") == pb.CHECK_PASSED
    assert _check(sig, "SIGNATURE_ALGORITHM") == pb.CHECK_FAILED
    assert sig.indication == pb.INDICATION_INDETERMINATE
    assert sig.sub_indication == pb.SUB_INDICATION_CRYPTO_CONSTRAINTS_FAILURE
    failed = next(c for c in sig.checks if c.name == "SIGNATURE_ALGORITHM")
    assert "15/2025" in failed.message.message_vi and "EdDSA" in failed.message.message_en
    assert sig.signer_certificate.public_key.startswith("Ed")


@pytest.mark.parametrize(
    "name",
    [
        "g01-ecdsa-pubkey-oid.pdf",
        "g04-sigts-wrong-imprint.pdf",
        "g06d-ed25519.pdf",
        "g06c-ed448-shake256.pdf",
    ],
)
def test_faulty_cases_get_a_definite_answer(stub: Any, name: str) -> None:
    """Until their issue lands they still get an answer within the deadline, with a definite
    indication per signature, not an error or an empty report."""
    report = _verify(stub, name)
    assert report.indication != pb.INDICATION_UNSPECIFIED
    assert report.signatures
    assert all(s.indication != pb.INDICATION_UNSPECIFIED for s in report.signatures)


def test_cli_reports_the_bad_timestamp_and_passes(
    kyso_server: str, crl_server: None, capsys: Any
) -> None:
    """End to end through ``kyso verify --json``: exit 0, the bad token named with its reason."""
    import json

    from kyso.cli.main import main

    capsys.readouterr()
    code = main(
        ["--server", kyso_server, "verify", str(CASES / "g04-sigts-wrong-imprint.pdf"), "--json"]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0, data
    (ts,) = data["signatures"][0]["timestamps"]
    assert ts["indication"] == "TOTAL_FAILED" and ts["kind"] == "SIGNATURE"
    assert ts["reason"]["message_vi"]
    code = main(["--server", kyso_server, "verify", str(CASES / "g06d-ed25519.pdf"), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 2 and data["signatures"][0]["sub_indication"] == "CRYPTO_CONSTRAINTS_FAILURE"
