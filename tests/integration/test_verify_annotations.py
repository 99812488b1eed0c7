"""Annotations added after signing, judged by what they cover (DSS PdfAnnotationOverlap).

Documents are signed at run time with pyHanko and the test PKI (trusted, revocation online),
then a later incremental revision adds a FreeText annotation.  Verified through gRPC.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm

from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.integration.documents import make_pdf

# make_pdf's A4 page: the three text lines sit at x 85-312, y 728-796 (PDF user space).
SIGNATURE_BOX = (350, 100, 550, 160)
OVER_SIGNATURE = (360, 110, 540, 150)
MARGIN = (400, 400, 500, 430)
OVER_TEXT = (90, 740, 300, 760)
DRAWING = b"0 0 0 rg 400 500 100 50 re f"  # a black box, no text (like a scanned page)
OVER_DRAWING = (410, 510, 480, 540)


@pytest.fixture(scope="module")
def stub(grpc_channel: Any) -> pb_grpc.VerifierStub:
    return pb_grpc.VerifierStub(grpc_channel)


def _sign(pki: Any, *, certify: bool = False) -> bytes:
    """A visible signature (widget at SIGNATURE_BOX) over a one-page document with a drawing."""
    signer = signers.SimpleSigner.load(
        str(pki.key_path("personal")),
        str(pki.cert_path("personal")),
        ca_chain_files=[str(p) for p in pki.chain_paths("personal")],
    )
    pdf = make_pdf(
        ["QUYẾT ĐỊNH", "Về việc ban hành Quy chế công tác văn thư", "Nguyễn Thị Hồng Nhung"]
    )
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    w.add_stream_to_page(0, w.add_object(generic.StreamObject(stream_data=DRAWING)))
    drawn = BytesIO()
    w.write(drawn)
    w = IncrementalPdfFileWriter(BytesIO(drawn.getvalue()))
    meta = signers.PdfSignatureMetadata(field_name="Sig1")
    if certify:
        meta = signers.PdfSignatureMetadata(
            field_name="Sig1", certify=True, docmdp_permissions=MDPPerm.ANNOTATE
        )
    out = signers.sign_pdf(
        w,
        meta,
        signer=signer,
        new_field_spec=fields.SigFieldSpec("Sig1", on_page=0, box=SIGNATURE_BOX),
    )
    return out.getvalue()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def signed(pki: Any) -> bytes:
    return _sign(pki)


@pytest.fixture(scope="module")
def certified(pki: Any) -> bytes:
    """The same, as a certification signature allowing annotations (DocMDP P=3)."""
    return _sign(pki, certify=True)


def add_free_text(pdf: bytes, rect: tuple[float, ...], flags: int = 4) -> bytes:
    """A later revision adds a FreeText comment with the given /Rect to page 1."""
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    page = w.root["/Pages"]["/Kids"][0].get_object()
    annot = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/FreeText"),
            generic.pdf_name("/Rect"): generic.ArrayObject([generic.FloatObject(v) for v in rect]),
            generic.pdf_name("/Contents"): generic.TextStringObject("Đã xem"),
            generic.pdf_name("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
            generic.pdf_name("/F"): generic.NumberObject(flags),
        }
    )
    annots = page.get("/Annots")
    annots = generic.ArrayObject(list(annots) if annots is not None else [])
    annots.append(w.add_object(annot))
    page["/Annots"] = annots
    w.update_container(page)
    out = BytesIO()
    w.write(out)
    return out.getvalue()


def verify(stub: Any, pdf: bytes, **options: Any) -> pb.ValidationReport:
    return stub.Verify(
        pb.VerifyRequest(document=pdf, options=pb.VerifyOptions(**options)), timeout=60
    )


def checks(sig: pb.SignatureReport) -> dict[str, Any]:
    return {c.name: c for c in sig.checks}


def test_signed_document_passes(stub: Any, signed: bytes) -> None:
    assert verify(stub, signed).indication == pb.INDICATION_TOTAL_PASSED


def test_free_text_over_the_signature_fails(stub: Any, signed: bytes) -> None:
    report = verify(stub, add_free_text(signed, OVER_SIGNATURE))
    assert report.indication == pb.INDICATION_TOTAL_FAILED, report.summary_vi
    (sig,) = report.signatures
    assert sig.indication == pb.INDICATION_TOTAL_FAILED
    overlap = checks(sig)["ANNOTATION_OVERLAP"]
    assert overlap.status == pb.CHECK_FAILED
    assert "che lên chữ ký" in overlap.message.message_vi
    assert "'Sig1'" in overlap.message.message_en
    assert "che lên hình chữ ký" in sig.changes_after.summary.message_vi
    assert sig.summary_vi.integrity.startswith("KHÔNG đảm bảo: chú thích")


def test_free_text_in_an_empty_margin_passes_with_a_warning(stub: Any, signed: bytes) -> None:
    pdf = add_free_text(signed, MARGIN)
    report = verify(stub, pdf)
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    (sig,) = report.signatures
    c = checks(sig)
    assert c["ANNOTATIONS_AFTER_SIGNING"].status == pb.CHECK_WARNING
    assert c["ANNOTATION_OVERLAP"].status == pb.CHECK_PASSED
    assert c["ANNOTATION_OVER_CONTENT"].status == pb.CHECK_PASSED
    assert sig.changes_after.level == "ANNOTATIONS"
    assert "không che nội dung nào" in sig.changes_after.summary.message_vi
    # the strict policy accepts no annotation after signing at all
    strict = verify(stub, pdf, policy="vn-gov-strict")
    assert strict.indication == pb.INDICATION_TOTAL_FAILED


def test_free_text_over_body_text_is_not_passed(stub: Any, signed: bytes) -> None:
    report = verify(stub, add_free_text(signed, OVER_TEXT))
    assert report.indication == pb.INDICATION_INDETERMINATE, report.summary_vi
    (sig,) = report.signatures
    over_text = checks(sig)["ANNOTATION_OVER_CONTENT"]
    assert over_text.status == pb.CHECK_FAILED
    assert "che lên nội dung văn bản" in over_text.message.message_vi
    assert "Về việc" not in over_text.message.message_vi  # no document text in the report
    assert "che lên nội dung văn bản" in sig.summary_vi.integrity
    assert sig.sub_indication == pb.SUB_INDICATION_SIG_CONSTRAINTS_FAILURE
    assert checks(sig)["ANNOTATION_OVERLAP"].status == pb.CHECK_PASSED


def test_free_text_over_a_drawing_is_not_passed(stub: Any, signed: bytes) -> None:
    report = verify(stub, add_free_text(signed, OVER_DRAWING))
    assert report.indication == pb.INDICATION_INDETERMINATE, report.summary_vi
    (sig,) = report.signatures
    over = checks(sig)["ANNOTATION_OVER_CONTENT"]
    assert over.status == pb.CHECK_FAILED
    assert "hình ảnh hoặc nét vẽ" in over.message.message_vi


def test_hidden_annotation_over_the_signature_covers_nothing(stub: Any, signed: bytes) -> None:
    report = verify(stub, add_free_text(signed, OVER_SIGNATURE, flags=2))
    (sig,) = report.signatures
    assert checks(sig)["ANNOTATION_OVERLAP"].status == pb.CHECK_PASSED
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi


def test_margin_then_over_signature_in_two_revisions_fails(stub: Any, signed: bytes) -> None:
    pdf = add_free_text(add_free_text(signed, MARGIN), OVER_SIGNATURE)
    report = verify(stub, pdf)
    assert report.signatures[0].indication == pb.INDICATION_TOTAL_FAILED


def test_docmdp_p3_allows_comments_but_not_overlays(stub: Any, certified: bytes) -> None:
    margin = verify(stub, add_free_text(certified, MARGIN))
    assert margin.indication == pb.INDICATION_TOTAL_PASSED, margin.summary_vi
    c = checks(margin.signatures[0])
    assert c["ANNOTATIONS_AFTER_SIGNING"].message.code == "ANNOTATIONS_ALLOWED_BY_DOCMDP"
    overlay = verify(stub, add_free_text(certified, OVER_SIGNATURE))
    assert overlay.indication == pb.INDICATION_TOTAL_FAILED, overlay.summary_vi
    assert checks(overlay.signatures[0])["ANNOTATION_OVERLAP"].status == pb.CHECK_FAILED
