"""The intake policy: each rule's severity and texts, and the conclusion each severity leads to.

Data, not code (``intake-policy.json`` beside this module, or ``[intake] policy_file``): a
records office changes what returns a package by editing the file. Every rule the intake can
raise must be in it (checked when the policy is loaded: a missing rule or an unknown severity
refuses the file with ``CONFIG_INVALID``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kyso.errors import InvalidInput
from verifier.intake.model import Conclusion, Finding, Severity

SHIPPED = Path(__file__).with_name("intake-policy.json")

#: Every rule id the intake raises (the policy file must define each).
RULES = (
    "PACKAGE_NOT_XML",
    "PACKAGE_ENTITIES_REFUSED",
    "PACKAGE_EXTERNAL_REFERENCE_REFUSED",
    "PACKAGE_NOT_EDXML",
    "PACKAGE_LEGACY_EDOC",
    "PACKAGE_TOO_MANY_ATTACHMENTS",
    "ATTACHMENT_TOO_LARGE",
    "PACKAGE_LENIENT_PARSE",
    "PACKAGE_STATUS_MESSAGE",
    "BUSINESS_REVOCATION",
    "BUSINESS_UPDATE",
    "BUSINESS_REPLACEMENT",
    "BUSINESS_TYPE_UNKNOWN",
    "PACKAGE_SIGNATURE_INFORMATION",
    "HEADER_FIELD_MISSING",
    "HEADER_DATE_INVALID",
    "NO_ATTACHMENT",
    "ATTACHMENT_MISSING",
    "ATTACHMENT_NOT_IN_MANIFEST",
    "ATTACHMENT_BASE64_INVALID",
    "ATTACHMENT_ZIP_INVALID",
    "ATTACHMENT_UNZIPPED",
    "ATTACHMENT_TYPE_MISMATCH",
    "ATTACHMENT_NOT_PDF",
    "ATTACHMENT_DAMAGED_IN_TRANSIT",
    "DOCUMENT_UNREADABLE",
    "DOCUMENT_SIGNATURE_FAILED",
    "DOCUMENT_SIGNATURE_INDETERMINATE",
    "MAIN_DOCUMENT_UNSIGNED",
    "ATTACHMENT_UNSIGNED",
    "NO_ORGANISATION_SIGNATURE",
    "XC_NUMBER_MISMATCH",
    "XC_NUMBER_NOT_FOUND",
    "XC_ATTACHMENT_NUMBER_MISMATCH",
    "XC_DATE_MISMATCH",
    "XC_DATE_NOT_FOUND",
    "XC_DATE_SIGNING_TIME",
    "XC_PLACE_MISMATCH",
    "XC_ISSUER_MISMATCH",
    "XC_ISSUER_CERTIFICATE_MISMATCH",
    "XC_SIGNER_MISMATCH",
    "XC_SIGNER_NOT_FOUND",
    "XC_POSITION_MISMATCH",
    "XC_MATCH_WITHOUT_DIACRITICS",
)


@dataclass(frozen=True)
class Rule:
    severity: Severity
    en: str
    vi: str


@dataclass(frozen=True)
class ConclusionText:
    status_code: str
    en: str
    vi: str


@dataclass(frozen=True)
class IntakePolicy:
    name: str
    rules: dict[str, Rule]
    by_severity: dict[Severity, Conclusion]
    texts: dict[Conclusion, ConclusionText]

    def finding(
        self,
        rule: str,
        *,
        detail: str = "",
        header: str = "",
        document: str = "",
        field: str = "",
        attachment: int = -1,
    ) -> Finding:
        """The finding of ``rule`` with its texts filled (values cut to 200 characters)."""
        r = self.rules[rule]
        values = {
            "detail": detail[:200],
            "header": header[:200],
            "document": document[:200],
            "field": field,
        }
        return Finding(
            rule=rule,
            severity=r.severity,
            message_en=r.en.format(**values),
            message_vi=r.vi.format(**values),
            header_value=header[:200],
            document_value=document[:200],
            attachment=attachment,
        )

    def conclude(self, findings: list[Finding]) -> Conclusion:
        """The strongest conclusion any finding's severity leads to (ACCEPT without findings)."""
        order = list(Conclusion)
        worst = Conclusion.ACCEPT
        for f in findings:
            c = self.by_severity[f.severity]
            if order.index(c) > order.index(worst):
                worst = c
        return worst


def _refuse(path: Path, problem: str) -> InvalidInput:
    return InvalidInput("CONFIG_INVALID", problem=f"intake policy {path.name}: {problem}")


def load_policy(path: Path | None = None) -> IntakePolicy:
    """Read and check the policy file (default: the shipped one).

    Raises :class:`kyso.errors.InvalidInput` (``CONFIG_INVALID``) naming the problem.
    """
    path = path or SHIPPED
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        rules = {
            rid: Rule(Severity(r["severity"]), str(r["en"]), str(r["vi"]))
            for rid, r in data["rules"].items()
        }
        by_severity = {Severity(k): Conclusion(v) for k, v in data["conclusions"].items()}
        texts = {
            Conclusion(k): ConclusionText(str(v["status_code"]), str(v["en"]), str(v["vi"]))
            for k, v in data["conclusion_texts"].items()
        }
        name = str(data["name"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _refuse(path, f"{type(exc).__name__}: {exc}"[:200]) from None
    missing = [r for r in RULES if r not in rules]
    if missing or set(by_severity) != set(Severity) or set(texts) != set(Conclusion):
        raise _refuse(path, f"missing rules or severities: {missing[:5]}")
    return IntakePolicy(name, rules, by_severity, texts)


__all__ = ["RULES", "IntakePolicy", "load_policy"]
