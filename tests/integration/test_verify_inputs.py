"""Bad and hostile input: a clear gRPC status or a report that is never PASSED, and the server
keeps serving.  This module's server has small size limits so they can be tested cheaply."""

from __future__ import annotations

import subprocess
from io import BytesIO
from pathlib import Path
from typing import Any

import grpc
import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from kyso.server.settings import Settings
from kyso.server.status import error_info
from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.integration.documents import make_pdf

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def kyso_config(config_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return config_factory.make(  # type: ignore[no-any-return]
        tmp_path_factory.mktemp("kyso-inputs"),
        max_document_bytes=1 * MiB,
        max_stream_bytes=2 * MiB,
        verifier={"fetch_revocation": False, "request_timeout_seconds": 10.0},
    )


@pytest.fixture(scope="module")
def stub(grpc_channel: Any) -> pb_grpc.VerifierStub:
    return pb_grpc.VerifierStub(grpc_channel)


@pytest.fixture(scope="module")
def signed(pki: Any) -> bytes:
    signer = signers.SimpleSigner.load(
        str(pki.key_path("personal")),
        str(pki.cert_path("personal")),
        ca_chain_files=[str(p) for p in pki.chain_paths("personal")],
    )
    w = IncrementalPdfFileWriter(BytesIO(make_pdf(["Văn bản thử nghiệm"])))
    meta = signers.PdfSignatureMetadata(field_name="Sig1")
    return signers.sign_pdf(w, meta, signer=signer).getvalue()  # type: ignore[no-any-return]


def _verify(stub: Any, data: bytes, **options: Any) -> pb.ValidationReport:
    request = pb.VerifyRequest(document=data, options=pb.VerifyOptions(**options))
    return stub.Verify(request, timeout=15)


def _refused(stub: Any, data: bytes, **options: Any) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as info:
        _verify(stub, data, **options)
    err = info.value
    return err.code(), error_info(err)[0]  # type: ignore[arg-type]


def test_not_a_pdf(stub: Any) -> None:
    assert _refused(stub, b"hello, this is not a PDF") == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "NOT_A_PDF",
    )
    assert _refused(stub, b"")[0] == grpc.StatusCode.INVALID_ARGUMENT


def test_truncated_signed_pdf_is_never_passed(stub: Any, signed: bytes) -> None:
    for cut in (len(signed) // 2, len(signed) - 10, 200):
        report = _verify(stub, signed[:cut])
        assert report.indication != pb.INDICATION_TOTAL_PASSED


def test_encrypted_pdf_is_refused(stub: Any, tmp_path: Path) -> None:
    plain, locked = tmp_path / "plain.pdf", tmp_path / "locked.pdf"
    plain.write_bytes(make_pdf(["Mật"]))
    subprocess.run(
        ["qpdf", "--encrypt", "user", "owner", "256", "--", str(plain), str(locked)], check=True
    )
    assert _refused(stub, locked.read_bytes()) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "DOCUMENT_ENCRYPTED",
    )


def _xref_loop_pdf(signed: bytes) -> bytes:
    """An update whose trailer's /Prev points at itself."""
    offset = len(signed)
    update = (
        b"\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 /Prev %d /Root 1 0 R >>\n"
        b"startxref\n%d\n%%%%EOF\n" % (offset + 1, offset + 1)
    )
    return signed + update


def test_xref_loop_answers(stub: Any, signed: bytes) -> None:
    report = _verify(stub, _xref_loop_pdf(signed))
    assert report.indication != pb.INDICATION_TOTAL_PASSED


def test_huge_object_count_answers(stub: Any, signed: bytes) -> None:
    offset = len(signed)
    update = (
        b"\nxref\n0 900000000\n0000000000 65535 f \ntrailer\n<< /Size 900000000 /Root 1 0 R >>\n"
        b"startxref\n%d\n%%%%EOF\n" % (offset + 1)
    )
    report = _verify(stub, signed + update)
    assert report.indication != pb.INDICATION_TOTAL_PASSED


def test_deeply_nested_objects_answer(stub: Any, signed: bytes) -> None:
    offset = len(signed)
    body = b"\n99 0 obj\n" + b"[" * 50000 + b"]" * 50000 + b"\nendobj\n"
    xref_at = offset + len(body)
    update = body + (
        b"xref\n99 1\n%010d 00000 n \ntrailer\n<< /Size 100 /Root 1 0 R /Prev %d >>\n"
        b"startxref\n%d\n%%%%EOF\n" % (offset + 1, _startxref(signed), xref_at)
    )
    report = _verify(stub, signed + update)
    assert report.indication != pb.INDICATION_TOTAL_PASSED


def _startxref(pdf: bytes) -> int:
    tail = pdf[pdf.rindex(b"startxref") :].split()
    return int(tail[1])


def test_garbage_after_header(stub: Any) -> None:
    report = _verify(stub, b"%PDF-1.7\n" + bytes(range(256)) * 100)
    assert report.indication != pb.INDICATION_TOTAL_PASSED


def test_unary_size_limit(stub: Any) -> None:
    data = b"%PDF-1.7\n" + b"0" * (MiB + 10)
    assert _refused(stub, data) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "DOCUMENT_TOO_LARGE")


def _stream(options: Any, data: bytes, chunk: int = 256 * 1024) -> Any:
    if options is not None:
        yield pb.VerifyStreamRequest(options=options)
    for i in range(0, len(data), chunk):
        yield pb.VerifyStreamRequest(chunk=data[i : i + chunk])


def test_stream_size_limit(stub: Any) -> None:
    data = b"%PDF-1.7\n" + b"0" * (2 * MiB + 10)
    with pytest.raises(grpc.RpcError) as info:
        stub.VerifyStream(_stream(pb.VerifyOptions(), data), timeout=15)
    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_stream_must_start_with_options(stub: Any, signed: bytes) -> None:
    with pytest.raises(grpc.RpcError) as info:
        stub.VerifyStream(_stream(None, signed), timeout=15)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_unknown_policy(stub: Any, signed: bytes) -> None:
    assert _refused(stub, signed, policy="no-such-policy")[0] == grpc.StatusCode.NOT_FOUND
    assert _refused(stub, signed, policy="../../etc/passwd")[0] == grpc.StatusCode.INVALID_ARGUMENT


def test_server_keeps_serving(stub: Any, signed: bytes) -> None:
    report = _verify(stub, signed)
    # offline and no embedded revocation data: INDETERMINATE, but a full report
    assert report.indication == pb.INDICATION_INDETERMINATE
    (sig,) = report.signatures
    status = {c.name: c.status for c in sig.checks}
    assert status["SIGNATURE_VALUE"] == pb.CHECK_PASSED
    assert status["CERTIFICATE_CHAIN"] == pb.CHECK_PASSED


def test_the_wire_format_is_read_as_protobuf_reads_it(
    grpc_channel: Any, stub: pb_grpc.VerifierStub, signed: bytes
) -> None:
    """The server reads a unary document as a view of gRPC's bytes (kyso.server.lean_requests):
    a document field sent twice is the last one, as in protobuf; a corrupt message is refused
    by gRPC's deserialisation, and the server answers the next call."""
    verify_raw = grpc_channel.unary_unary(
        "/kyso.v1.Verifier/Verify",
        request_serializer=lambda raw: raw,
        response_deserializer=pb.ValidationReport.FromString,
    )
    twice = (
        pb.VerifyRequest(document=b"not a pdf").SerializeToString()
        + pb.VerifyRequest(document=signed).SerializeToString()
    )
    expected = stub.Verify(pb.VerifyRequest(document=signed), timeout=60)
    report = verify_raw(twice, timeout=60)
    assert (report.document_sha256, report.indication) == (
        expected.document_sha256,
        expected.indication,
    )
    with pytest.raises(grpc.RpcError) as err:
        verify_raw(b"\x0a\x05ab", timeout=10)  # the document's length runs past the end
    assert err.value.code() == grpc.StatusCode.INTERNAL
    assert "deserializ" in (err.value.details() or "").lower()
    assert verify_raw(twice, timeout=60).document_sha256 == expected.document_sha256
