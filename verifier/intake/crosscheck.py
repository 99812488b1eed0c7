"""Cross-check of the package header against the main document (edxml.md §3).

Each comparison is a :class:`CrossCheck` (field, header value, document value, where in the
document, match level); a mismatch, or a value the document does not show, raises the finding
the policy names for it (rule ids ``XC_*``, severities in ``intake-policy.json``). A match
found only without diacritics raises ``XC_MATCH_WITHOUT_DIACRITICS`` ("khớp khi bỏ dấu").

* number and symbol -- CodeNumber/CodeNotation against the "Số:" line (leading zeros ignored);
* promulgation date -- against the date line, and the day of the organisation signature's
  signing time in +07:00 (Vietnam has no daylight saving);
* place -- against the place before ", ngày";
* issuing body -- From/OrganName against the header block and the organisation (seal)
  certificate's CN/O;
* signer -- SignerInfo/FullName against the personal certificate's CN and the signer block;
  Competence and Position against the signer block's title lines.
"""

from __future__ import annotations

import re
from datetime import date, timedelta, timezone

from kyso.edxml.model import Header
from verifier.intake.matching import compare, compare_number, contains
from verifier.intake.model import (
    AttachmentEvidence,
    CrossCheck,
    DocumentElements,
    Finding,
    MatchLevel,
    SignatureEvidence,
)
from verifier.intake.policy import IntakePolicy

VN_TIME = timezone(timedelta(hours=7), "+07:00")
_HEADER_DATE = re.compile(r"^\s*(\d{4})[/-](\d{1,2})[/-](\d{1,2})\s*$")
_HEADER_DATE_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")  # the e-doc era's form
_WEAK = (MatchLevel.WITHOUT_DIACRITICS,)


def header_date(text: str) -> date | None:
    """PromulgationDate as a date (``yyyy/MM/dd``; ``dd/MM/yyyy`` accepted), None if not one."""
    try:
        if m := _HEADER_DATE.match(text):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _HEADER_DATE_DMY.match(text):
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None
    return None


def best(*levels: MatchLevel) -> MatchLevel:
    order = list(MatchLevel)
    found = [lv for lv in levels if lv is not MatchLevel.NOT_COMPARED]
    return min(found, key=order.index) if found else MatchLevel.NOT_COMPARED


def pick_signatures(
    sigs: list[SignatureEvidence], header: Header
) -> tuple[SignatureEvidence | None, SignatureEvidence | None]:
    """(personal, organisation): Decree 30 signs personal first, the organisation last; a lone
    signature is the organisation's when its certificate names the sending body."""
    if not sigs:
        return None, None
    if len(sigs) >= 2:
        return sigs[0], sigs[-1]
    only = sigs[0]
    org = header.sender.organ_name
    if org and best(compare(org, only.common_name), compare(org, only.organisation)) in (
        MatchLevel.EXACT,
        MatchLevel.NORMALISED,
        MatchLevel.WITHOUT_DIACRITICS,
    ):
        return None, only
    return only, None


class _Checks:
    def __init__(self, policy: IntakePolicy, attachment: int) -> None:
        self.policy = policy
        self.attachment = attachment
        self.checks: list[CrossCheck] = []
        self.findings: list[Finding] = []

    def add(
        self,
        field: str,
        header: str,
        document: str,
        source: str,
        level: MatchLevel,
        *,
        mismatch: str,
        not_found: str | None = None,
    ) -> None:
        rule = ""
        if level is MatchLevel.MISMATCH:
            rule = mismatch
        elif level is MatchLevel.NOT_FOUND and not_found:
            rule = not_found
        elif level in _WEAK:
            rule = "XC_MATCH_WITHOUT_DIACRITICS"
        self.checks.append(
            CrossCheck(field, header, document, source, level, self.attachment, rule)
        )
        if rule:
            self.findings.append(
                self.policy.finding(
                    rule, header=header, document=document, field=field, attachment=self.attachment
                )
            )


def cross_check(
    header: Header,
    elements: DocumentElements,
    evidence: AttachmentEvidence,
    policy: IntakePolicy,
    attachment: int,
) -> tuple[list[CrossCheck], list[Finding]]:
    """Compare ``header`` with the main document; returns the comparisons and findings."""
    c = _Checks(policy, attachment)
    personal, organisation = pick_signatures(evidence.signatures, header)
    # number and symbol
    wanted = "/".join(p for p in (header.code_number, header.code_notation) if p)
    if wanted:
        if elements.number_line:
            level = compare_number(
                header.code_number, header.code_notation, elements.number, elements.notation
            )
            shown = f"{elements.number}/{elements.notation}"
        else:
            level, shown = MatchLevel.NOT_FOUND, ""
        c.add(
            "number", wanted, shown, "Số line", level,
            mismatch="XC_NUMBER_MISMATCH", not_found="XC_NUMBER_NOT_FOUND",
        )  # fmt: skip
    # date
    when = header_date(header.promulgation_date)
    if when is not None:
        if elements.date is not None:
            level = MatchLevel.EXACT if elements.date == when else MatchLevel.MISMATCH
            shown = elements.date.strftime("%Y/%m/%d")
        else:
            level, shown = MatchLevel.NOT_FOUND, ""
        c.add(
            "date", header.promulgation_date, shown, "date line", level,
            mismatch="XC_DATE_MISMATCH", not_found="XC_DATE_NOT_FOUND",
        )  # fmt: skip
        if organisation is not None and organisation.signing_time is not None:
            day = organisation.signing_time.astimezone(VN_TIME).date()
            c.add(
                "signing_time", header.promulgation_date, day.strftime("%Y/%m/%d"),
                "organisation signature's signing time (+07:00)",
                MatchLevel.EXACT if day == when else MatchLevel.MISMATCH,
                mismatch="XC_DATE_SIGNING_TIME",
            )  # fmt: skip
    # place
    if header.place and elements.place:
        c.add(
            "place", header.place, elements.place, "date line",
            compare(header.place, elements.place), mismatch="XC_PLACE_MISMATCH",
        )  # fmt: skip
    # issuing body
    org = header.sender.organ_name
    if org:
        if elements.issuer:
            level = best(
                compare(org, elements.issuer),
                contains(elements.issuer, org),
                contains(org, elements.issuer),
            )
            c.add(
                "issuer", org, elements.issuer, "header block", level,
                mismatch="XC_ISSUER_MISMATCH",
            )  # fmt: skip
        if organisation is not None:
            level = best(
                compare(org, organisation.common_name),
                compare(org, organisation.organisation),
                contains(organisation.common_name, org),
            )
            c.add(
                "issuer_certificate", org, organisation.common_name or organisation.organisation,
                "organisation certificate", level, mismatch="XC_ISSUER_CERTIFICATE_MISMATCH",
            )  # fmt: skip
    # signer
    name = header.signer_full_name
    if name:
        if personal is not None:
            c.add(
                "signer_certificate", name, personal.common_name, "personal certificate",
                compare(name, personal.common_name), mismatch="XC_SIGNER_MISMATCH",
            )  # fmt: skip
        in_block = best(*(contains(line, name) for line in elements.signer_lines))
        if in_block in (MatchLevel.MISMATCH, MatchLevel.NOT_COMPARED):
            in_block = MatchLevel.MISMATCH if elements.signer_name else MatchLevel.NOT_FOUND
        c.add(
            "signer", name, elements.signer_name if in_block is MatchLevel.MISMATCH else name,
            "signer block", in_block,
            mismatch="XC_SIGNER_MISMATCH", not_found="XC_SIGNER_NOT_FOUND",
        )  # fmt: skip
    titles = " / ".join(elements.signer_lines)
    for fld, value in (
        ("competence", header.signer_competence),
        ("position", header.signer_position),
    ):
        if value and elements.signer_lines:
            level = best(*(compare(value, line) for line in elements.signer_lines))
            if level in (MatchLevel.MISMATCH, MatchLevel.NOT_COMPARED):
                level = best(*(contains(line, value) for line in elements.signer_lines))
            c.add(fld, value, titles, "signer block", level, mismatch="XC_POSITION_MISMATCH")
    return c.checks, c.findings


def cross_check_attachment(
    header: Header, elements: DocumentElements, policy: IntakePolicy, attachment: int
) -> tuple[list[CrossCheck], list[Finding]]:
    """A separate attachment: its number and symbol (the "Số:" line, or the text of the
    organisation's attachment signature, Decree 30/2020 Appendix I) against the header's.
    An attachment that shows none is only recorded (NOT_FOUND): appendices often carry none."""
    c = _Checks(policy, attachment)
    wanted = "/".join(p for p in (header.code_number, header.code_notation) if p)
    if wanted:
        if elements.number_line:
            level = compare_number(
                header.code_number, header.code_notation, elements.number, elements.notation
            )
            shown = f"{elements.number}/{elements.notation}"
        else:
            level, shown = MatchLevel.NOT_FOUND, ""
        c.add(
            "attachment_number", wanted, shown, "Số line or attachment signature text", level,
            mismatch="XC_ATTACHMENT_NUMBER_MISMATCH",
        )  # fmt: skip
    return c.checks, c.findings


__all__ = [
    "VN_TIME",
    "best",
    "cross_check",
    "cross_check_attachment",
    "header_date",
    "pick_signatures",
]
