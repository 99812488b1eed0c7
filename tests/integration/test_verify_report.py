"""Issue 11 §5: the report a clerk can file, through the real gRPC server and the CLI.

The clerk's HTML and PDF name the file, number the PDF's pages ("Trang X/Y"), say whose each
signature is (the competent person's or the organisation's, Decree 30), keep the English codes
in their own column and give a next step for every conclusion; the ETSI TS 119 102-2 XML report
is valid against the standard's schema (vendored in verifier/schemas/ts119102_2).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from kyso.cli.main import main
from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.integration.documents import make_pdf
from tests.integration.test_verify_signatures import sign

SCHEMA = Path(__file__).resolve().parents[2] / "verifier/schemas/ts119102_2/TS119102-2-v141.xsd"
VR = "{http://uri.etsi.org/19102/v1.4.1#}"


@pytest.fixture(scope="module")
def stub(grpc_channel: Any) -> pb_grpc.VerifierStub:
    return pb_grpc.VerifierStub(grpc_channel)


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


@pytest.fixture(scope="module")
def document() -> bytes:
    return make_pdf(["QUYẾT ĐỊNH", "Về việc lưu trữ báo cáo kiểm tra", "Nguyễn Thị Hồng Nhung"])


@pytest.fixture(scope="module")
def three_signatures(pki: Any, document: bytes) -> bytes:
    """The competent person, the organisation's seal, and a second person's signature."""
    first = sign(pki, document, "personal", field="Sig1")
    second = sign(pki, first, "organisation", field="Sig2")
    return sign(pki, second, "personal", field="Sig3")


def verify(stub: pb_grpc.VerifierStub, pdf: bytes, **options: Any) -> pb.ValidationReport:
    return stub.Verify(
        pb.VerifyRequest(document=pdf, options=pb.VerifyOptions(**options)), timeout=60
    )


def pdf_pages(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return text.split("\f")[:-1]


def test_signer_roles_and_next_steps_in_the_wire_report(stub: Any, three_signatures: bytes) -> None:
    report = verify(stub, three_signatures)
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    assert [s.signer_role for s in report.signatures] == ["personal", "organisation", "personal"]
    assert report.next_step.code == "ACCEPT"
    assert all(s.next_step.code == "ACCEPT" for s in report.signatures)
    assert "Chữ ký số của cơ quan, tổ chức" in report.summary_vi
    assert "Chữ ký số của người có thẩm quyền" in report.summary_vi


def test_pdf_report_names_the_file_and_numbers_its_pages(
    stub: Any, three_signatures: bytes, tmp_path: Path
) -> None:
    name = "Quyết định 15-QĐ-UBND.pdf"
    report = verify(
        stub, three_signatures, human_report=pb.HUMAN_REPORT_PDF, file_name=f"C:\\hồ sơ\\{name}"
    )
    assert report.file_name == name
    pages = pdf_pages(report.human_report, tmp_path)
    assert len(pages) >= 2  # three signatures do not fit on one page
    for number, page in enumerate(pages, start=1):
        assert f"Trang {number}/{len(pages)}" in page
    text = "\n".join(pages)
    assert "Tệp: Quyết định 15-QĐ-UBND.pdf" in text
    assert text.count("Chữ ký số của người có thẩm quyền") == 2
    assert text.count("Chữ ký số của cơ quan, tổ chức") == 1
    assert "Tính toàn vẹn: Toàn vẹn" not in text
    assert "Bước tiếp theo: Tiếp nhận văn bản" in text
    assert "ACCEPT" in text  # the code, in its column


def test_html_report_keeps_codes_out_of_the_vietnamese_text(
    stub: Any, pki: Any, document: bytes
) -> None:
    """Offline B-B: revocation unknown → INDETERMINATE/TRY_LATER with its next step; every
    code sits in the code column, no Vietnamese cell carries a [CODE]."""
    report = verify(
        stub,
        sign(pki, document),
        human_report=pb.HUMAN_REPORT_HTML,
        fetch_revocation=False,
        file_name="cong-van.pdf",
    )
    assert report.indication == pb.INDICATION_INDETERMINATE
    assert report.next_step.code == "RETRY_LATER"
    html = report.human_report.decode("utf-8")
    assert "cong-van.pdf" in html
    assert "Kiểm tra lại văn bản khi dịch vụ trạng thái chứng thư số phản hồi" in html
    codes = re.findall(r"<td class='code'>([^<]*)</td>", html)
    assert "RETRY_LATER" in codes and "REVOCATION_STATUS_UNKNOWN" in codes
    texts = re.findall(r"<td>([^<]*)</td>", html)
    assert texts and not any(re.search(r"\[[A-Z_]{3,}\]", t) for t in texts)
    assert "Tính toàn vẹn</th><td>Toàn vẹn" not in html


def test_file_name_is_sanitised_and_bounded(stub: Any, pki: Any, document: bytes) -> None:
    pdf = sign(pki, document)
    report = verify(stub, pdf, file_name="../../etc/\u202ebad\x07name.pdf")
    assert report.file_name == "badname.pdf"
    with pytest.raises(Exception) as err:
        verify(stub, pdf, file_name="a" * 256 + ".pdf")
    assert err.value.code().name == "INVALID_ARGUMENT"  # type: ignore[attr-defined]


def test_etsi_xml_report_is_valid_against_the_schema(
    stub: Any, schema: etree.XMLSchema, three_signatures: bytes
) -> None:
    report = verify(stub, three_signatures, etsi_report=True)
    xml = etree.fromstring(report.etsi_report)
    assert schema.validate(xml), schema.error_log
    reports = xml.findall(f"{VR}SignatureValidationReport")
    assert len(reports) == 3
    mains = [r.findtext(f"{VR}SignatureValidationStatus/{VR}MainIndication") for r in reports]
    assert mains == ["urn:etsi:019102:mainindication:total-passed"] * 3
    signers = [r.findtext(f"{VR}SignerInformation/{VR}Signer") for r in reports]
    assert signers[1] == "Ủy ban nhân dân tỉnh Sóc Trăng"
    # without the option no XML is made
    assert not verify(stub, three_signatures).etsi_report


def test_etsi_xml_report_of_a_failed_and_an_unsigned_document(
    stub: Any, schema: etree.XMLSchema, pki: Any, document: bytes
) -> None:
    signed = bytearray(sign(pki, document))
    at = signed.index(b"Hong Nhung") if b"Hong Nhung" in signed else signed.index(b"BT")
    signed[at] ^= 0x01  # one byte of the signed content
    broken = verify(stub, bytes(signed), etsi_report=True)
    xml = etree.fromstring(broken.etsi_report)
    assert schema.validate(xml), schema.error_log
    status = xml.find(f"{VR}SignatureValidationReport/{VR}SignatureValidationStatus")
    assert status is not None
    assert status.findtext(f"{VR}MainIndication") == "urn:etsi:019102:mainindication:total-failed"
    assert status.findtext(f"{VR}SubIndication") == "urn:etsi:019102:subindication:HASH_FAILURE"
    unsigned = etree.fromstring(verify(stub, document, etsi_report=True).etsi_report)
    assert schema.validate(unsigned), schema.error_log


def test_cli_sends_the_base_name_and_writes_the_etsi_xml(
    kyso_server: str,
    pki: Any,
    document: bytes,
    schema: etree.XMLSchema,
    tmp_path: Path,
    capsys: Any,
) -> None:
    pdf = tmp_path / "Công văn 12.pdf"
    pdf.write_bytes(sign(pki, document))
    out_xml, out_pdf = tmp_path / "report.xml", tmp_path / "report.pdf"
    capsys.readouterr()
    args = ["--etsi-xml", str(out_xml), "--pdf-report", str(out_pdf)]
    assert main(["--server", kyso_server, "verify", str(pdf), *args]) == 0
    assert "Tệp: Công văn 12.pdf" in capsys.readouterr().out
    assert schema.validate(etree.parse(str(out_xml))), schema.error_log
    assert "Công văn 12.pdf" in "".join(pdf_pages(out_pdf.read_bytes(), tmp_path))


def test_pdf_report_is_pdf_a_2b(stub: Any, three_signatures: bytes, tmp_path: Path) -> None:
    """What ISO 19005-2 asks that kyso controls: XMP with pdfaid part 2 / B, an sRGB output
    intent, every font embedded, no information dictionary to disagree with the XMP, /ID;
    qpdf finds the file sound. (No veraPDF here: the full conformance is not machine-checked.)"""
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    from kyso.pdf.pdfa import declared_pdfa

    pdf = verify(stub, three_signatures, human_report=pb.HUMAN_REPORT_PDF).human_report
    reader = PdfFileReader(BytesIO(pdf))
    pdfa = declared_pdfa(reader)
    assert pdfa is not None and (pdfa.part, pdfa.conformance) == (2, "B")
    assert pdfa.colour_components == 3
    intent = reader.root["/OutputIntents"][0]
    assert intent["/S"] == "/GTS_PDFA1"
    assert "/Info" not in reader.trailer and "/ID" in reader.trailer
    xmp = reader.root["/Metadata"].data.decode("utf-8")
    assert "pdf:Producer" in xmp and "Kết quả kiểm tra chữ ký số" in xmp
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert fonts and all(" yes yes yes " in line for line in fonts), fonts
    subprocess.run(["qpdf", "--check", str(path)], check=True, capture_output=True)


def test_signed_pdf_report(
    stub: Any, three_signatures: bytes, assert_pdfsig_ok: Any, kyso_server: str
) -> None:
    """sign_report_with: the report is signed with a configured key (through the signing
    service and its audit), pdfsig accepts it and kyso verifies it."""
    report = verify(
        stub,
        three_signatures,
        human_report=pb.HUMAN_REPORT_PDF,
        sign_report_with="organisation",
        file_name="quyet-dinh.pdf",
    )
    signed = report.human_report
    assert_pdfsig_ok(signed, expected_signatures=1)
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    from kyso.pdf.pdfa import declared_pdfa

    pdfa = declared_pdfa(PdfFileReader(BytesIO(signed)))
    assert pdfa is not None and pdfa.label == "PDF/A-2B"  # the signature keeps it PDF/A
    again = verify(stub, signed)
    assert again.indication == pb.INDICATION_TOTAL_PASSED, again.summary_vi
    (sig,) = again.signatures
    assert sig.field_name == "KysoVerificationReport" and sig.signer_role == "organisation"
    # only the PDF report is signed; a key the caller may not use is refused by the guard
    with pytest.raises(Exception) as err:
        verify(
            stub,
            three_signatures,
            human_report=pb.HUMAN_REPORT_HTML,
            sign_report_with="organisation",
        )
    assert err.value.code().name == "INVALID_ARGUMENT"  # type: ignore[attr-defined]
    with pytest.raises(Exception) as err:
        verify(stub, three_signatures, human_report=pb.HUMAN_REPORT_PDF, sign_report_with="nope")
    assert err.value.code().name == "PERMISSION_DENIED"  # type: ignore[attr-defined]


def test_a_key_that_needs_its_owner_cannot_sign_reports(
    config_factory: Any, tmp_path: Path, three_signatures: bytes
) -> None:
    """The key guard applies to report signing as to Sign: a key with owner consent (TOTP)
    is refused (the report request carries no owner code) and the refusal is audited."""
    import json

    from kyso.server.app import running_server
    from kyso.server.status import error_info
    from tests.access import admin_channel

    settings = config_factory.make(
        tmp_path, keys=[config_factory.key_table("organisation", consent="totp")]
    )
    with running_server(settings) as (address, ctx), admin_channel(address) as ch:
        stub = pb_grpc.VerifierStub(ch)
        request = pb.VerifyRequest(
            document=three_signatures,
            options=pb.VerifyOptions(
                human_report=pb.HUMAN_REPORT_PDF, sign_report_with="organisation"
            ),
        )
        with pytest.raises(Exception) as err:
            stub.Verify(request, timeout=60)
        code = error_info(err.value)[0]  # type: ignore[arg-type]
        assert code.startswith("CONSENT_"), code
        audit = Path(ctx.settings.signer.audit_file(ctx.settings.home))
        entry = json.loads(audit.read_text(encoding="utf-8").splitlines()[-1])
        assert (entry["operation"], entry["result"], entry["code"]) == (
            "SignVerificationReport",
            "REFUSED",
            code,
        )
