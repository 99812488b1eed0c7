"""The verifier's result model: plain data, independent of protobuf.

Names follow ETSI EN 319 102-1 (indications, sub-indications, building
blocks) so the report reads like DSS's and maps 1:1 onto ``verifier.proto``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from verifier.layout.model import LayoutReport


class Indication(enum.Enum):
    TOTAL_PASSED = "TOTAL_PASSED"
    TOTAL_FAILED = "TOTAL_FAILED"
    INDETERMINATE = "INDETERMINATE"
    NO_SIGNATURE_FOUND = "NO_SIGNATURE_FOUND"


class SubIndication(enum.Enum):
    NONE = "NONE"
    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    CERTIFICATE_CHAIN_GENERAL_FAILURE = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    POLICY_PROCESSING_ERROR = "POLICY_PROCESSING_ERROR"
    TIMESTAMP_ORDER_FAILURE = "TIMESTAMP_ORDER_FAILURE"
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    REVOKED_NO_POE = "REVOKED_NO_POE"
    REVOKED_CA_NO_POE = "REVOKED_CA_NO_POE"
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    OUT_OF_BOUNDS_NOT_REVOKED = "OUT_OF_BOUNDS_NOT_REVOKED"
    CRYPTO_CONSTRAINTS_FAILURE_NO_POE = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
    NO_POE = "NO_POE"
    TRY_LATER = "TRY_LATER"
    SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"
    GENERIC = "GENERIC"


class Status(enum.Enum):
    """A single check's outcome after the policy level was applied."""

    PASSED = "PASSED"
    FAILED = "FAILED"
    WARNING = "WARNING"
    INDETERMINATE = "INDETERMINATE"
    INFORMATION = "INFORMATION"
    SKIPPED = "SKIPPED"


class Level(enum.Enum):
    """How much a constraint matters (DSS's constraint levels)."""

    FAIL = "FAIL"
    WARN = "WARN"
    INFORM = "INFORM"
    IGNORE = "IGNORE"


class Outcome(enum.Enum):
    """What a check found, before the policy says how much it matters."""

    OK = "OK"
    NOT_OK = "NOT_OK"  # the constraint is violated
    UNKNOWN = "UNKNOWN"  # it could not be established


class Kind(enum.Enum):
    SIGNATURE = "SIGNATURE"
    DOCUMENT_TIMESTAMP = "DOCUMENT_TIMESTAMP"


class TimeSource(enum.Enum):
    NONE = "NONE"
    SIGNATURE_TIMESTAMP = "SIGNATURE_TIMESTAMP"
    CLAIMED = "CLAIMED"
    TIMESTAMP_TOKEN = "TIMESTAMP_TOKEN"  # noqa: S105 - an enum name, not a secret


class RevocationSource(enum.Enum):
    NONE = "NONE"
    EMBEDDED = "EMBEDDED"
    OCSP = "OCSP"
    CRL = "CRL"


class RevocationStatus(enum.Enum):
    UNKNOWN = "UNKNOWN"
    GOOD = "GOOD"
    REVOKED = "REVOKED"
    NOT_CHECKED = "NOT_CHECKED"


@dataclass
class Message:
    code: str
    message_en: str
    message_vi: str


@dataclass
class CheckResult:
    name: str
    block: str  # EN 319 102-1 building block
    status: Status
    level: Level
    code: str
    message_en: str
    message_vi: str
    # The effect on the signature's indication; None when the check does not lower it.
    indication: Indication | None = None
    sub_indication: SubIndication = SubIndication.NONE


@dataclass
class CertificateSummary:
    subject: str = ""
    common_name: str = ""
    organisation: str = ""
    serial_hex: str = ""
    issuer: str = ""
    issuer_common_name: str = ""
    issuer_organisation: str = ""
    not_before: datetime | None = None
    not_after: datetime | None = None
    sha256: str = ""
    public_key: str = ""


@dataclass
class RevocationSummary:
    status: RevocationStatus = RevocationStatus.NOT_CHECKED
    source: RevocationSource = RevocationSource.NONE
    produced_at: datetime | None = None
    revocation_time: datetime | None = None
    reason: str = ""


class TimestampKind(enum.Enum):
    """What a timestamp token is to the signature it belongs to (EN 319 122-1 5.2.8, 5.3)."""

    SIGNATURE_TIMESTAMP = "SIGNATURE_TIMESTAMP"  # unsigned attribute over the signature value
    CONTENT_TIMESTAMP = "CONTENT_TIMESTAMP"  # signed attribute over the signed content
    DOCUMENT_TIMESTAMP = "DOCUMENT_TIMESTAMP"  # a /DocTimeStamp of its own


@dataclass
class TimestampSummary:
    time: datetime | None = None
    tsa: str = ""
    indication: Indication = Indication.INDETERMINATE
    sub_indication: SubIndication = SubIndication.NONE
    digest_algorithm: str = ""
    kind: TimestampKind = TimestampKind.SIGNATURE_TIMESTAMP
    #: Why it is not TOTAL_PASSED (empty when it is), English and Vietnamese.
    reason_en: str = ""
    reason_vi: str = ""
    used_as_poe: bool = False  # this token's time is the signature's proof of existence


@dataclass
class ChangeEntry:
    kind: str
    description_en: str
    description_vi: str
    revision: int = 0
    objects: tuple[str, ...] = ()  # "number generation"
    page: int = 0  # 1-based; 0: on no page
    level: str = ""


@dataclass
class VisualEntry:
    """A region of a page that looks different now than when signed (points, user space)."""

    page: int
    rect: tuple[float, float, float, float]
    over_content: bool
    description_en: str
    description_vi: str


@dataclass
class ChangesSummary:
    analysed: bool = False
    level: str = ""
    changes: list[ChangeEntry] = field(default_factory=list)
    docmdp_violated: bool = False
    summary_en: str = ""
    summary_vi: str = ""
    visually_compared: bool = False
    compared_pages: list[int] = field(default_factory=list)
    visual_differences: list[VisualEntry] = field(default_factory=list)


@dataclass
class SignatureSummaryVi:
    """The fields Circular 15/2025/TT-BKHCN requires a verifier to show, in Vietnamese."""

    issuing_ca: str
    signer: str
    managing_unit: str
    signing_time: str
    integrity: str
    validity_at_signing_time: str
    certificate_validity_period: str
    result: str

    def lines(self, kind: Kind) -> list[str]:
        who = "Đơn vị cấp dấu thời gian" if kind is Kind.DOCUMENT_TIMESTAMP else "Người ký"
        return [
            f"Kết quả: {self.result}",
            f"{who}: {self.signer}",
            f"Đơn vị quản lý chứng thư số: {self.managing_unit}",
            f"Tổ chức cung cấp dịch vụ chứng thực (CA cấp chứng thư): {self.issuing_ca}",
            f"Thời điểm ký: {self.signing_time}",
            f"Tính toàn vẹn: {self.integrity}",
            f"Hiệu lực của chứng thư số tại thời điểm ký: {self.validity_at_signing_time}",
            f"Thời hạn hiệu lực của chứng thư số: {self.certificate_validity_period}",
        ]


@dataclass
class SignatureResult:
    """Everything kyso established about one signature or document timestamp."""

    index: int
    kind: Kind
    field_name: str = ""
    sub_filter: str = ""
    indication: Indication = Indication.INDETERMINATE
    sub_indication: SubIndication = SubIndication.NONE
    checks: list[CheckResult] = field(default_factory=list)
    certificate: CertificateSummary | None = None
    signing_time: datetime | None = None
    signing_time_source: TimeSource = TimeSource.NONE
    claimed_signing_time: datetime | None = None
    timestamp: TimestampSummary | None = None  # the best signature timestamp (or the first)
    #: Every signature and content timestamp of the signature, in the order of the CMS.
    timestamps: list[TimestampSummary] = field(default_factory=list)
    revocation: RevocationSummary = field(default_factory=RevocationSummary)
    trust_anchor_subject: str = ""
    trust_anchor_sha256: str = ""
    changes: ChangesSummary = field(default_factory=ChangesSummary)
    warnings: list[Message] = field(default_factory=list)
    digest_algorithm: str = ""
    signature_algorithm: str = ""
    revision: int = -1
    covers_whole_document: bool = False
    summary_vi: SignatureSummaryVi | None = None  # computed once, after aggregation
    #: Decree 30 role of the signer: "personal" (the competent person), "organisation" (the
    #: agency's seal) or "unknown"; from the certificate (kyso.layout.signature_fields.classify).
    signer_role: str = ""
    signer_role_evidence: str = ""

    def check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)


@dataclass
class DocumentResult:
    indication: Indication
    sub_indication: SubIndication
    signatures: list[SignatureResult]
    policy: str
    validation_time: datetime
    document_sha256: str
    revisions: int = 0
    warnings: list[Message] = field(default_factory=list)
    trust_store_version: int = 0
    elapsed_ms: float = 0.0
    summary_vi: str = ""  # the whole report in Vietnamese, computed once after aggregation
    conclusion_vi: str = ""
    layout: LayoutReport | None = None  # Decree 30/2020 layout; never changes the indication
    file_name: str = ""  # the caller's base name of the file, sanitised; "" when not given
