"""FC on hand-made facts and bytes (no PDF parser: the byte-level path a broken file takes)."""

from __future__ import annotations

from typing import Any

from tests.unit.process_inputs import context, facts, vn_gov
from verifier.model import Indication, Status, SubIndication
from verifier.process import fc

_CMS = b"\x30\x03\x02\x01\x05"
_HEX = b"<" + _CMS.hex().encode() + b"00" * 4 + b">"


def _document(tail: bytes = b"\nstartxref\n9\n%%EOF\n") -> tuple[bytes, tuple[int, ...]]:
    head = b"%PDF-1.7\n1 0 obj << /Contents "
    rest = b" >> endobj\n" + tail
    data = head + _HEX + rest
    return data, (0, len(head), len(head) + len(_HEX), len(rest))


def _by_name(checks: list) -> dict:
    return {c.name: c for c in checks}


def test_byte_level_coverage_is_never_confirmed() -> None:
    data, br = _document()
    f = facts(byte_range=br, contents=_CMS + b"\0" * 4)
    checks, coverage = fc.format_checks(f, context(data), vn_gov)
    by = _by_name(checks)
    assert by["BYTE_RANGE"].status is Status.PASSED
    assert by["REVISION_COVERAGE"].status is Status.INDETERMINATE
    assert by["REVISION_COVERAGE"].code == "REVISION_COVERAGE_UNKNOWN"
    assert by["CONTENTS"].status is Status.FAILED  # no parsed SignedData in these facts
    assert coverage is None


def test_gap_that_is_not_this_contents_fails() -> None:
    data, br = _document()
    f = facts(byte_range=br, contents=b"\x30\x03\x02\x01\x06")
    checks, coverage = fc.format_checks(f, context(data), vn_gov)
    by = _by_name(checks)
    assert by["BYTE_RANGE"].status is Status.FAILED
    assert by["BYTE_RANGE"].sub_indication is SubIndication.FORMAT_FAILURE
    assert "not the /Contents" in by["BYTE_RANGE"].message_en
    assert coverage is None


def test_signed_bytes_must_end_with_eof() -> None:
    data, br = _document(tail=b"\ntrailer\n")
    f = facts(byte_range=br, contents=_CMS + b"\0" * 4)
    by = _by_name(fc.format_checks(f, context(data), vn_gov)[0])
    assert by["REVISION_COVERAGE"].code == "REVISION_COVERAGE_INVALID"
    assert by["REVISION_COVERAGE"].indication is Indication.TOTAL_FAILED


def test_problems_read_from_the_dictionary_fail_their_constraint() -> None:
    f = facts(problems={"SUB_FILTER": "unsupported /SubFilter /x"}, sub_filter="/x")
    by = _by_name(fc.format_checks(f, context(b"%PDF-1.7"), vn_gov)[0])
    assert by["SUB_FILTER"].status is Status.FAILED
    assert by["SUB_FILTER"].message_vi.endswith(": unsupported /SubFilter /x")
    assert by["SIGNATURE_DICTIONARY"].status is Status.PASSED
    assert by["BYTE_RANGE"].status is Status.FAILED  # no /ByteRange at all


def test_unreadable_structure_leaves_changes_unknown() -> None:
    coverage = fc.Coverage(((0, 1), (2, 3)), 5, -1, False)
    checks, summary = fc.changes_after_signing(vn_gov, None, coverage)
    assert [c.status for c in checks] == [Status.INDETERMINATE, Status.INDETERMINATE]
    assert not summary.analysed and "cannot be read" in summary.summary_en


def test_whole_document_has_no_changes() -> None:
    coverage = fc.Coverage(((0, 1), (2, 3)), 5, 0, True)
    analysis: Any = object()  # never opened: nothing follows the signed revision
    checks, summary = fc.changes_after_signing(vn_gov, analysis, coverage)
    assert [(c.name, c.code) for c in checks] == [
        ("CHANGES_AFTER_SIGNING", "NO_CHANGES_AFTER_SIGNING"),
        ("DOCMDP", "DOCMDP_OK"),
    ]
    assert all(c.status is Status.PASSED for c in checks)
    assert summary.analysed and summary.level == "NONE"


def _signed_data(listed: list[str], used: str) -> tuple[Any, Any]:
    from asn1crypto import cms

    si = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": cms.Name.build({"common_name": "CA"}),
                        "serial_number": 1,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": used},
            "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
            "signature": b"\0" * 8,
        }
    )
    sd = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": a} for a in listed],
            "encap_content_info": {"content_type": "data"},
            "signer_infos": [si],
        }
    )
    return sd, si


def test_signed_data_must_list_the_signers_digest_algorithm() -> None:
    """digestAlgorithms is outside the signature (RFC 5652 5.1): a value contradicting the
    SignerInfo is an altered container, never a signature to pass."""
    sd, si = _signed_data(["sha384"], "sha256")
    by = _by_name(fc.format_checks(facts(signed_data=sd, signer_info=si), context(b""), vn_gov)[0])
    assert by["CONTENTS"].status is Status.FAILED
    assert by["CONTENTS"].sub_indication is SubIndication.FORMAT_FAILURE
    assert "sha256" in by["CONTENTS"].message_en


def test_listed_or_empty_digest_algorithms_are_well_formed() -> None:
    for listed in (["sha256"], ["sha1", "sha256"], []):
        sd, si = _signed_data(listed, "sha256")
        facts_ = facts(signed_data=sd, signer_info=si)
        by = _by_name(fc.format_checks(facts_, context(b""), vn_gov)[0])
        assert by["CONTENTS"].status is Status.PASSED, listed
