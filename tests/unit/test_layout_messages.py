"""The Vietnamese layout messages a clerk reads: no English words, examples marked as such.

A finding's Vietnamese message is the code's text, then what was expected and what was found
(``verifier.layout.messages.render``); those details are filled in by the rules, in English.
The fixed ones have a Vietnamese entry, the ones with numbers a pattern, and a detail with
neither and English words in it stays out of the Vietnamese message (the English one keeps it).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from decree30_documents import VARIANTS, build

from verifier.layout.check import LayoutOptions, check_layout
from verifier.layout.messages import DETAIL_VI, detail_vi, render
from verifier.layout.policy import default_layout_policy

RULES = Path(__file__).resolve().parents[2] / "verifier" / "layout"
#: English words a Vietnamese message must not contain (case-sensitive: Vietnamese words
#: written without diacritics in a document's quoted text are not checked)
ENGLISH = re.compile(
    r"\b(?:not found|found|expected|the|page|signature|signer|only|with|none|image|text|"
    r"between|top|right|left|number|upright|italic|spaces|empty|list|e\.g\.)\b"
)


def _literal_details() -> set[str]:
    """Every ``expected=``/``found=`` given as a plain string literal (or a module constant)
    in the rule modules."""
    out: set[str] = set()
    for path in sorted(RULES.glob("*_rules.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            t.id: n.value.value
            for n in tree.body
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
            for t in n.targets
            if isinstance(t, ast.Name) and isinstance(n.value.value, str)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg in ("expected", "found"):
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    out.add(node.value.value)
                elif isinstance(node.value, ast.Name) and node.value.id in constants:
                    out.add(constants[node.value.id])
    out.discard("")
    return out


def test_every_fixed_detail_has_vietnamese_without_english_words() -> None:
    details = _literal_details()
    assert "not found" in details and len(details) > 20  # the scan finds the rules' texts
    for text in details:
        vi = detail_vi(text)
        assert vi, f"no Vietnamese for the layout detail {text!r} (messages.DETAIL_VI)"
        assert not ENGLISH.search(vi), (text, vi)
    for vi in DETAIL_VI.values():
        assert not ENGLISH.search(vi), vi


def test_examples_read_as_examples() -> None:
    """`Sóc Trăng, ngày 05 tháng 3 năm 2022` is an example of the place-date line, not the
    required value: both messages say so."""
    examples = [t for t in _literal_details() if "Sóc Trăng" in t or "05/QĐ-UBND" in t]
    assert len(examples) >= 2
    for text in examples:
        assert "(e.g. " in text
        assert "(ví dụ: " in detail_vi(text)


def test_dynamic_english_detail_stays_out_of_the_vietnamese_message() -> None:
    en, vi = render(
        "ORGANISATION_SIGNATURE_OVERLAP",
        "the seal over the left third of the personal signature",
        "the seal is on page 2, the personal signature on page 1",
    )
    assert "the seal is on page 2" in en
    assert "page" not in vi and "thực tế" not in vi and vi
    _, vi = render("NUMBER_SYMBOL_NOT_PADDED", "05", "'5'")  # values and quoted text stay
    assert vi.endswith("cần có: 05; thực tế: '5'")


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_findings_of_every_variant_have_vietnamese_only(variant: str) -> None:
    report = check_layout(
        build(VARIANTS[variant]), default_layout_policy(), LayoutOptions(ocr=False)
    )
    for finding in report.findings:
        assert not ENGLISH.search(finding.message_vi), (finding.code, finding.message_vi)
