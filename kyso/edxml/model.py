"""An edXML message as plain data (QCVN 102:2016/BTTTT; ``docs/intake.md``).

Every text field is the element's text as sent, stripped; an element that is absent or empty is
``""`` (edxml.md §1.6: senders leave fields out, an empty ResponseFor is common). Dates stay as
written (``yyyy/MM/dd`` in every QCVN 102 file seen); :mod:`verifier.intake` interprets them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import IO

#: The one edXML namespace seen in every public producer up to 2025 (edxml.md §0, §1.1).
QCVN_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
#: The older SOAP-based e-doc family (edxml.md §0): recognised and refused.
EDOC_NS = "http://www.e-doc.vn/Schema/"
SOAP_NS = ("http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope")
XMLDSIG_NS = "http://www.w3.org/2000/09/xmldsig#"


class Family(enum.StrEnum):
    """What kind of message the bytes are."""

    DOCUMENT = "DOCUMENT"  # an edXML document message (MessageHeader with From, Code ...)
    STATUS = "STATUS"  # an edXML status (acknowledgement) message, edxml.md §2.2
    LEGACY_EDOC = "LEGACY_EDOC"  # the SOAP e-doc family (namespace e-doc.vn): refused
    REFUSED = "REFUSED"  # not readable as edXML at all (see Package.refusal)


class Refusal(enum.StrEnum):
    """Why a message was not read (each is a rule of the intake policy)."""

    NOT_XML = "PACKAGE_NOT_XML"
    ENTITIES = "PACKAGE_ENTITIES_REFUSED"
    EXTERNAL = "PACKAGE_EXTERNAL_REFERENCE_REFUSED"
    NOT_EDXML = "PACKAGE_NOT_EDXML"
    LEGACY_EDOC = "PACKAGE_LEGACY_EDOC"
    TOO_MANY_ATTACHMENTS = "PACKAGE_TOO_MANY_ATTACHMENTS"
    ATTACHMENT_TOO_LARGE = "ATTACHMENT_TOO_LARGE"


@dataclass
class Organisation:
    """From or To (edxml.md §1.3 1.1-1.2)."""

    organ_id: str = ""
    organization_in_charge: str = ""
    organ_name: str = ""
    address: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass
class TraceEntry:
    organ_id: str = ""
    timestamp: str = ""


@dataclass
class Header:
    """MessageHeader of a document message, plus TraceHeaderList/Bussiness (edxml.md §1.3-1.4)."""

    sender: Organisation = field(default_factory=Organisation)
    recipients: list[Organisation] = field(default_factory=list)
    code_number: str = ""
    code_notation: str = ""
    place: str = ""
    promulgation_date: str = ""
    document_type: str = ""
    type_detail: str = ""
    type_name: str = ""
    subject: str = ""
    content: str = ""
    signer_competence: str = ""
    signer_position: str = ""
    signer_full_name: str = ""
    due_date: str = ""
    to_places: list[str] = field(default_factory=list)
    priority: str = ""
    page_amount: str = ""
    steering_type: str = ""
    document_id: str = ""
    business_doc_type: str = ""  # 0 new, 1 revocation, 2 update, 3 replacement (as sent)
    business_doc_reason: str = ""
    business_document_id: str = ""  # the document revoked / updated / replaced
    trace: list[TraceEntry] = field(default_factory=list)
    present: set[str] = field(default_factory=set)  # MessageHeader children seen (local names)


@dataclass
class Status:
    """A status (acknowledgement) message's fields (edxml.md §2.2)."""

    code: str = ""
    description: str = ""
    timestamp: str = ""
    response_for_organ_id: str = ""
    response_for_code: str = ""
    response_for_document_id: str = ""


@dataclass
class Reference:
    """One ``edXMLManifest/Reference`` (edxml.md §1.5)."""

    content_id: str = ""
    content_type: str = ""
    description: str = ""
    attachment_name: str = ""


@dataclass
class Attachment:
    """One ``AttachmentEncoded/Attachment``, its content decoded from base64.

    ``data`` is a binary file positioned anywhere (a spooled temporary file: memory up to a
    threshold, then disk); ``size`` its length in bytes. After unpacking a single-entry ZIP,
    ``data`` holds the entry and ``unzipped`` is True. ``base64_error`` names a decoding fault.
    """

    content_id: str = ""
    attachment_name: str = ""
    description: str = ""
    content_type: str = ""
    data: IO[bytes] | None = None
    size: int = 0
    sha256: str = ""
    detected_type: str = ""
    unzipped: bool = False
    base64_error: str = ""
    zip_problem: str = ""


@dataclass
class PackageSignature:
    """What the header's ``Signature`` element says (information only, edxml.md §2.1)."""

    present: bool = False
    namespace: str = ""
    signature_method: str = ""
    digest_methods: list[str] = field(default_factory=list)
    subject_name: str = ""
    certificate_chars: int = 0


@dataclass
class Package:
    """Everything read from one message."""

    family: Family = Family.REFUSED
    refusal: Refusal | None = None
    refusal_detail: str = ""  # English, for logs and the report (no document content)
    lenient: bool = False  # read by the lenient retry (unbound edXML/xlink prefixes)
    leading_junk: int = 0  # bytes skipped before the XML declaration by the lenient retry
    header: Header = field(default_factory=Header)
    status: Status = field(default_factory=Status)
    references: list[Reference] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    signature: PackageSignature = field(default_factory=PackageSignature)
    size: int = 0
    sha256: str = ""

    def close(self) -> None:
        """Release the attachments' temporary files."""
        for a in self.attachments:
            if a.data is not None:
                a.data.close()


__all__ = [
    "EDOC_NS",
    "QCVN_NS",
    "SOAP_NS",
    "XMLDSIG_NS",
    "Attachment",
    "Family",
    "Header",
    "Organisation",
    "Package",
    "PackageSignature",
    "Reference",
    "Refusal",
    "Status",
    "TraceEntry",
]
