"""The clerk's report, the next steps, the file name, the document's verdict with document
timestamps, and the ETSI TS 119 102-2 XML report, in process on hand-made results."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from kyso.errors import InvalidInput
from verifier import clerk_report, etsi_report, human_report
from verifier.model import (
    CertificateSummary,
    CheckResult,
    DocumentResult,
    Indication,
    Kind,
    Level,
    SignatureResult,
    Status,
    SubIndication,
)
from verifier.next_steps import NEXT_STEPS, next_step
from verifier.report import DOCUMENT_EFFECT, aggregate_document
from verifier.summary_vi import summarise_document

SCHEMA = Path(__file__).resolve().parents[2] / "verifier/schemas/ts119102_2/TS119102-2-v141.xsd"
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def _sig(index: int, kind: Kind, indication: Indication, sub: SubIndication) -> SignatureResult:
    sig = SignatureResult(index=index, kind=kind, indication=indication, sub_indication=sub)
    status = Status.PASSED if indication is Indication.TOTAL_PASSED else Status.FAILED
    sig.checks.append(
        CheckResult(
            "MESSAGE_DIGEST", "CV", status, Level.FAIL, "MESSAGE_DIGEST_MISMATCH",
            "the digest differs", "Giá trị băm không khớp",
            indication if status is Status.FAILED else None, sub,
        )
    )  # fmt: skip
    sig.certificate = CertificateSummary(
        common_name="Nguyễn Văn An" if index % 2 == 0 else "ỦY BAN NHÂN DÂN TỈNH X",
        organisation="Ủy ban nhân dân tỉnh X",
        sha256="AB" * 32,
        not_before=NOW,
        not_after=NOW,
    )
    sig.signing_time = NOW
    return sig


def _doc(*sigs: SignatureResult) -> DocumentResult:
    doc = DocumentResult(
        Indication.INDETERMINATE, SubIndication.GENERIC, list(sigs), "vn-gov", NOW, "AB" * 32
    )
    aggregate_document(doc)
    summarise_document(doc)
    return doc


def test_every_indication_has_a_next_step() -> None:
    for indication in Indication:
        for sub in SubIndication:
            assert next_step(indication, sub).message_vi
    assert next_step(Indication.INDETERMINATE, SubIndication.TRY_LATER).code == "RETRY_LATER"
    assert (
        next_step(Indication.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND).code
        == "CHECK_TRUST_STORE"
    )
    assert next_step(Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE).code == (
        "RETURN_TO_SENDER"
    )
    assert all(step.message_en and step.message_vi for step in NEXT_STEPS.values())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Quyết định.pdf", "Quyết định.pdf"),
        ("/tmp/x/../Công văn.pdf", "Công văn.pdf"),
        ("C:\\Users\\a\\b.pdf", "b.pdf"),
        ("a\x00b\u202e\tc.pdf", "abc.pdf"),
        ("..", ""),
        ("", ""),
    ],
)
def test_file_base_name(raw: str, expected: str) -> None:
    assert clerk_report.file_base_name(raw) == expected


def test_file_base_name_is_bounded() -> None:
    assert len(clerk_report.file_base_name("é" * 255)) == 255
    with pytest.raises(InvalidInput):
        clerk_report.file_base_name("é" * 256)


def test_failed_document_timestamp_does_not_decide_the_document() -> None:
    assert DOCUMENT_EFFECT[Kind.DOCUMENT_TIMESTAMP][Indication.TOTAL_FAILED] is None
    good = _sig(0, Kind.SIGNATURE, Indication.TOTAL_PASSED, SubIndication.NONE)
    stamp = _sig(1, Kind.DOCUMENT_TIMESTAMP, Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE)
    doc = _doc(good, stamp)
    assert doc.indication is Indication.TOTAL_PASSED
    (w,) = doc.warnings
    assert w.code == "DOCUMENT_TIMESTAMP_NOT_USED" and "the digest differs" in w.message_en
    # a failed signature still fails the document
    bad = _sig(0, Kind.SIGNATURE, Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE)
    assert _doc(bad, stamp).indication is Indication.TOTAL_FAILED
    # a document of document timestamps only is judged by them
    assert _doc(stamp).indication is Indication.TOTAL_FAILED


def test_roles_labels_and_codes_beside_the_text() -> None:
    person = _sig(0, Kind.SIGNATURE, Indication.TOTAL_PASSED, SubIndication.NONE)
    seal = _sig(1, Kind.SIGNATURE, Indication.INDETERMINATE, SubIndication.TRY_LATER)
    doc = _doc(person, seal)
    doc.file_name = "Quyết định.pdf"
    assert (person.signer_role, seal.signer_role) == ("personal", "organisation")
    report = clerk_report.build(doc)
    titles = [s.title for s in report.sections]
    assert titles[0].startswith("Chữ ký số của người có thẩm quyền (số 1)")
    assert titles[1].startswith("Chữ ký số của cơ quan, tổ chức (số 2)")
    rows = [r for s in report.sections for r in s.rows] + report.header
    assert all("[" not in r.text for r in rows)
    assert ("Bước tiếp theo", "RETRY_LATER") in {(r.label, r.code) for r in rows}
    assert not any(r.label == "Tính toàn vẹn" and r.text.startswith("Toàn vẹn") for r in rows)
    html = human_report.render_html(doc)
    assert "Quyết định.pdf" in html and "<td class='code'>RETRY_LATER</td>" in html


def test_pdf_pages_are_numbered() -> None:
    import pypdfium2 as pdfium

    sigs = [_sig(i, Kind.SIGNATURE, Indication.TOTAL_PASSED, SubIndication.NONE) for i in range(8)]
    doc = _doc(*sigs)
    doc.file_name = "Báo cáo.pdf"
    pdf = pdfium.PdfDocument(human_report.render_pdf(doc))
    total = len(pdf)
    assert total >= 2
    for i in range(total):
        text = pdf[i].get_textpage().get_text_range()
        assert f"Trang {i + 1}/{total}" in text
        assert "Báo cáo.pdf" in text


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def test_etsi_report_valid_for_every_shape(schema: etree.XMLSchema) -> None:
    person = _sig(0, Kind.SIGNATURE, Indication.TOTAL_PASSED, SubIndication.NONE)
    failed = _sig(1, Kind.SIGNATURE, Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE)
    stamp = _sig(2, Kind.DOCUMENT_TIMESTAMP, Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE)
    for doc in (_doc(person, failed, stamp), _doc(stamp), _doc()):
        xml = etree.fromstring(etsi_report.render_xml(doc))
        assert schema.validate(xml), schema.error_log
    xml = etree.fromstring(etsi_report.render_xml(_doc(person, failed, stamp)))
    ns = {"vr": etsi_report.VR}
    mains = xml.xpath(
        "vr:SignatureValidationReport/vr:SignatureValidationStatus/vr:MainIndication/text()",
        namespaces=ns,
    )
    assert mains == [
        "urn:etsi:019102:mainindication:total-passed",
        "urn:etsi:019102:mainindication:total-failed",
    ]
    # the same certificate is one validation object; the timestamp has its own report
    objects = xml.xpath("vr:SignatureValidationObjects/vr:ValidationObject/@id", namespaces=ns)
    assert sorted(objects) == sorted({"C-" + "AB" * 32, "T-3"})
