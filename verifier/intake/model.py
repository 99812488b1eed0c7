"""The intake's results as plain data (docs/intake.md); ``kyso.server`` turns them into protobuf.

What the intake needs from each verified attachment is :class:`AttachmentEvidence`: the
verifier's report reduced to the facts the cross-check reads (signatures, their certificates'
names, times) plus the text lines of the pages, so the intake does not care how (or in which
process) the attachment was verified.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from kyso.edxml.model import Package


class Severity(enum.StrEnum):
    FAIL = "FAIL"  # the package goes back to the sender
    WARN = "WARN"  # accepted, with something for the clerk to look at
    INFO = "INFO"  # said, changes nothing


class Conclusion(enum.StrEnum):
    ACCEPT = "ACCEPT"
    ACCEPT_WITH_WARNINGS = "ACCEPT_WITH_WARNINGS"
    RETURN_TO_SENDER = "RETURN_TO_SENDER"


class MatchLevel(enum.StrEnum):
    """How a header value matched the document (strongest first)."""

    EXACT = "EXACT"
    NORMALISED = "NORMALISED"  # NFC, case, spacing, leading zeros, tone placement, hyphens
    WITHOUT_DIACRITICS = "WITHOUT_DIACRITICS"  # "khớp khi bỏ dấu": weaker, always reported
    MISMATCH = "MISMATCH"
    NOT_FOUND = "NOT_FOUND"  # the document shows no such element
    NOT_COMPARED = "NOT_COMPARED"  # the header has no value, or nothing to compare with


@dataclass
class Finding:
    """One rule that fired: id, severity from the policy, texts, values compared."""

    rule: str
    severity: Severity
    message_en: str
    message_vi: str
    header_value: str = ""
    document_value: str = ""
    attachment: int = -1  # index into the attachments, -1: the package


@dataclass
class CrossCheck:
    """One comparison of a header field with the document (edxml.md §3)."""

    field: str  # e.g. "number", "date", "signing_time", "issuer", "signer"
    header_value: str
    document_value: str
    source: str  # where in the document: "Số line", "date line", "organisation certificate"...
    level: MatchLevel
    attachment: int = -1
    rule: str = ""  # the finding it raised, if any


@dataclass
class SignatureEvidence:
    """One signature (not a document timestamp) of an attachment, as the verifier reported."""

    index: int
    indication: str  # TOTAL_PASSED, TOTAL_FAILED, INDETERMINATE
    sub_indication: str
    common_name: str
    organisation: str
    signing_time: datetime | None
    conclusion_en: str = ""


@dataclass
class DocumentElements:
    """The Decree 30/2020 elements read from a document (verifier.intake.document_text)."""

    number: str = ""
    notation: str = ""
    number_line: str = ""
    place: str = ""
    date: date | None = None
    date_line: str = ""
    issuer: str = ""  # the issuing-body element's lines, joined
    signer_lines: tuple[str, ...] = ()  # the signer block's title lines and name line
    signer_name: str = ""  # the block's name line
    error: str = ""  # why the pages could not be read


@dataclass
class AttachmentEvidence:
    """What verification said about one PDF attachment."""

    indication: str  # the document's: TOTAL_PASSED, TOTAL_FAILED, INDETERMINATE, NO_SIGNATURE
    sub_indication: str = ""
    signatures: list[SignatureEvidence] = field(default_factory=list)
    elements: DocumentElements | None = None  # read for the main document only
    error_code: str = ""  # the verifier refused the file (NOT_A_PDF, DOCUMENT_ENCRYPTED...)


@dataclass
class AttachmentOutcome:
    index: int
    main_document: bool
    verified: bool
    evidence: AttachmentEvidence | None


@dataclass
class IntakeResult:
    """The intake report's content, without the per-attachment validation reports."""

    package: Package
    findings: list[Finding] = field(default_factory=list)
    cross_checks: list[CrossCheck] = field(default_factory=list)
    conclusion: Conclusion = Conclusion.ACCEPT
    conclusion_en: str = ""
    conclusion_vi: str = ""
    status_code: str = ""  # the edXML StatusCode the document system would send back
    status_description_vi: str = ""  # text fit for that status message's Description
    policy: str = ""


__all__ = [
    "AttachmentEvidence",
    "AttachmentOutcome",
    "Conclusion",
    "CrossCheck",
    "DocumentElements",
    "Finding",
    "IntakeResult",
    "MatchLevel",
    "Severity",
    "SignatureEvidence",
]
