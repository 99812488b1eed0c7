"""Certification rules and the visual comparison, through the real gRPC server.

Documents are certified at run time with the test PKI (trusted, revocation online), then one
later revision changes them. What the report must say: every change named with its object and
page (English and Vietnamese); a new empty visible signature field breaking a P=2
certification; a later signature's own widget left out of the visual comparison; an allowed
change that paints over signed content (a comment under P=3, a filled field's appearance: the
shadow "replace via overlay") found by rendering, with page and rectangle.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm

from kyso.cli.main import main
from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.integration.certified_documents import (
    NEW_SIG_BOX,
    add_empty_visible_field,
    add_white_square,
    certify,
    fill_form,
    sign_new_visible,
    with_form,
)
from tests.integration.documents import make_pdf
from tests.integration.test_verify_annotations import OVER_TEXT

#: make_pdf's first line of text (13 pt) sits at about y 783-796; a field over it.
FIELD_OVER_TEXT = (80, 776, 330, 800)
#: A filled field's appearance that paints the field white and writes other words: the
#: "replace via overlay" shadow attack (an allowed form fill, a different page).
OVERLAY_APPEARANCE = b"1 g 0 0 250 24 re f BT /Helv 10 Tf 0 g 2 8 Td (QUYET DINH HUY BO) Tj ET"


@pytest.fixture(scope="module")
def stub(grpc_channel: Any) -> pb_grpc.VerifierStub:
    return pb_grpc.VerifierStub(grpc_channel)


@pytest.fixture(scope="module")
def signer(pki: Any) -> signers.SimpleSigner:
    return signers.SimpleSigner.load(
        str(pki.key_path("personal")),
        str(pki.cert_path("personal")),
        ca_chain_files=[str(p) for p in pki.chain_paths("personal")],
    )


def _document(text_box: tuple[float, ...] = (72, 600, 300, 620)) -> bytes:
    return with_form(
        make_pdf(["QUYẾT ĐỊNH", "Về việc ban hành Quy chế công tác văn thư", "Nội dung gốc"]),
        text_box,
    )


@pytest.fixture(scope="module")
def certified_p2(signer: signers.SimpleSigner) -> bytes:
    return certify(signer, MDPPerm.FILL_FORMS, _document())


@pytest.fixture(scope="module")
def certified_p3(signer: signers.SimpleSigner) -> bytes:
    return certify(signer, MDPPerm.ANNOTATE, _document())


def verify(stub: Any, pdf: bytes, **options: Any) -> pb.ValidationReport:
    return stub.Verify(
        pb.VerifyRequest(document=pdf, options=pb.VerifyOptions(**options)), timeout=60
    )


def checks(sig: pb.SignatureReport) -> dict[str, Any]:
    return {c.name: c for c in sig.checks}


def test_certified_document_passes(stub: Any, certified_p2: bytes) -> None:
    report = verify(stub, certified_p2)
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi


def test_new_empty_visible_field_breaks_a_p2_certification(
    stub: Any, certified_p2: bytes, signer: signers.SimpleSigner
) -> None:
    report = verify(stub, add_empty_visible_field(certified_p2, signer))
    assert report.indication == pb.INDICATION_TOTAL_FAILED, report.summary_vi
    (sig,) = report.signatures
    assert checks(sig)["DOCMDP"].status == pb.CHECK_FAILED
    assert "P=2" in checks(sig)["DOCMDP"].message.message_en
    ch = sig.changes_after
    assert ch.docmdp_violated
    (widget,) = [c for c in ch.changes if c.kind == "EMPTY_SIGNATURE_WIDGET_ADDED"]
    assert widget.page == 1
    assert widget.level == "ANNOTATIONS"
    assert widget.objects and widget.objects[0].endswith(" 0")
    assert "'Later'" in widget.description.message_en
    assert "trường chữ ký trống" in widget.description.message_vi
    assert "trang 1" in widget.description.message_vi


def test_signing_in_a_new_visible_field_keeps_a_p2_certification(
    stub: Any, certified_p2: bytes, signer: signers.SimpleSigner
) -> None:
    report = verify(stub, sign_new_visible(certified_p2, signer))
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    first = report.signatures[0]
    ch = first.changes_after
    assert not ch.docmdp_violated
    (widget,) = [c for c in ch.changes if c.kind == "SIGNATURE_WIDGET_ADDED"]
    assert widget.page == 1 and widget.level == "FORM_FILLING"
    # the later signature's own widget is left out of the visual comparison
    assert ch.visually_compared and list(ch.compared_pages) == [1]
    assert not ch.visual_differences
    assert checks(first)["VISUAL_DIFFERENCE"].status == pb.CHECK_PASSED
    # recorded for the readers that refuse it (pyHanko), a policy choice
    recorded = checks(first)["NEW_FIELD_AFTER_CERTIFICATION"]
    assert recorded.status == pb.CHECK_INFORMATION
    assert "'Approval'" in recorded.message.message_en and "P=2" in recorded.message.message_vi
    strict = verify(stub, sign_new_visible(certified_p2, signer), policy="vn-gov-strict")
    assert checks(strict.signatures[0])["NEW_FIELD_AFTER_CERTIFICATION"].status == (
        pb.CHECK_WARNING
    )


def test_form_filled_in_a_blank_area_passes_with_a_warning(
    stub: Any, certified_p2: bytes, signer: signers.SimpleSigner
) -> None:
    report = verify(stub, fill_form(certified_p2, signer))
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    (sig,) = report.signatures
    c = checks(sig)
    assert c["DOCMDP"].status == pb.CHECK_PASSED
    assert c["VISUAL_DIFFERENCE"].status == pb.CHECK_PASSED
    assert c["VISUAL_ADDITION"].status == pb.CHECK_WARNING
    (filled,) = [x for x in sig.changes_after.changes if x.kind == "FORM_FILLED"]
    assert filled.page == 1 and "'Ho.ten'" in filled.description.message_en
    (diff,) = sig.changes_after.visual_differences
    assert diff.page == 1
    # grouped on a 4-pixel grid at 50 dpi: within 6 pt of the field's box
    assert 66 <= diff.x0 < diff.x1 <= 306 and 594 <= diff.y0 < diff.y1 <= 626
    assert diff.description.code == "VISUAL_ADDITION"
    # the strict policy accepts nothing new on a signed page
    strict = verify(stub, fill_form(certified_p2, signer), policy="vn-gov-strict")
    assert strict.indication == pb.INDICATION_INDETERMINATE


def test_shadow_replace_via_a_filled_field_is_found_by_rendering(
    stub: Any, signer: signers.SimpleSigner
) -> None:
    """Object level: an allowed form fill under P=2. Rendered: signed text painted over."""
    certified = certify(signer, MDPPerm.FILL_FORMS, _document(FIELD_OVER_TEXT))
    report = verify(stub, fill_form(certified, signer, OVERLAY_APPEARANCE))
    assert report.indication == pb.INDICATION_INDETERMINATE, report.summary_vi
    (sig,) = report.signatures
    c = checks(sig)
    assert c["CHANGES_AFTER_SIGNING"].status == pb.CHECK_PASSED  # the objects say: form fill
    assert c["DOCMDP"].status == pb.CHECK_PASSED
    assert c["VISUAL_DIFFERENCE"].status == pb.CHECK_FAILED
    assert sig.sub_indication == pb.SUB_INDICATION_SIG_CONSTRAINTS_FAILURE
    assert "đè lên nội dung đã ký" in c["VISUAL_DIFFERENCE"].message.message_vi
    over = [
        d for d in sig.changes_after.visual_differences if d.description.code == "VISUAL_DIFFERENCE"
    ]
    assert over and over[0].page == 1
    x0, y0, x1, y1 = FIELD_OVER_TEXT
    assert x0 - 6 <= over[0].x0 < over[0].x1 <= x1 + 6
    assert y0 - 6 <= over[0].y0 < over[0].y1 <= y1 + 6


def test_comment_allowed_by_p3_over_signed_text_is_reported(stub: Any, certified_p3: bytes) -> None:
    report = verify(stub, add_white_square(certified_p3, OVER_TEXT))
    assert report.indication == pb.INDICATION_INDETERMINATE, report.summary_vi
    (sig,) = report.signatures
    c = checks(sig)
    assert c["DOCMDP"].status == pb.CHECK_PASSED  # P=3 allows comments
    assert c["ANNOTATIONS_AFTER_SIGNING"].message.code == "ANNOTATIONS_ALLOWED_BY_DOCMDP"
    assert c["VISUAL_DIFFERENCE"].status == pb.CHECK_FAILED
    diffs = sig.changes_after.visual_differences
    assert any(d.page == 1 and d.description.code == "VISUAL_DIFFERENCE" for d in diffs)
    assert "trang 1 hiển thị khác tại" in c["VISUAL_DIFFERENCE"].message.message_vi


def test_new_visible_field_under_p2_named_through_grpc_objects_and_pages(
    stub: Any, certified_p2: bytes, signer: signers.SimpleSigner
) -> None:
    """Every change of a two-step history carries its page when it is on one."""
    report = verify(stub, sign_new_visible(certified_p2, signer))
    for change in report.signatures[0].changes_after.changes:
        assert change.description.message_en and change.description.message_vi
        assert change.level
        if change.kind in ("SIGNATURE_ADDED", "SIGNATURE_WIDGET_ADDED"):
            assert change.page == 1, change
    widget = next(
        c for c in report.signatures[0].changes_after.changes if c.kind == "SIGNATURE_WIDGET_ADDED"
    )
    assert f"[{NEW_SIG_BOX[0]:g} {NEW_SIG_BOX[1]:g}" in widget.description.message_en


def test_the_cli_shows_changes_with_pages_and_visual_differences(
    kyso_server: str, signer: signers.SimpleSigner, tmp_path: Path, capsys: Any
) -> None:
    """``kyso verify --json`` and the Vietnamese text carry what the gRPC report carries."""
    certified = certify(signer, MDPPerm.FILL_FORMS, _document(FIELD_OVER_TEXT))
    path = tmp_path / "overlay.pdf"
    path.write_bytes(fill_form(certified, signer, OVERLAY_APPEARANCE))
    capsys.readouterr()
    assert main(["--server", kyso_server, "verify", str(path), "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    changes = data["signatures"][0]["changes_after"]
    filled = next(c for c in changes["changes"] if c["kind"] == "FORM_FILLED")
    assert filled["page"] == 1 and filled["objects"] and filled["level"] == "FORM_FILLING"
    assert changes["visually_compared"] and changes["compared_pages"] == [1]
    diff = changes["visual_differences"][0]
    assert diff["page"] == 1 and diff["description"]["code"] == "VISUAL_DIFFERENCE"
    assert main(["--server", kyso_server, "verify", str(path)]) == 2
    text = capsys.readouterr().out
    assert "đè lên nội dung đã ký" in text and "VISUAL_DIFFERENCE" in text


def test_a_page_too_large_to_render_is_not_compared_and_not_passed(
    stub: Any, signer: signers.SimpleSigner
) -> None:
    """A hostile page size (200 x 200 inches): no render beyond the pixel bound, an answer at
    once, and INDETERMINATE instead of "looks the same"."""
    from io import BytesIO

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(BytesIO(make_pdf(["Trang rất lớn"])), strict=False)
    page = w.root["/Pages"]["/Kids"][0]
    page[generic.NameObject("/MediaBox")] = generic.ArrayObject(
        generic.NumberObject(v) for v in (0, 0, 14400, 14400)
    )
    w.update_container(page)
    out = BytesIO()
    w.write(out)
    signed = signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(out.getvalue()), strict=False),
        signers.PdfSignatureMetadata(field_name="Sig1"),
        signer,
    ).getvalue()
    started = time.monotonic()
    report = verify(stub, add_white_square(signed, (100, 100, 200, 150)))
    assert time.monotonic() - started < 10
    (sig,) = report.signatures
    not_compared = checks(sig)["VISUAL_DIFFERENCE"]
    assert not_compared.message.code == "VISUAL_COMPARISON_INCOMPLETE"
    assert not_compared.status == pb.CHECK_INDETERMINATE
    assert report.indication != pb.INDICATION_TOTAL_PASSED
    assert not sig.changes_after.compared_pages
