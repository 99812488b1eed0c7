"""The layout rules over the real government documents (issue 10 §5; docs/layout.md records
each finding and its reason). An issued document never gets a FAIL for an element it visibly
has; the deviations it really has are found, with their evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from kyso.layout import ocr
from verifier.layout.check import LayoutOptions, check_layout
from verifier.layout.model import LayoutStatus
from verifier.layout.policy import default_layout_policy
from verifier.model import Level

OPTIONS = LayoutOptions(ocr=True, ocr_budget_seconds=120)
TEXT_RULES = {"NATIONAL_TITLE", "MOTTO", "ISSUER_NAME", "NUMBER_SYMBOL", "PLACE_DATE"}

#: file → (kind, codes of the WARN findings, rules that must hold)
EXPECTED: dict[str, tuple[str, set[str], set[str]]] = {
    "49-2026-ND-CP.pdf": (
        "main",
        {"PERSONAL_SIGNATURE_COMBINED"},
        TEXT_RULES | {"SIGNER_BLOCK", "RECIPIENTS", "ORGANISATION_SIGNATURE"},
    ),
    "50-2026-ND-CP.pdf": (
        "main",
        set(),
        TEXT_RULES | {"SIGNER_BLOCK", "RECIPIENTS", "PERSONAL_SIGNATURE", "SIGNATURE_ORDER"},
    ),
    "BC884-UBVHXH15-3sig.pdf": (
        "main",
        {"RECIPIENTS_ARCHIVE_NOT_VT"},
        TEXT_RULES | {"SIGNER_BLOCK", "PERSONAL_SIGNATURE", "ORGANISATION_SIGNATURE"},
    ),
    "QD2179-BKHCN-6sig.pdf": (
        "main",
        set(),
        TEXT_RULES | {"SIGNER_BLOCK", "RECIPIENTS", "PERSONAL_SIGNATURE", "SIGNATURE_ORDER"},
    ),
    "199-ndcp.signed.pdf": (
        "copy",
        {"SIGNER_BLOCK_MISSING", "COPY_FORM_NOT_STATED", "COPY_FORM_TEXT"},
        TEXT_RULES | {"PAGE_SIZE"},
    ),
    "970-ttg.signed.pdf": (
        "copy",
        {"SIGNER_BLOCK_MISSING", "COPY_FORM_NOT_STATED", "COPY_FORM_TEXT"},
        TEXT_RULES | {"PAGE_SIZE", "RECIPIENTS"},
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_documents(corpus_dir: Path, name: str) -> None:
    kind, warnings, holding = EXPECTED[name]
    data = (corpus_dir / "vn-gov-vgca" / name).read_bytes()
    if kind == "copy" and not ocr.available():
        pytest.skip("a scanned document: tesseract with the Vietnamese model is missing")
    report = check_layout(data, default_layout_policy(), OPTIONS)
    fails = [f for f in report.findings if f.severity is Level.FAIL]
    assert not fails, fails
    assert report.status is not LayoutStatus.FAILED
    assert report.document_kind.value == kind, report.kind_evidence
    warned = {f.code for f in report.findings if f.severity is Level.WARN}
    # a slow machine may run out of OCR budget: that is said (TEXT_LAYER_MISSING), not guessed
    assert warned - {"TEXT_LAYER_MISSING"} == warnings, report.findings
    assert holding <= set(report.passed), report.findings
    measured = [f for f in report.findings if f.code == "ORGANISATION_SIGNATURE_MEASURED"]
    if "PERSONAL_SIGNATURE" in holding and "ORGANISATION_SIGNATURE" in report.passed:
        assert measured and "overlap ratio 0." in measured[0].found
