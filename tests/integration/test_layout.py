"""The layout report through the real gRPC server (issue 10): CheckLayout on drafts, the
``layout`` of Verify on documents signed by kyso's own Signer (SoftHSM2 keys), the CLI's JSON.

Each variant of the generated Decree 30 document gives the expected rule ids; layout findings
never change the cryptographic indication.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import grpc
import pytest
from decree30_documents import CORRECT, VARIANTS, build, scanned, signature_area
from test_sign_support import sign, widget_rects

from kyso.cli.main import main
from kyso.layout import ocr
from kyso.v1 import signer_pb2 as spb
from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc


def check(channel: grpc.Channel, pdf: bytes, **options: Any) -> pb.LayoutReport:
    stub = pb_grpc.VerifierStub(channel)
    request = pb.CheckLayoutRequest(document=pdf, options=pb.CheckLayoutOptions(**options))
    return stub.CheckLayout(request, timeout=60).layout


def verify(channel: grpc.Channel, pdf: bytes, **options: Any) -> pb.ValidationReport:
    stub = pb_grpc.VerifierStub(channel)
    opts = pb.VerifyOptions(fetch_revocation=False, **options)
    return stub.Verify(pb.VerifyRequest(document=pdf, options=opts), timeout=60)


def problems(layout: pb.LayoutReport) -> dict[str, str]:
    """rule id → code of every FAIL or WARN finding."""
    return {f.code: f.rule for f in layout.findings if f.severity in (pb.LEVEL_FAIL, pb.LEVEL_WARN)}


def rules(layout: pb.LayoutReport) -> set[str]:
    return set(problems(layout).values())


# ----------------------------------------------------------------------------- drafts
def test_correct_draft(grpc_channel):
    layout = check(grpc_channel, build(CORRECT))
    assert layout.status == pb.LAYOUT_STATUS_PASSED, layout
    assert layout.document_kind == "main" and layout.text_source == "text_layer"
    assert not problems(layout)
    na = {f.rule for f in layout.findings if f.outcome == "NOT_APPLICABLE"}
    assert {"PERSONAL_SIGNATURE", "ORGANISATION_SIGNATURE", "SIGNATURE_ORDER"} <= na


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("number_not_padded", {"NUMBER_SYMBOL"}),
        ("number_lower_case", {"NUMBER_SYMBOL"}),
        ("no_motto", {"MOTTO"}),
        ("recipients_without_archive", {"RECIPIENTS"}),
        ("letter", {"PAGE_SIZE"}),
        ("rotated_landscape", set()),
        ("two_column_header", set()),
        ("two_signer_blocks", {"SIGNER_BLOCK", "RECIPIENTS"}),
        ("long", set()),
    ],
)
def test_draft_variants(grpc_channel, variant, expected):
    layout = check(grpc_channel, build(VARIANTS[variant]))
    assert rules(layout) == expected, layout.findings


def test_several_signer_blocks_say_so(grpc_channel):
    layout = check(grpc_channel, build(VARIANTS["two_signer_blocks"]))
    (f,) = [f for f in layout.findings if f.code == "SIGNER_BLOCK_SEVERAL"]
    assert f.outcome == "UNKNOWN" and "several candidate signer blocks" in f.message_en


@pytest.mark.skipif(not ocr.available(), reason="tesseract with the Vietnamese model missing")
def test_scanned_page_with_the_national_title_is_read_by_ocr(grpc_channel):
    layout = check(grpc_channel, scanned(build(CORRECT)))
    assert layout.text_source == "ocr" and list(layout.ocr_pages) == [1]
    assert "NATIONAL_TITLE" in layout.passed_rules and "NUMBER_SYMBOL" in layout.passed_rules
    assert not problems(layout), layout.findings
    ocr_findings = [f for f in layout.findings if f.text_source == "ocr"]
    assert ocr_findings and all(f.severity == pb.LEVEL_INFORM for f in ocr_findings)


def test_scanned_page_without_ocr_is_a_text_layer_finding(grpc_channel):
    layout = check(grpc_channel, scanned(build(CORRECT)), ocr=False)
    assert layout.text_source == "none" and layout.status == pb.LAYOUT_STATUS_NOT_CHECKED
    assert problems(layout) == {"TEXT_LAYER_MISSING": "TEXT_LAYER"}


def test_concurrent_calls_give_the_same_report(grpc_channel):
    """PDFium is not thread-safe: kyso serialises its calls; concurrent requests still agree."""
    from concurrent.futures import ThreadPoolExecutor

    docs = [build(VARIANTS[v]) for v in ("correct", "no_motto", "letter", "two_column_header")]
    expected = [rules(check(grpc_channel, d)) for d in docs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda i: rules(check(grpc_channel, docs[i % 4])), range(32)))
    assert got == [expected[i % 4] for i in range(32)]


def test_check_layout_refuses_what_is_not_a_pdf(grpc_channel):
    with pytest.raises(grpc.RpcError) as err:
        check(grpc_channel, b"hello")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


# ----------------------------------------------------------------------------- signed
def _personal(channel: grpc.Channel, pdf: bytes, rect: spb.PageRect | None = None) -> bytes:
    placement = spb.SignPlacement(rect=rect) if rect is not None else None
    return sign(channel, pdf, level=spb.PADES_B_B, placement=placement).document


def _seal(channel: grpc.Channel, pdf: bytes, rect: spb.PageRect | None = None) -> bytes:
    placement = spb.SignPlacement(rect=rect) if rect is not None else None
    return sign(
        channel, pdf, key="organisation", profile=spb.PROFILE_ORGANISATION,
        level=spb.PADES_B_B, placement=placement,
    ).document  # fmt: skip


@pytest.fixture(scope="module")
def personal_signed(grpc_channel) -> bytes:
    return _personal(grpc_channel, build(CORRECT))


def _personal_rect(pdf: bytes) -> tuple[float, float, float, float]:
    (rect,) = widget_rects(pdf).values()
    return rect


def test_correct_signed_document(grpc_channel, personal_signed):
    pdf = _seal(grpc_channel, personal_signed)
    report = verify(grpc_channel, pdf)
    layout = report.layout
    assert layout.status == pb.LAYOUT_STATUS_PASSED, layout.findings
    assert {"PERSONAL_SIGNATURE", "ORGANISATION_SIGNATURE", "SIGNATURE_ORDER"} <= set(
        layout.passed_rules
    )
    (measured,) = [f for f in layout.findings if f.code == "ORGANISATION_SIGNATURE_MEASURED"]
    assert "overlap ratio 0.3" in measured.found and measured.severity == pb.LEVEL_INFORM
    assert measured.HasField("rect") and measured.page == 1
    # layout never changes the cryptographic indication
    without = verify(grpc_channel, pdf, check_layout=False)
    assert not without.HasField("layout")
    assert (report.indication, report.sub_indication) == (
        without.indication,
        without.sub_indication,
    )
    assert "Thể thức văn bản" in report.summary_vi
    html = verify(grpc_channel, pdf, human_report=pb.HUMAN_REPORT_HTML).human_report.decode()
    assert "ĐÚNG THỂ THỨC" in html


def test_seal_missing(grpc_channel, personal_signed):
    layout = verify(grpc_channel, personal_signed).layout
    assert "ORGANISATION_SIGNATURE_MISSING" in problems(layout)
    assert "PERSONAL_SIGNATURE" in layout.passed_rules


@pytest.mark.parametrize("where", ["right", "all"])
def test_seal_misplaced(grpc_channel, personal_signed, where):
    x1, y1, x2, y2 = _personal_rect(personal_signed)
    w = x2 - x1
    if where == "right":
        rect = spb.PageRect(page=1, x1=x2 - w / 3, y1=y1 - 20, x2=x2 - w / 3 + 100, y2=y1 + 80)
    else:
        rect = spb.PageRect(page=1, x1=x1 - 5, y1=y1 - 30, x2=x2 + 5, y2=y2 + 30)
    layout = verify(grpc_channel, _seal(grpc_channel, personal_signed, rect)).layout
    assert problems(layout) == {"ORGANISATION_SIGNATURE_OVERLAP": "ORGANISATION_SIGNATURE"}
    (f,) = [f for f in layout.findings if f.code == "ORGANISATION_SIGNATURE_OVERLAP"]
    assert ("on its right" in f.found) if where == "right" else ("ratio 1.00" in f.found)


def test_organisation_before_personal(grpc_channel):
    first = sign(
        grpc_channel, build(CORRECT), key="organisation", profile=spb.PROFILE_ATTACHMENT,
        level=spb.PADES_B_B, document_number="15/QĐ-UBND",
    ).document  # fmt: skip
    pdf = _seal(grpc_channel, _personal(grpc_channel, first))
    layout = verify(grpc_channel, pdf).layout
    assert "SIGNATURE_ORDER_WRONG" in problems(layout), layout.findings


def test_personal_signature_outside_the_signer_block(grpc_channel):
    rect = spb.PageRect(page=1, x1=100, y1=420, x2=220, y2=470)
    layout = verify(grpc_channel, _personal(grpc_channel, build(CORRECT), rect)).layout
    assert "PERSONAL_SIGNATURE_OUTSIDE_BLOCK" in problems(layout)
    (f,) = [f for f in layout.findings if f.code == "PERSONAL_SIGNATURE_OUTSIDE_BLOCK"]
    assert f.rect.x0 == pytest.approx(100, abs=1) and f.severity == pb.LEVEL_FAIL


def test_personal_signature_at_the_given_signer_block_area(grpc_channel):
    x1, y1, x2, y2 = signature_area()
    rect = spb.PageRect(page=1, x1=x1, y1=y1, x2=x2, y2=y2)
    layout = verify(grpc_channel, _personal(grpc_channel, build(CORRECT), rect)).layout
    assert "PERSONAL_SIGNATURE" in layout.passed_rules


def _attachment(channel: grpc.Channel, pdf: bytes, rect: spb.PageRect | None, number: str):
    placement = spb.SignPlacement(rect=rect) if rect is not None else None
    return sign(
        channel, pdf, key="organisation", profile=spb.PROFILE_ATTACHMENT, level=spb.PADES_B_B,
        document_number=number, placement=placement,
    ).document  # fmt: skip


def test_attachment_signed_top_right(grpc_channel):
    pdf = _attachment(grpc_channel, build(VARIANTS["attachment"]), None, "15/QĐ-UBND")
    layout = verify(grpc_channel, pdf).layout
    assert layout.document_kind == "attachment"
    assert "ATTACHMENT_SIGNATURE" in layout.passed_rules and not problems(layout)


def test_attachment_signed_bottom_left(grpc_channel):
    rect = spb.PageRect(page=1, x1=90, y1=60, x2=300, y2=120)
    pdf = _attachment(grpc_channel, build(VARIANTS["attachment"]), rect, "15/QĐ-UBND")
    layout = verify(grpc_channel, pdf).layout
    assert problems(layout) == {"ATTACHMENT_SIGNATURE_POSITION": "ATTACHMENT_SIGNATURE"}


def test_electronic_copy(grpc_channel):
    copy = scanned(build(CORRECT))
    pdf = _attachment(grpc_channel, copy, None, "03/SY-UBND")
    layout = verify(grpc_channel, pdf, ocr=False).layout
    assert layout.document_kind == "copy" and "SY" in layout.kind_evidence
    assert "COPY_FORM" in layout.passed_rules
    na = {f.rule for f in layout.findings if f.outcome == "NOT_APPLICABLE"}
    assert {"PERSONAL_SIGNATURE", "ORGANISATION_SIGNATURE", "ATTACHMENT_SIGNATURE"} <= na


# ----------------------------------------------------------------------------- CLI
def test_cli_layout_json(kyso_server, tmp_path: Path, capsys):
    src = tmp_path / "draft.pdf"
    src.write_bytes(build(VARIANTS["number_not_padded"]))
    assert main(["--server", kyso_server, "layout", str(src), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    layout = data["layout"]
    assert layout["status"] == "FAILED" and layout["document_kind"] == "main"
    assert layout["text_source"] == "text_layer" and layout["kind_evidence"]
    (f,) = [f for f in layout["findings"] if f["rule"] == "NUMBER_SYMBOL"]
    assert f["severity"] == "FAIL" and f["page"] == 1
    assert set(f["rect"]) == {"x0", "y0", "x1", "y1"}
    assert f["expected"] == "05" and f["message_vi"] and f["message_en"]
    na = next(f for f in layout["findings"] if f["outcome"] == "NOT_APPLICABLE")
    assert na["rect"] is None and "page" not in na
    src.write_bytes(build(CORRECT))
    assert main(["--server", kyso_server, "layout", str(src)]) == 0
    assert "ĐÚNG THỂ THỨC" in capsys.readouterr().out


def test_cli_verify_json_has_layout(kyso_server, personal_signed, tmp_path: Path, capsys):
    src = tmp_path / "signed.pdf"
    src.write_bytes(personal_signed)
    main(["--server", kyso_server, "verify", str(src), "--json", "--offline"])
    data = json.loads(capsys.readouterr().out)
    layout = data["layout"]
    assert layout["status"] == "FAILED"  # no seal: the policy's FAIL ...
    assert data["indication"] in ("TOTAL_PASSED", "INDETERMINATE")  # ... not the signature's
    assert any(f["code"] == "ORGANISATION_SIGNATURE_MISSING" for f in layout["findings"])


def test_signed_rotated_landscape_page(grpc_channel):
    """/Rotate 90: the signer places the signature and the seal as the reader sees the page;
    the placement rules measure them in the same view and find nothing wrong."""
    pdf = _seal(grpc_channel, _personal(grpc_channel, build(VARIANTS["rotated_landscape"])))
    layout = verify(grpc_channel, pdf).layout
    assert not problems(layout), layout.findings
    assert {"PERSONAL_SIGNATURE", "ORGANISATION_SIGNATURE", "SIGNATURE_ORDER"} <= set(
        layout.passed_rules
    )


def test_several_signer_blocks_resolved_by_the_signature(grpc_channel):
    """A joint document: once the personal signature sits in one of the blocks, the blocks
    are no longer ambiguous (the signature says which is the signer's)."""
    pdf = _personal(grpc_channel, build(VARIANTS["two_signer_blocks"]))
    layout = verify(grpc_channel, pdf).layout
    assert "SIGNER_BLOCK_SEVERAL" not in problems(layout)
    assert "PERSONAL_SIGNATURE" in layout.passed_rules
