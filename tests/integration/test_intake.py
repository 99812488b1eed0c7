"""Intake of edXML packages through the real gRPC server (issue 13; docs/intake.md).

Packages are built from edxml.md's shape (tests/edxml_packages.py) around a Decree 30 decision
signed by the test server (personal, then organisation signature) dated today in +07:00, and a
separate attachment carrying the organisation's attachment signature.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kyso.cli.main import main
from kyso.v1 import intake_pb2 as ipb
from kyso.v1 import intake_pb2_grpc as ipb_grpc
from kyso.v1 import verifier_pb2 as pb
from tests.edxml_packages import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    LEGACY_EDOC,
    PLACEHOLDER_SIGNATURE,
    STATUS_03,
    File,
    package,
    zipped,
)
from tests.integration.documents import DECREE30_NAME, decree30_pdf, make_pdf
from verifier.intake.crosscheck import VN_TIME

TODAY = datetime.now(VN_TIME).date()
DATE_LINE = f"Sóc Trăng, ngày {TODAY.day:02d} tháng {TODAY.month:02d} năm {TODAY.year}"
HEADER_DATE = TODAY.strftime("%Y/%m/%d")


def _cli(server: str, *args: str) -> int:
    return main(["--server", server, *args])


@pytest.fixture(scope="module")
def signed(kyso_server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """{"decision": personal + organisation signed Decree 30 PDF, "appendix": attachment}."""
    d = tmp_path_factory.mktemp("intake-docs")
    (d / "qd.pdf").write_bytes(decree30_pdf(DATE_LINE))
    (d / "pl.pdf").write_bytes(make_pdf(["PHỤ LỤC", "Danh mục hồ sơ lưu trữ"]))
    steps = [
        ("qd.pdf", "qd1.pdf", "personal", "personal", ["--anchor", DECREE30_NAME]),
        ("qd1.pdf", "qd2.pdf", "organisation", "organisation", ["--anchor", DECREE30_NAME]),
        ("pl.pdf", "pl1.pdf", "organisation", "attachment", ["--number", "15/QĐ-UBND"]),
        ("pl.pdf", "pl99.pdf", "organisation", "attachment", ["--number", "99/QĐ-UBND"]),
    ]
    for src, out, key, profile, extra in steps:
        argv = ["sign", str(d / src), "-o", str(d / out), "--key", key, "--profile", profile]
        assert _cli(kyso_server, *argv, *extra) == 0
    return {
        "decision": (d / "qd2.pdf").read_bytes(),
        "appendix": (d / "pl1.pdf").read_bytes(),
        "other_appendix": (d / "pl99.pdf").read_bytes(),
    }


@pytest.fixture(scope="module")
def stub(grpc_channel: Any) -> Any:
    return ipb_grpc.IntakeStub(grpc_channel)


def _options() -> Any:
    return ipb.IntakeOptions(verify=pb.VerifyOptions(fetch_revocation=True))


def _intake(stub: Any, data: bytes) -> Any:
    return stub.Intake(ipb.IntakeRequest(package=data, options=_options()), timeout=60)


def _rules(report: Any) -> dict[str, str]:
    return {
        f.rule: ipb.FindingSeverity.Name(f.severity).removeprefix("FINDING_SEVERITY_")
        for f in report.findings
    }


def _conclusion(report: Any) -> str:
    return ipb.IntakeConclusion.Name(report.conclusion).removeprefix("INTAKE_CONCLUSION_")


def _levels(report: Any) -> dict[str, str]:
    return {
        c.field: ipb.MatchLevel.Name(c.level).removeprefix("MATCH_LEVEL_")
        for c in report.cross_checks
    }


def _files(signed: dict[str, bytes]) -> list[File]:
    return [
        File("15-QD-UBND.signed.pdf", signed["decision"]),
        File("phu-luc.signed.pdf", signed["appendix"], description="Phụ lục"),
    ]


def test_correct_package_is_accepted(stub: Any, signed: dict[str, bytes]) -> None:
    report = _intake(stub, package(_files(signed), date=HEADER_DATE))
    assert _conclusion(report) == "ACCEPT", [f.message.message_en for f in report.findings]
    assert report.edxml_status_code == "03"
    assert report.kind == ipb.PACKAGE_KIND_DOCUMENT
    h = report.header
    assert (h.code_number, h.code_notation, h.promulgation_date) == ("15", "QĐ-UBND", HEADER_DATE)
    assert h.sender.organ_id == "000.00.00.H99" and h.recipients[0].organ_id == "000.00.01.H99"
    assert (h.signer_competence, h.signer_position, h.signer_full_name) == (
        "KT. CHỦ TỊCH",
        "Phó Chủ tịch",
        DECREE30_NAME,
    )
    assert h.business_doc_type == "0" and h.priority == "0"
    main_doc, appendix = report.attachments
    assert main_doc.main_document and main_doc.verified and appendix.verified
    assert main_doc.validation.indication == pb.INDICATION_TOTAL_PASSED
    assert len(main_doc.validation.signatures) == 2
    assert appendix.validation.indication == pb.INDICATION_TOTAL_PASSED
    levels = _levels(report)
    assert levels["number"] == "EXACT"
    assert levels["date"] == "EXACT" and levels["signing_time"] == "EXACT"
    assert levels["issuer"] == "NORMALISED"  # "ỦY BAN NHÂN DÂN TỈNH SÓC TRĂNG"
    assert levels["issuer_certificate"] in ("EXACT", "NORMALISED")
    assert levels["signer_certificate"] == "EXACT" and levels["signer"] == "EXACT"
    assert levels["competence"] in ("EXACT", "NORMALISED")
    assert levels["position"] == "NORMALISED"  # "Phó Chủ tịch" / "PHÓ CHỦ TỊCH"
    # the separate attachment's number, from its attachment signature's text
    attached = next(c for c in report.cross_checks if c.field == "attachment_number")
    assert attached.attachment == 1 and attached.level == ipb.MATCH_LEVEL_EXACT
    assert all(f.severity == ipb.FINDING_SEVERITY_INFO for f in report.findings)


def test_zip_attachment_is_unpacked(stub: Any, signed: dict[str, bytes]) -> None:
    files = [zipped("15-QD-UBND.signed.pdf", signed["decision"])]
    report = _intake(stub, package(files, date=HEADER_DATE))
    assert _conclusion(report) == "ACCEPT"
    att = report.attachments[0]
    assert (
        att.unzipped
        and att.detected_type == "application/pdf"
        and att.declared_type.endswith("zip")
    )
    assert att.validation.indication == pb.INDICATION_TOTAL_PASSED
    assert "ATTACHMENT_UNZIPPED" in _rules(report)


def test_names_without_diacritics_match_at_a_weaker_level(
    stub: Any, signed: dict[str, bytes]
) -> None:
    data = package(
        _files(signed),
        date=HEADER_DATE,
        full_name="Nguyen Thi Hong Nhung",
        competence="KT. CHU TICH",
    )
    report = _intake(stub, data)
    assert _conclusion(report) == "ACCEPT"
    levels = _levels(report)
    assert levels["signer"] == levels["signer_certificate"] == "WITHOUT_DIACRITICS"
    assert levels["competence"] == "WITHOUT_DIACRITICS"
    weak = [f for f in report.findings if f.rule == "XC_MATCH_WITHOUT_DIACRITICS"]
    assert weak and "khớp khi bỏ dấu" in weak[0].message.message_vi


def test_placeholder_package_signature_is_information_only(
    stub: Any, signed: dict[str, bytes]
) -> None:
    report = _intake(
        stub, package(_files(signed), date=HEADER_DATE, signature=PLACEHOLDER_SIGNATURE)
    )
    assert _conclusion(report) == "ACCEPT"
    assert report.package_signature.present
    assert report.package_signature.namespace == "http://www.mic.gov.vn/TBT/QCVN_102_2016"
    info = next(f for f in report.findings if f.rule == "PACKAGE_SIGNATURE_INFORMATION")
    assert info.severity == ipb.FINDING_SEVERITY_INFO
    assert "SHA-1" in info.message.message_en and "truncated" in info.message.message_en


def test_unbound_prefixes_are_read_leniently_and_flagged(
    stub: Any, signed: dict[str, bytes]
) -> None:
    report = _intake(stub, package(_files(signed), date=HEADER_DATE, unbound=True))
    assert report.lenient_parse
    assert _rules(report)["PACKAGE_LENIENT_PARSE"] == "WARN"
    assert _conclusion(report) == "ACCEPT_WITH_WARNINGS"
    assert report.attachments[0].validation.indication == pb.INDICATION_TOTAL_PASSED


def _mojibake(pdf: bytes) -> bytes:
    return pdf.decode("utf-8", errors="replace").encode("utf-8")


def test_damaged_in_transit_is_named(stub: Any, signed: dict[str, bytes]) -> None:
    files = [File("15-QD-UBND.signed.pdf", _mojibake(signed["decision"]))]
    report = _intake(stub, package(files, date=HEADER_DATE))
    assert _conclusion(report) == "RETURN_TO_SENDER" and report.edxml_status_code == "02"
    damaged = next(f for f in report.findings if f.rule == "ATTACHMENT_DAMAGED_IN_TRANSIT")
    assert "damaged in transit" in damaged.message.message_en
    assert "hỏng trong quá trình truyền" in damaged.message.message_vi
    assert "hỏng trong quá trình truyền" in report.status_description_vi
    validation = report.attachments[0].validation
    assert validation.indication != pb.INDICATION_TOTAL_PASSED
    assert not report.cross_checks  # a damaged document is not compared


@pytest.mark.parametrize(
    ("change", "rule", "field"),
    [
        ({"code_number": "16"}, "XC_NUMBER_MISMATCH", "number"),
        ({"date": "2026/01/06"}, "XC_DATE_MISMATCH", "date"),
    ],
)
def test_metadata_mismatch_returns_the_package(
    stub: Any, signed: dict[str, bytes], change: dict[str, str], rule: str, field: str
) -> None:
    report = _intake(stub, package(_files(signed), **{"date": HEADER_DATE, **change}))
    assert _conclusion(report) == "RETURN_TO_SENDER"
    assert _rules(report)[rule] == "FAIL"
    assert _levels(report)[field] == "MISMATCH"
    finding = next(f for f in report.findings if f.rule == rule)
    assert finding.header_value and finding.document_value
    # the signatures themselves are still valid
    assert report.attachments[0].validation.indication == pb.INDICATION_TOTAL_PASSED


def test_attachment_of_another_document_returns_the_package(
    stub: Any, signed: dict[str, bytes]
) -> None:
    files = [
        File("15-QD-UBND.signed.pdf", signed["decision"]),
        File("phu-luc.signed.pdf", signed["other_appendix"], description="Phụ lục"),
    ]
    report = _intake(stub, package(files, date=HEADER_DATE))
    assert _conclusion(report) == "RETURN_TO_SENDER"
    finding = next(f for f in report.findings if f.rule == "XC_ATTACHMENT_NUMBER_MISMATCH")
    assert finding.attachment == 1 and finding.document_value == "99/QĐ-UBND"
    assert report.attachments[1].validation.indication == pb.INDICATION_TOTAL_PASSED


def test_revocation_package_is_recognised_not_compared(stub: Any) -> None:
    data = package(
        [], business_type="1", business_document_id="000.00.00.H99,2026/01/05,15/QĐ-UBND"
    )
    report = _intake(stub, data)
    assert _rules(report)["BUSINESS_REVOCATION"] == "WARN"
    assert "NO_ATTACHMENT" not in _rules(report)
    assert _conclusion(report) == "ACCEPT_WITH_WARNINGS"
    assert report.header.business_document_id.endswith("15/QĐ-UBND")
    assert not report.cross_checks and not report.attachments


def test_status_message_is_recognised(stub: Any) -> None:
    report = _intake(stub, STATUS_03)
    assert report.kind == ipb.PACKAGE_KIND_STATUS
    assert report.status.status_code == "03"
    assert report.status.response_for_code == "15/QĐ-UBND"
    assert _rules(report) == {"PACKAGE_STATUS_MESSAGE": "INFO"}
    assert report.edxml_status_code == ""


@pytest.mark.parametrize(
    ("data", "kind", "rule"),
    [
        (LEGACY_EDOC, ipb.PACKAGE_KIND_LEGACY_EDOC, "PACKAGE_LEGACY_EDOC"),
        (BILLION_LAUGHS, ipb.PACKAGE_KIND_REFUSED, "PACKAGE_ENTITIES_REFUSED"),
        (EXTERNAL_ENTITY, ipb.PACKAGE_KIND_REFUSED, "PACKAGE_EXTERNAL_REFERENCE_REFUSED"),
        (b"not xml at all", ipb.PACKAGE_KIND_REFUSED, "PACKAGE_NOT_XML"),
    ],
)
def test_refused_packages(stub: Any, data: bytes, kind: int, rule: str) -> None:
    report = _intake(stub, data)
    assert report.kind == kind
    assert _rules(report) == {rule: "FAIL"}
    assert _conclusion(report) == "RETURN_TO_SENDER" and report.edxml_status_code == "02"
    assert report.status_description_vi.startswith("Trả lại")


def test_stream_and_cli(
    kyso_server: str, signed: dict[str, bytes], tmp_path: Path, capsys: Any
) -> None:
    good = package(_files(signed), date=HEADER_DATE)
    bad = package(_files(signed), date=HEADER_DATE, code_number="16")
    (tmp_path / "a.edxml").write_bytes(good)
    (tmp_path / "b.edxml").write_bytes(bad)
    (tmp_path / "c.edxml").write_bytes(BILLION_LAUGHS)
    (tmp_path / "ignored.txt").write_bytes(b"x")
    capsys.readouterr()
    assert _cli(kyso_server, "intake", str(tmp_path / "a.edxml"), "--json",
                "--pdf-report", str(tmp_path / "r.pdf")) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert data["conclusion"] == "ACCEPT" and data["kind"] == "DOCUMENT"
    assert data["attachments"][0]["validation"]["indication"] == "TOTAL_PASSED"
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")
    assert _cli(kyso_server, "intake", str(tmp_path / "b.edxml")) == 1
    out = capsys.readouterr().out
    assert "RETURN_TO_SENDER" in out and "XC_NUMBER_MISMATCH" in out
    csv_out = tmp_path / "day.csv"
    assert _cli(kyso_server, "intake", str(tmp_path), "--csv", str(csv_out)) == 1
    out = capsys.readouterr().out
    assert "3 gói tin: 1 tiếp nhận, 0 tiếp nhận có lưu ý, 2 trả lại, 0 lỗi" in out
    rows = csv_out.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("file,conclusion,edxml_status_code")
    assert [r.split(",")[1] for r in rows[1:]] == ["ACCEPT", "RETURN_TO_SENDER", "RETURN_TO_SENDER"]


def _chunks(data: bytes, size: int = 1 << 20) -> Iterator[Any]:
    yield ipb.IntakeStreamRequest(options=_options())
    for at in range(0, len(data), size):
        yield ipb.IntakeStreamRequest(chunk=data[at : at + size])


def test_stream_matches_unary(stub: Any, signed: dict[str, bytes]) -> None:
    data = package(_files(signed), date=HEADER_DATE)
    report = stub.IntakeStream(_chunks(data, 4096), timeout=60)
    assert _conclusion(report) == "ACCEPT"
    assert report.package_sha256 == _intake(stub, data).package_sha256


def test_without_the_cage_the_same_report(
    make_config: Any, stub: Any, signed: dict[str, bytes]
) -> None:
    """``[process_pool] size = 0`` (debugging: the intake in the server process) gives the
    report the cage gives, unary and streamed."""
    from kyso.server.app import running_server
    from tests.access import admin_channel

    data = package(_files(signed), date=HEADER_DATE)
    caged = _intake(stub, data)
    with running_server(make_config(process_pool={"size": 0})) as (address, ctx):
        assert ctx.pool is None
        with admin_channel(address) as channel:
            here = ipb_grpc.IntakeStub(channel)
            for report in (_intake(here, data), here.IntakeStream(_chunks(data), timeout=60)):
                assert _conclusion(report) == _conclusion(caged) == "ACCEPT"
                assert report.package_sha256 == caged.package_sha256
                assert [a.validation.indication for a in report.attachments] == [
                    a.validation.indication for a in caged.attachments
                ]
                assert _rules(report) == _rules(caged)


# ------------------------------------------------------------------ a 200 MB package, streamed
BIG = 150 * 1024 * 1024  # decoded; about 200 MB of base64 in the package


def _big_pdf_parts() -> tuple[bytes, bytes]:
    """An unsigned one-page PDF whose object 5 is a BIG-byte stream no page uses: the bytes
    before and after the stream data (xref offsets computed for BIG)."""
    objs = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>",
        b"<</Length 0>>stream\n\nendstream",
    ]
    head, offsets = b"%PDF-1.7\n", []
    for n, body in enumerate(objs, start=1):
        offsets.append(len(head))
        head += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    offsets.append(len(head))
    head += b"5 0 obj\n<</Length %d>>stream\n" % BIG
    xref_at = len(head) + BIG + len(b"\nendstream\nendobj\n")
    tail = b"\nendstream\nendobj\nxref\n0 6\n0000000000 65535 f \n"
    tail += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    tail += b"trailer\n<</Size 6/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return head, tail


def _write_big_package(path: Path, decision: bytes) -> None:
    """Fixture A with the signed decision and a BIG-byte PDF, written without holding either."""
    import base64

    marker = b"__BIG__"
    skeleton = package(
        [File("15-QD-UBND.signed.pdf", decision), File("ho-so.pdf", marker, description="Hồ sơ")],
        date=HEADER_DATE,
    )
    before, _, after = skeleton.partition(base64.encodebytes(marker).strip())
    head, tail = _big_pdf_parts()
    block = bytes(range(256)) * (57 * 64)  # a multiple of 57: base64 lines stay whole
    with path.open("wb") as f:
        f.write(before)
        carry = head
        left = BIG
        while left or carry:
            take = min(left, len(block))
            data = carry + block[:take] + (tail if left == take else b"")
            left -= take
            cut = len(data) - len(data) % 57 if left else len(data)
            f.write(base64.encodebytes(data[:cut]))
            carry = data[cut:]
            if not left and not carry:
                break
        f.write(after)


def _anon_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    raise AssertionError("no RssAnon")


@pytest.mark.slow
def test_200_mb_package_streams_in_bounded_memory(
    stub: Any, signed: dict[str, bytes], tmp_path: Path
) -> None:
    import threading
    import time

    from kyso.cli.channel import read_chunks

    path = tmp_path / "big.edxml"
    _write_big_package(path, signed["decision"])
    size = path.stat().st_size
    assert size > 200 * 1000 * 1000

    def requests() -> Iterator[Any]:
        yield ipb.IntakeStreamRequest(options=_options())
        for chunk in read_chunks(path):
            yield ipb.IntakeStreamRequest(chunk=chunk)

    base, peak, done = _anon_kib(), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _anon_kib())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    try:
        report = stub.IntakeStream(requests(), timeout=120)
    finally:
        done.set()
        sampler.join()
    elapsed = time.monotonic() - started
    growth_mib = (peak[0] - base) / 1024
    print(
        f"200 MB package: {size / 1e6:.0f} MB in {elapsed:.1f} s, "
        f"anonymous RSS +{growth_mib:.0f} MiB"
    )
    assert report.package_size == size
    decision, big = report.attachments
    assert decision.validation.indication == pb.INDICATION_TOTAL_PASSED
    assert big.size > BIG and big.detected_type == "application/pdf" and big.verified
    # not held in memory: far below the package (200 MB) or the decoded attachment (150 MB)
    assert growth_mib < 100, growth_mib


def test_signed_test_documents_pass_pdfsig(signed: dict[str, bytes], assert_pdfsig_ok: Any) -> None:
    assert_pdfsig_ok(signed["decision"], expected_signatures=2)
    assert_pdfsig_ok(signed["appendix"], expected_signatures=1)
    assert_pdfsig_ok(signed["other_appendix"], expected_signatures=1)


# ------------------------------------------------------------------------- access control
@pytest.fixture(scope="module")
def roles_server(
    config_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, str]]:
    from kyso.server.app import running_server
    from kyso.server.tokens import add_token

    home = tmp_path_factory.mktemp("kyso-intake-roles")
    reader = add_token(home / "auth" / "tokens", "tiep-nhan")
    signer = add_token(home / "auth" / "tokens", "phat-hanh")
    settings = config_factory.make(
        home,
        keys=["personal"],
        clients=[
            {"name": "tiep-nhan", "token": True, "roles": ["verifier"]},
            {"name": "phat-hanh", "token": True, "roles": ["signer"], "keys": ["personal"]},
        ],
    )
    with running_server(settings) as (address, _ctx):
        yield address, reader, signer


def test_intake_needs_the_verifier_role(roles_server: tuple[str, str, str]) -> None:
    import grpc

    from kyso.server.status import error_info
    from tests.access import token_channel

    address, reader, signer = roles_server
    request = ipb.IntakeRequest(package=STATUS_03)
    with token_channel(address, reader) as ch:
        assert ipb_grpc.IntakeStub(ch).Intake(request, timeout=30).kind == ipb.PACKAGE_KIND_STATUS
    for token, status, code in (
        (signer, grpc.StatusCode.PERMISSION_DENIED, "PERMISSION_DENIED"),
        (None, grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED"),
    ):
        with token_channel(address, token) as ch:
            for call in (
                lambda: ipb_grpc.IntakeStub(ch).Intake(request, timeout=30),
                lambda: ipb_grpc.IntakeStub(ch).IntakeStream(iter([]), timeout=30),
            ):
                with pytest.raises(grpc.RpcError) as err:
                    call()
                assert (err.value.code(), error_info(err.value)[0]) == (status, code)
                if token is not None:
                    assert "role required: verifier" in (err.value.details() or "")


def test_an_intake_refuses_to_sign_reports(stub: Any, signed: dict[str, bytes]) -> None:
    """``verify.sign_report_with`` is refused (the Intake rule asks for no key); before, each
    attachment's verification failed on it and the package read as unreadable attachments."""
    import grpc

    from kyso.server.status import error_info

    options = ipb.IntakeOptions(
        verify=pb.VerifyOptions(sign_report_with="personal", human_report=pb.HUMAN_REPORT_PDF)
    )
    data = package(_files(signed), date=HEADER_DATE)
    for call in (
        lambda: stub.Intake(ipb.IntakeRequest(package=data, options=options), timeout=60),
        lambda: stub.IntakeStream(
            iter([ipb.IntakeStreamRequest(options=options), ipb.IntakeStreamRequest(chunk=data)]),
            timeout=60,
        ),
    ):
        with pytest.raises(grpc.RpcError) as err:
            call()
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(err.value)[0] == "OPTION_INVALID"
        assert "verify.sign_report_with" in (err.value.details() or "")
