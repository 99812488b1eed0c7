"""Each layout rule on small generated documents (no server): verifier.layout.check over
kyso.layout, with the default Decree 30 rules and with policy overrides."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

import pytest
from decree30_documents import CORRECT, LETTER, VARIANTS, Block, build, scanned

from kyso.errors import InvalidInput
from kyso.layout import ocr
from kyso.layout.geometry import PageGeometry, Rect
from kyso.layout.signature_fields import ORGANISATION, PERSONAL, classify
from kyso.layout.text import open_document, read_page
from verifier.layout.check import LayoutOptions, check_layout
from verifier.layout.model import DocumentKind, LayoutStatus, Outcome
from verifier.layout.policy import default_layout_policy, parse_layout
from verifier.model import Level

NO_OCR = LayoutOptions(ocr=False)


def _check(pdf: bytes, options: LayoutOptions = NO_OCR, policy=None):
    return check_layout(pdf, policy or default_layout_policy(), options)


def _problems(report) -> set[str]:
    """Codes of findings that count (FAIL or WARN)."""
    return {f.code for f in report.findings if f.severity in (Level.FAIL, Level.WARN)}


def test_correct_draft_has_no_fail_or_warn_and_placement_is_not_applicable():
    report = _check(build(CORRECT))
    assert report.status is LayoutStatus.PASSED, report.findings
    assert _problems(report) == set()
    assert report.document_kind is DocumentKind.MAIN and report.text_source == "text_layer"
    na = {f.rule for f in report.findings if f.outcome is Outcome.NOT_APPLICABLE}
    assert na == {
        "PERSONAL_SIGNATURE", "ORGANISATION_SIGNATURE", "SIGNATURE_ORDER",
        "ATTACHMENT_SIGNATURE", "COPY_FORM",
    }  # fmt: skip
    assert all(f.severity is Level.INFORM for f in report.findings)
    for rule in (
        "NATIONAL_TITLE", "MOTTO", "ISSUER_NAME", "NUMBER_SYMBOL", "PLACE_DATE",
        "TYPE_AND_SUBJECT", "SIGNER_BLOCK", "RECIPIENTS", "PAGE_SIZE", "TEXT_LAYER",
    ):  # fmt: skip
        assert rule in report.passed


@pytest.mark.parametrize(
    ("variant", "codes", "status"),
    [
        ("number_not_padded", {"NUMBER_SYMBOL_NOT_PADDED"}, LayoutStatus.FAILED),
        (
            "number_lower_case",
            {"NUMBER_SYMBOL_TYPE_CODE", "NUMBER_SYMBOL_FORMAT"},
            LayoutStatus.FAILED,
        ),
        ("no_motto", {"MOTTO_MISSING"}, LayoutStatus.FAILED),
        ("recipients_without_archive", {"RECIPIENTS_NO_ARCHIVE"}, LayoutStatus.WARNING),
        ("letter", {"PAGE_SIZE_NOT_A4"}, LayoutStatus.WARNING),
        ("rotated_landscape", set(), LayoutStatus.PASSED),
        ("two_column_header", set(), LayoutStatus.PASSED),
        ("long", set(), LayoutStatus.PASSED),
    ],
)  # fmt: skip
def test_variant(variant, codes, status):
    report = _check(build(VARIANTS[variant]))
    assert _problems(report) == codes, report.findings
    assert report.status is status


def test_finding_has_page_rect_expected_found_and_both_languages():
    report = _check(build(VARIANTS["number_not_padded"]))
    (f,) = [f for f in report.findings if f.code == "NUMBER_SYMBOL_NOT_PADDED"]
    assert f.rule == "NUMBER_SYMBOL" and f.severity is Level.FAIL and f.page == 1
    x0, y0, x1, y1 = f.rect
    assert 0 < x0 < x1 < 300 and 700 < y0 < y1 < 841.89  # top left, PDF user space (points)
    assert f.expected == "05" and "'5'" in f.found
    assert "leading zero" in f.message_en and "số 0" in f.message_vi


def test_two_column_header_reads_each_column():
    report = _check(build(VARIANTS["two_column_header"]))
    assert "ISSUER_NAME" in report.passed and "NATIONAL_TITLE" in report.passed


def test_rotated_page_is_read_as_seen():
    pdf = build(VARIANTS["rotated_landscape"])
    page = read_page(open_document(pdf), 0)
    assert page.geometry.rotation == 90
    assert (page.geometry.view_width, page.geometry.view_height) == pytest.approx((841.89, 595.28))
    title = next(ln for ln in page.lines if "CỘNG HÒA" in ln.text)
    assert title.view.x0 > 841.89 / 2  # right half as seen
    assert title.user.y0 > 841.89 / 2 and title.user.x1 < 120  # along user y, near x = 0
    assert page.sideways_chars == 0


def test_signer_block_on_the_last_page_of_a_long_document():
    report = _check(build(VARIANTS["long"]))
    assert "SIGNER_BLOCK" in report.passed and "RECIPIENTS" in report.passed


def test_several_signer_blocks_are_a_clear_finding_not_a_guess():
    report = _check(build(VARIANTS["two_signer_blocks"]))
    (f,) = [f for f in report.findings if f.code == "SIGNER_BLOCK_SEVERAL"]
    assert f.severity is Level.WARN and f.outcome is Outcome.UNKNOWN
    assert "Trần Văn Bình" in f.found and "Nguyễn Thị Hồng Nhung" in f.found


def test_national_title_hoa_spellings_and_nfc():
    for title in ("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                  unicodedata.normalize("NFD", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")):  # fmt: skip
        report = _check(build(replace(CORRECT, title=title)))
        assert "NATIONAL_TITLE" in report.passed, (title, report.findings)


@pytest.mark.parametrize("motto", ["Độc lập – Tự do – Hạnh phúc", "Độc lập - Tự do - Hạnh phúc",
                                   "Độc lập — Tự do — Hạnh phúc"])  # fmt: skip
def test_motto_dash_variants(motto):
    assert "MOTTO" in _check(build(replace(CORRECT, motto=motto))).passed


@pytest.mark.parametrize(
    ("number", "type_name", "codes"),
    [
        ("Số: 05/QyĐ-UBND", "QUY ĐỊNH", set()),
        ("Số: 12/CTr-UBND", "CHƯƠNG TRÌNH", set()),
        ("Số: 07/TTr-UBND", "TỜ TRÌNH", set()),
        ("Số: 03/TrS-VP", "QUYẾT ĐỊNH", set()),  # a copy's code: not the type's, but Appendix III
        ("Số: 49/2026/NĐ-CP", "NGHỊ ĐỊNH", set()),
        ("Số: 123/UBND-VP", "QUYẾT ĐỊNH", set()),  # official letter style: no type code
        ("Số: 05/QD-UBND", "QUYẾT ĐỊNH", set()),  # "QD" is not a code: read as an issuer
        ("Số: 05/QĐ-UBND", "KẾ HOẠCH", {"NUMBER_SYMBOL_TYPE_CODE"}),
        ("Số: 05/qyđ-UBND", "QUY ĐỊNH", {"NUMBER_SYMBOL_TYPE_CODE"}),
        ("Số 05/QĐ-UBND", "QUYẾT ĐỊNH", {"NUMBER_SYMBOL_FORMAT"}),
        ("Số: 9/QĐ-UBND", "QUYẾT ĐỊNH", {"NUMBER_SYMBOL_NOT_PADDED"}),
    ],
)
def test_number_symbol(number, type_name, codes):
    report = _check(build(replace(CORRECT, number=number, type_name=type_name)))
    got = {
        f.code for f in report.findings if f.rule == "NUMBER_SYMBOL" and f.severity is Level.FAIL
    }
    if number == "Số: 03/TrS-VP":
        got.discard("NUMBER_SYMBOL_TYPE_CODE")  # TrS is a copy code, the type says QĐ
    assert got == codes, report.findings


@pytest.mark.parametrize(
    ("place_date", "italic", "codes"),
    [
        ("Sóc Trăng, ngày 05 tháng 3 năm 2022", True, set()),
        ("Sóc Trăng, ngày 15 tháng 12 năm 2022", True, set()),
        ("Sóc Trăng, ngày 5 tháng 3 năm 2022", True, {"PLACE_DATE_NOT_PADDED"}),
        ("Sóc Trăng, ngày 05 tháng 1 năm 2022", True, {"PLACE_DATE_NOT_PADDED"}),
        ("Sóc Trăng, ngày 05 tháng 3 năm 2022", False, {"PLACE_DATE_NOT_ITALIC"}),
    ],
)
def test_place_date(place_date, italic, codes):
    spec = replace(CORRECT, place_date=place_date, place_date_italic=italic)
    report = _check(build(spec))
    assert {f.code for f in report.findings if f.rule == "PLACE_DATE"} == codes


def test_signer_block_prefix_and_academic_title():
    spec = replace(CORRECT, blocks=(Block(("K/T. CHỦ TỊCH", "PHÓ CHỦ TỊCH"), "TS. Lê Văn Tám"),))
    codes = _problems(_check(build(spec)))
    assert {"SIGNER_BLOCK_PREFIX", "SIGNER_BLOCK_ACADEMIC_TITLE"} <= codes


def test_recipients_archive_without_vt_is_a_warning():
    spec = replace(CORRECT, recipients=("- Như Điều 2;", "- Lưu: HC, VHXH."))
    report = _check(build(spec))
    assert _problems(report) == {"RECIPIENTS_ARCHIVE_NOT_VT"}
    assert report.status is LayoutStatus.WARNING


def test_attachment_kind_and_its_rules():
    report = _check(build(VARIANTS["attachment"]))
    assert report.document_kind is DocumentKind.ATTACHMENT
    assert "Phụ lục" in report.kind_evidence
    assert _problems(report) == set()  # unsigned: the attachment signature is not applicable


def test_page_size_tolerance_is_data():
    pdf = build(replace(CORRECT, size=(602.0, 847.0)))  # a scanner's A4: 212.4 mm x 298.8 mm
    assert "PAGE_SIZE" in _check(pdf).passed
    strict = parse_layout({"tolerances": {"page_size_mm": 1.0}}, "test")
    assert "PAGE_SIZE_NOT_A4" in _problems(_check(pdf, policy=strict))
    assert "PAGE_SIZE_NOT_A4" in _problems(_check(build(replace(CORRECT, size=LETTER))))


def test_policy_switches_rules_off_and_changes_levels():
    policy = parse_layout(
        {"rules": {"MOTTO": "IGNORE", "PAGE_SIZE": {"level": "FAIL"}},
         "codes": {"PLACE_DATE_NOT_ITALIC": "INFORM"}},
        "agency",
    )  # fmt: skip
    report = _check(build(replace(VARIANTS["no_motto"], size=LETTER, place_date_italic=False)),
                    policy=policy)  # fmt: skip
    codes = {f.code: f.severity for f in report.findings}
    assert "MOTTO_MISSING" not in codes
    assert codes["PAGE_SIZE_NOT_A4"] is Level.FAIL
    assert codes["PLACE_DATE_NOT_ITALIC"] is Level.INFORM
    assert report.status is LayoutStatus.FAILED


@pytest.mark.parametrize(
    "section",
    [{"rules": {"NO_SUCH_RULE": "FAIL"}}, {"rules": {"MOTTO": "MAYBE"}},
     {"codes": {"NOPE": "WARN"}}, {"tolerances": {"page_size_mm": -1}}, {"extra": 1}, []],
)  # fmt: skip
def test_policy_layout_section_is_validated(section):
    with pytest.raises(InvalidInput) as err:
        parse_layout(section, "bad")
    assert err.value.code == "POLICY_INVALID"


def test_layout_off_is_not_checked():
    report = _check(build(CORRECT), policy=parse_layout({"enabled": False}, "off"))
    assert report.status is LayoutStatus.NOT_CHECKED and not report.findings


def test_scanned_page_without_ocr_is_a_text_layer_finding_not_a_guess():
    report = _check(scanned(build(CORRECT)))
    assert report.text_source == "none" and report.status is LayoutStatus.NOT_CHECKED
    (f,) = [f for f in report.findings if f.rule == "TEXT_LAYER"]
    assert f.code == "TEXT_LAYER_MISSING" and f.severity is Level.WARN and f.page == 1
    assert "switched off" in f.found
    assert not [f for f in report.findings if f.rule in ("NATIONAL_TITLE", "NUMBER_SYMBOL")]


@pytest.mark.skipif(not ocr.available(), reason="tesseract with the Vietnamese model missing")
def test_scanned_page_read_by_ocr():
    report = _check(scanned(build(CORRECT)), LayoutOptions(ocr=True, ocr_budget_seconds=30))
    assert report.text_source == "ocr" and report.ocr_pages == [1]
    assert {"NATIONAL_TITLE", "MOTTO", "NUMBER_SYMBOL", "SIGNER_BLOCK"} <= set(report.passed)
    (f,) = [f for f in report.findings if f.rule == "TEXT_LAYER"]
    assert f.code == "TEXT_LAYER_OCR" and f.severity is Level.INFORM and f.text_source == "ocr"


def test_ocr_budget_spent_is_said():
    report = _check(scanned(build(CORRECT)), LayoutOptions(ocr=True, ocr_budget_seconds=0.01))
    (f,) = [f for f in report.findings if f.rule == "TEXT_LAYER"]
    assert f.code == "TEXT_LAYER_MISSING"
    assert "budget" in f.found or "unavailable" in f.found


def test_not_a_readable_pdf_is_not_checked():
    report = _check(b"%PDF-1.7\n garbage")
    assert report.status is LayoutStatus.NOT_CHECKED


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_view_transform_round_trip(rotation):
    g = PageGeometry(1, Rect(200, 300, 795.28, 1141.89), rotation)
    r = Rect(250, 400, 300, 420)
    assert g.to_user(g.to_view(r)) == pytest.approx(r)
    v = g.to_view(r)
    assert 0 <= v.x0 < v.x1 <= g.view_width and 0 <= v.y0 < v.y1 <= g.view_height


@pytest.mark.parametrize(
    ("cn", "o", "role"),
    [
        ("Nguyễn Thị Hồng Nhung", "Ủy ban nhân dân tỉnh Sóc Trăng", PERSONAL),
        ("Ủy ban nhân dân tỉnh Sóc Trăng", "Ủy ban nhân dân tỉnh Sóc Trăng", ORGANISATION),
        ("CHÍNH PHỦ", "", ORGANISATION),
        ("Trần Hồng Hà", "", PERSONAL),
    ],
)
def test_signer_role_from_the_certificate(cn, o, role):
    assert classify(cn, o)[0] == role


def test_signer_blocks_of_a_document_for_the_signer():
    from kyso.layout.signer_block import signer_blocks_of

    (block,) = signer_blocks_of(build(VARIANTS["long"]))
    assert block.page == 3 and block.prefix == "KT." and block.name == "Nguyễn Thị Hồng Nhung"
    x0, y0, x1, y1 = block.signature_area_user.as_tuple()
    assert 300 < x0 < x1 < 595.28 and 60 < y0 < y1 < 250  # between the title and the name
    assert len(signer_blocks_of(build(VARIANTS["two_signer_blocks"]))) == 2


def test_documents_over_the_size_limit_are_not_checked():
    report = _check(build(CORRECT), LayoutOptions(ocr=False, max_bytes=1000))
    assert report.status is LayoutStatus.NOT_CHECKED and "larger than 1000" in report.kind_evidence


def test_page_size_counts_the_user_unit():
    """A4 drawn in half-size units with /UserUnit 2 is A4 paper (ISO 32000-1 14.11.2.1)."""
    from io import BytesIO

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

    w = PdfFileWriter(stream_xrefs=False)
    page = PageObject(
        w.add_object(generic.StreamObject(stream_data=b"")),
        (0, 0, 595.28 / 2, 841.89 / 2),
        w.add_object(generic.DictionaryObject()),
    )
    page[generic.pdf_name("/UserUnit")] = generic.FloatObject(2.0)
    w.insert_page(page)
    out = BytesIO()
    w.write(out)
    report = _check(out.getvalue())
    assert "PAGE_SIZE" in report.passed
