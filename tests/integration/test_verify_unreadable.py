"""PDFs pyHanko cannot open: the byte-level fallback (verifier/raw_signatures.py) through gRPC.

A broken cross-reference section alone leaves the signature INDETERMINATE (the changes after
signing cannot be analysed); a changed byte under the signature makes it TOTAL_FAILED, because
the digest mismatch is a fact that does not depend on the structure.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers

from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.integration.documents import make_pdf

# An incremental update whose xref is garbage and whose startxref points past the end.
_BROKEN_UPDATE = (
    b"\nxref\n0 1\ngarbage\ntrailer\n<< /Size 9 /Root 1 0 R >>\nstartxref\n999999\n%%EOF\n"
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
    w = IncrementalPdfFileWriter(BytesIO(make_pdf(["Công văn số 12/UBND"])))
    meta = signers.PdfSignatureMetadata(field_name="Sig1")
    return signers.sign_pdf(w, meta, signer=signer).getvalue()  # type: ignore[no-any-return]


def _verify(stub: Any, data: bytes) -> pb.ValidationReport:
    return stub.Verify(pb.VerifyRequest(document=data), timeout=30)


def _unreadable(data: bytes) -> bool:
    try:
        PdfFileReader(BytesIO(data), strict=False)
    except Exception:
        return True
    return False


def _checks(sig: pb.SignatureReport) -> dict[str, Any]:
    return {c.name: c for c in sig.checks}


def test_broken_xref_only_is_indeterminate(stub: Any, signed: bytes) -> None:
    data = signed + _BROKEN_UPDATE
    assert _unreadable(data)
    report = _verify(stub, data)
    assert report.indication == pb.INDICATION_INDETERMINATE, report.summary_vi
    assert [w.code for w in report.warnings] == ["PDF_UNREADABLE"]
    assert "dò dữ liệu" in report.warnings[0].message_vi
    (sig,) = report.signatures
    assert sig.indication == pb.INDICATION_INDETERMINATE
    checks = _checks(sig)
    for name in ("BYTE_RANGE", "MESSAGE_DIGEST", "SIGNATURE_VALUE", "CONTENTS"):
        assert checks[name].status == pb.CHECK_PASSED, name
    assert checks["CHANGES_AFTER_SIGNING"].status == pb.CHECK_INDETERMINATE
    assert checks["REVISION_COVERAGE"].status == pb.CHECK_INDETERMINATE
    assert sig.signer_name == "Nguyễn Thị Hồng Nhung"
    assert any(w.code == "FOUND_BY_BYTE_SCAN" for w in sig.warnings)


def test_broken_xref_and_a_changed_signed_byte_is_failed(stub: Any, signed: bytes) -> None:
    pos = signed.index(b"stream") + 20  # inside the first signed range, in a content stream
    assert pos < signed.index(b"/Contents <")
    flipped = signed[:pos] + bytes([signed[pos] ^ 0x01]) + signed[pos + 1 :]
    data = flipped + _BROKEN_UPDATE
    assert _unreadable(data)
    report = _verify(stub, data)
    assert report.indication == pb.INDICATION_TOTAL_FAILED, report.summary_vi
    (sig,) = report.signatures
    assert sig.indication == pb.INDICATION_TOTAL_FAILED
    assert sig.sub_indication == pb.SUB_INDICATION_HASH_FAILURE
    checks = _checks(sig)
    assert checks["MESSAGE_DIGEST"].status == pb.CHECK_FAILED
    assert "giá trị băm không khớp" in checks["MESSAGE_DIGEST"].message.message_vi


def test_unreadable_without_signature_dictionary(stub: Any) -> None:
    data = make_pdf(["Không ký"]) + _BROKEN_UPDATE
    assert _unreadable(data)
    report = _verify(stub, data)
    assert report.indication == pb.INDICATION_INDETERMINATE
    assert not report.signatures
    assert [w.code for w in report.warnings] == ["PDF_UNREADABLE"]


def test_many_byte_range_decoys_are_bounded(stub: Any, signed: bytes) -> None:
    decoys = b"".join(
        b"%d 0 obj\n<< /ByteRange [0 1 2 3] /Contents <00> >>\nendobj\n" % (1000 + i)
        for i in range(5000)
    )
    data = signed + decoys + _BROKEN_UPDATE
    assert _unreadable(data)
    report = _verify(stub, data)
    assert report.indication != pb.INDICATION_TOTAL_PASSED
    assert len(report.signatures) <= 64
