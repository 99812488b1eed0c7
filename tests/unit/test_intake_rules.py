"""Matching levels, the Decree 30 elements read from lines, the cross-check rules, the policy."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from kyso.edxml.model import Header, Organisation
from kyso.errors import InvalidInput
from verifier.intake.crosscheck import cross_check, header_date, pick_signatures
from verifier.intake.document_text import read_elements
from verifier.intake.matching import compare, compare_number, contains
from verifier.intake.model import (
    AttachmentEvidence,
    Conclusion,
    DocumentElements,
    MatchLevel,
    Severity,
    SignatureEvidence,
)
from verifier.intake.policy import RULES, SHIPPED, load_policy

POLICY = load_policy()


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("UBND-VP", "UBND-VP", MatchLevel.EXACT),
        ("HÒA", "Hoà", MatchLevel.NORMALISED),
        ("Thanh Hóa", "THANH HOÁ", MatchLevel.NORMALISED),
        ("thủy", "thuỷ", MatchLevel.NORMALISED),
        ("QĐ–UBND", "QĐ-UBND", MatchLevel.NORMALISED),
        ("QĐ - UBND", "QĐ-UBND", MatchLevel.NORMALISED),
        ("Nguyễn Văn Mẫu", "Nguyễn  Văn  Mẫu", MatchLevel.NORMALISED),
        ("Nguyen Van Mau", "Nguyễn Văn Mẫu", MatchLevel.WITHOUT_DIACRITICS),
        ("QD-UBND", "QĐ-UBND", MatchLevel.WITHOUT_DIACRITICS),
        ("Nguyễn Văn Mẫu", "Nguyễn Văn Mậu", MatchLevel.WITHOUT_DIACRITICS),
        ("Nguyễn Văn A", "Trần Văn B", MatchLevel.MISMATCH),
        ("", "x", MatchLevel.NOT_COMPARED),
    ],
)
def test_compare_levels(a: str, b: str, level: MatchLevel) -> None:
    assert compare(a, b) is level


def test_nfd_input_is_normalised() -> None:
    import unicodedata

    assert compare(unicodedata.normalize("NFD", "Hồng"), "Hồng") is MatchLevel.NORMALISED


def test_numbers() -> None:
    assert compare_number("015", "QĐ-UBND", "15", "QĐ-UBND") is MatchLevel.NORMALISED
    assert compare_number("15", "QĐ-UBND", "15", "QĐ-UBND") is MatchLevel.EXACT
    assert compare_number("16", "QĐ-UBND", "15", "QĐ-UBND") is MatchLevel.MISMATCH
    assert compare_number("15", "QĐ-UBND", "15", "CV-UBND") is MatchLevel.MISMATCH
    assert contains("ỦY BAN NHÂN DÂN TỈNH SÓC TRĂNG", "Ủy ban nhân dân tỉnh Sóc Trăng") in (
        MatchLevel.NORMALISED,
    )


def test_header_dates() -> None:
    assert str(header_date("2026/03/05")) == "2026-03-05"
    assert str(header_date("05/03/2026")) == "2026-03-05"
    assert header_date("2026/13/05") is None and header_date("hôm qua") is None


ELEMENTS = DocumentElements(
    number="125",
    notation="UBND-VP",
    number_line="Số: 125/UBND-VP",
    place="Mẫu",
    date=date(2026, 3, 5),
    date_line="Mẫu, ngày 05 tháng 3 năm 2026",
    issuer="ỦY BAN NHÂN DÂN TỈNH MẪU",
    signer_lines=("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn Mẫu"),
    signer_name="Nguyễn Văn Mẫu",
)


def test_read_elements_of_a_decree30_document() -> None:
    from tests.integration.documents import DECREE30_NAME, decree30_pdf

    e = read_elements(decree30_pdf("Sóc Trăng, ngày 05 tháng 3 năm 2026"), signer_name="")
    assert (e.number, e.notation) == ("15", "QĐ-UBND") and e.number_line == "Số: 15/QĐ-UBND"
    assert e.date == date(2026, 3, 5) and e.place == "Sóc Trăng"
    assert "SÓC TRĂNG" in e.issuer
    assert e.signer_name == DECREE30_NAME
    assert e.signer_lines[-1] == DECREE30_NAME and "PHÓ CHỦ TỊCH" in e.signer_lines
    assert read_elements(b"not a pdf").error


def _header(**kw: str) -> Header:
    h = Header(
        sender=Organisation(organ_id="000.00.00.H99", organ_name="Ủy ban nhân dân tỉnh Mẫu"),
        code_number="125",
        code_notation="UBND-VP",
        place="Mẫu",
        promulgation_date="2026/03/05",
        signer_competence="KT. CHỦ TỊCH",
        signer_position="Phó Chủ tịch",
        signer_full_name="Nguyễn Văn Mẫu",
    )
    for k, v in kw.items():
        setattr(h, k, v)
    return h


def _evidence(org_time: datetime) -> AttachmentEvidence:
    sigs = [
        SignatureEvidence(0, "TOTAL_PASSED", "NONE", "Nguyễn Văn Mẫu", "UBND tỉnh Mẫu", org_time),
        SignatureEvidence(1, "TOTAL_PASSED", "NONE", "Ủy ban nhân dân tỉnh Mẫu", "", org_time),
    ]
    return AttachmentEvidence("TOTAL_PASSED", signatures=sigs, elements=ELEMENTS)


def _run(h: Header, when: datetime | None = None) -> tuple[dict[str, MatchLevel], set[str]]:
    when = when or datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    checks, findings = cross_check(h, ELEMENTS, _evidence(when), POLICY, 0)
    return {c.field: c.level for c in checks}, {f.rule for f in findings}


def test_cross_check_all_match() -> None:
    levels, rules = _run(_header())
    assert levels["number"] is MatchLevel.EXACT and levels["date"] is MatchLevel.EXACT
    assert levels["signing_time"] is MatchLevel.EXACT
    assert levels["issuer"] is MatchLevel.NORMALISED
    assert levels["issuer_certificate"] is MatchLevel.EXACT
    assert levels["signer"] is MatchLevel.EXACT and levels["position"] is MatchLevel.NORMALISED
    assert rules == set()


def test_signing_time_is_read_in_vietnam_time() -> None:
    # 2026-03-04 18:00 UTC is 2026-03-05 01:00 in Hà Nội: the same day
    levels, rules = _run(_header(), datetime(2026, 3, 4, 18, 0, tzinfo=UTC))
    assert levels["signing_time"] is MatchLevel.EXACT and not rules
    levels, rules = _run(_header(), datetime(2026, 3, 4, 16, 0, tzinfo=UTC))
    assert rules == {"XC_DATE_SIGNING_TIME"}


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"code_number": "126"}, "XC_NUMBER_MISMATCH"),
        ({"code_number": "0125"}, None),
        ({"promulgation_date": "2026/03/06"}, "XC_DATE_MISMATCH"),
        ({"signer_full_name": "Trần Thị Khác"}, "XC_SIGNER_MISMATCH"),
        ({"signer_full_name": "Nguyen Van Mau"}, "XC_MATCH_WITHOUT_DIACRITICS"),
        ({"signer_position": "Chủ tịch"}, None),  # contained in "PHÓ CHỦ TỊCH": fuzzy
        ({"signer_position": "Giám đốc"}, "XC_POSITION_MISMATCH"),
        ({"place": "Hà Nội"}, "XC_PLACE_MISMATCH"),
    ],
)
def test_cross_check_rules(change: dict[str, str], rule: str | None) -> None:
    _, rules = _run(_header(**change))
    if rule is None:
        assert not {r for r in rules if r != "XC_DATE_SIGNING_TIME"}
    else:
        assert rule in rules


def test_severities_and_conclusions() -> None:
    fail = POLICY.finding("XC_NUMBER_MISMATCH", header="126/UBND-VP", document="125/UBND-VP")
    warn = POLICY.finding("XC_PLACE_MISMATCH", header="a", document="b")
    info = POLICY.finding("XC_MATCH_WITHOUT_DIACRITICS", field="signer", header="a", document="b")
    assert (fail.severity, warn.severity, info.severity) == (
        Severity.FAIL,
        Severity.WARN,
        Severity.INFO,
    )
    assert "126/UBND-VP" in fail.message_vi and "125/UBND-VP" in fail.message_en
    assert "khớp khi bỏ dấu" in info.message_vi
    assert POLICY.conclude([]) is Conclusion.ACCEPT
    assert POLICY.conclude([info]) is Conclusion.ACCEPT
    assert POLICY.conclude([info, warn]) is Conclusion.ACCEPT_WITH_WARNINGS
    assert POLICY.conclude([warn, fail, info]) is Conclusion.RETURN_TO_SENDER
    assert POLICY.texts[Conclusion.RETURN_TO_SENDER].status_code == "02"


def test_lone_signature_is_the_organisations_when_its_certificate_names_the_sender() -> None:
    h = _header()
    org = SignatureEvidence(0, "TOTAL_PASSED", "NONE", "UY BAN NHAN DAN TINH MAU", "", None)
    person = SignatureEvidence(0, "TOTAL_PASSED", "NONE", "Nguyễn Văn Mẫu", "", None)
    assert pick_signatures([org], h) == (None, org)
    assert pick_signatures([person], h) == (person, None)


def test_policy_is_data(tmp_path: Path) -> None:
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert set(RULES) <= set(data["rules"])
    data["rules"]["XC_PLACE_MISMATCH"]["severity"] = "FAIL"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    stricter = load_policy(path)
    f = stricter.finding("XC_PLACE_MISMATCH", header="a", document="b")
    assert stricter.conclude([f]) is Conclusion.RETURN_TO_SENDER
    del data["rules"]["NO_ATTACHMENT"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvalidInput, match="NO_ATTACHMENT"):
        load_policy(path)
    data["rules"]["NO_ATTACHMENT"] = {"severity": "FATAL", "en": "", "vi": ""}
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvalidInput, match="CONFIG_INVALID"):
        load_policy(path)


def test_separate_attachment_number() -> None:
    from verifier.intake.crosscheck import cross_check_attachment

    h = _header()
    checks, findings = cross_check_attachment(h, ELEMENTS, POLICY, 1)
    assert [c.level for c in checks] == [MatchLevel.EXACT] and not findings
    other = DocumentElements(number="99", notation="UBND-VP", number_line="Số: 99/UBND-VP")
    checks, findings = cross_check_attachment(h, other, POLICY, 1)
    assert [f.rule for f in findings] == ["XC_ATTACHMENT_NUMBER_MISMATCH"]
    assert findings[0].attachment == 1 and findings[0].severity is Severity.FAIL
    checks, findings = cross_check_attachment(h, DocumentElements(), POLICY, 1)
    assert [c.level for c in checks] == [MatchLevel.NOT_FOUND] and not findings
