import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from kyso_client.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class HumanReportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HUMAN_REPORT_NONE: _ClassVar[HumanReportFormat]
    HUMAN_REPORT_HTML: _ClassVar[HumanReportFormat]
    HUMAN_REPORT_PDF: _ClassVar[HumanReportFormat]

class Indication(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INDICATION_UNSPECIFIED: _ClassVar[Indication]
    INDICATION_TOTAL_PASSED: _ClassVar[Indication]
    INDICATION_TOTAL_FAILED: _ClassVar[Indication]
    INDICATION_INDETERMINATE: _ClassVar[Indication]
    INDICATION_NO_SIGNATURE_FOUND: _ClassVar[Indication]

class SubIndication(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUB_INDICATION_NONE: _ClassVar[SubIndication]
    SUB_INDICATION_FORMAT_FAILURE: _ClassVar[SubIndication]
    SUB_INDICATION_HASH_FAILURE: _ClassVar[SubIndication]
    SUB_INDICATION_SIG_CRYPTO_FAILURE: _ClassVar[SubIndication]
    SUB_INDICATION_REVOKED: _ClassVar[SubIndication]
    SUB_INDICATION_EXPIRED: _ClassVar[SubIndication]
    SUB_INDICATION_NOT_YET_VALID: _ClassVar[SubIndication]
    SUB_INDICATION_SIG_CONSTRAINTS_FAILURE: _ClassVar[SubIndication]
    SUB_INDICATION_CHAIN_CONSTRAINTS_FAILURE: _ClassVar[SubIndication]
    SUB_INDICATION_CERTIFICATE_CHAIN_GENERAL_FAILURE: _ClassVar[SubIndication]
    SUB_INDICATION_CRYPTO_CONSTRAINTS_FAILURE: _ClassVar[SubIndication]
    SUB_INDICATION_POLICY_PROCESSING_ERROR: _ClassVar[SubIndication]
    SUB_INDICATION_TIMESTAMP_ORDER_FAILURE: _ClassVar[SubIndication]
    SUB_INDICATION_NO_SIGNING_CERTIFICATE_FOUND: _ClassVar[SubIndication]
    SUB_INDICATION_NO_CERTIFICATE_CHAIN_FOUND: _ClassVar[SubIndication]
    SUB_INDICATION_REVOKED_NO_POE: _ClassVar[SubIndication]
    SUB_INDICATION_REVOKED_CA_NO_POE: _ClassVar[SubIndication]
    SUB_INDICATION_OUT_OF_BOUNDS_NO_POE: _ClassVar[SubIndication]
    SUB_INDICATION_OUT_OF_BOUNDS_NOT_REVOKED: _ClassVar[SubIndication]
    SUB_INDICATION_CRYPTO_CONSTRAINTS_FAILURE_NO_POE: _ClassVar[SubIndication]
    SUB_INDICATION_NO_POE: _ClassVar[SubIndication]
    SUB_INDICATION_TRY_LATER: _ClassVar[SubIndication]
    SUB_INDICATION_SIGNED_DATA_NOT_FOUND: _ClassVar[SubIndication]
    SUB_INDICATION_GENERIC: _ClassVar[SubIndication]

class CheckStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHECK_STATUS_UNSPECIFIED: _ClassVar[CheckStatus]
    CHECK_PASSED: _ClassVar[CheckStatus]
    CHECK_FAILED: _ClassVar[CheckStatus]
    CHECK_WARNING: _ClassVar[CheckStatus]
    CHECK_INDETERMINATE: _ClassVar[CheckStatus]
    CHECK_INFORMATION: _ClassVar[CheckStatus]
    CHECK_SKIPPED: _ClassVar[CheckStatus]

class ConstraintLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONSTRAINT_LEVEL_UNSPECIFIED: _ClassVar[ConstraintLevel]
    LEVEL_FAIL: _ClassVar[ConstraintLevel]
    LEVEL_WARN: _ClassVar[ConstraintLevel]
    LEVEL_INFORM: _ClassVar[ConstraintLevel]
    LEVEL_IGNORE: _ClassVar[ConstraintLevel]

class SignatureKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNATURE_KIND_UNSPECIFIED: _ClassVar[SignatureKind]
    SIGNATURE_KIND_SIGNATURE: _ClassVar[SignatureKind]
    SIGNATURE_KIND_DOCUMENT_TIMESTAMP: _ClassVar[SignatureKind]

class SigningTimeSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNING_TIME_SOURCE_NONE: _ClassVar[SigningTimeSource]
    SIGNING_TIME_SOURCE_SIGNATURE_TIMESTAMP: _ClassVar[SigningTimeSource]
    SIGNING_TIME_SOURCE_CLAIMED: _ClassVar[SigningTimeSource]
    SIGNING_TIME_SOURCE_TIMESTAMP_TOKEN: _ClassVar[SigningTimeSource]

class RevocationDataSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVOCATION_DATA_SOURCE_NONE: _ClassVar[RevocationDataSource]
    REVOCATION_DATA_SOURCE_EMBEDDED: _ClassVar[RevocationDataSource]
    REVOCATION_DATA_SOURCE_OCSP: _ClassVar[RevocationDataSource]
    REVOCATION_DATA_SOURCE_CRL: _ClassVar[RevocationDataSource]

class RevocationResultStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVOCATION_RESULT_UNKNOWN: _ClassVar[RevocationResultStatus]
    REVOCATION_RESULT_GOOD: _ClassVar[RevocationResultStatus]
    REVOCATION_RESULT_REVOKED: _ClassVar[RevocationResultStatus]
    REVOCATION_RESULT_NOT_CHECKED: _ClassVar[RevocationResultStatus]

class TimestampKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIMESTAMP_KIND_UNSPECIFIED: _ClassVar[TimestampKind]
    TIMESTAMP_KIND_SIGNATURE: _ClassVar[TimestampKind]
    TIMESTAMP_KIND_CONTENT: _ClassVar[TimestampKind]
    TIMESTAMP_KIND_DOCUMENT: _ClassVar[TimestampKind]

class LayoutStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LAYOUT_STATUS_UNSPECIFIED: _ClassVar[LayoutStatus]
    LAYOUT_STATUS_PASSED: _ClassVar[LayoutStatus]
    LAYOUT_STATUS_FAILED: _ClassVar[LayoutStatus]
    LAYOUT_STATUS_WARNING: _ClassVar[LayoutStatus]
    LAYOUT_STATUS_NOT_CHECKED: _ClassVar[LayoutStatus]
HUMAN_REPORT_NONE: HumanReportFormat
HUMAN_REPORT_HTML: HumanReportFormat
HUMAN_REPORT_PDF: HumanReportFormat
INDICATION_UNSPECIFIED: Indication
INDICATION_TOTAL_PASSED: Indication
INDICATION_TOTAL_FAILED: Indication
INDICATION_INDETERMINATE: Indication
INDICATION_NO_SIGNATURE_FOUND: Indication
SUB_INDICATION_NONE: SubIndication
SUB_INDICATION_FORMAT_FAILURE: SubIndication
SUB_INDICATION_HASH_FAILURE: SubIndication
SUB_INDICATION_SIG_CRYPTO_FAILURE: SubIndication
SUB_INDICATION_REVOKED: SubIndication
SUB_INDICATION_EXPIRED: SubIndication
SUB_INDICATION_NOT_YET_VALID: SubIndication
SUB_INDICATION_SIG_CONSTRAINTS_FAILURE: SubIndication
SUB_INDICATION_CHAIN_CONSTRAINTS_FAILURE: SubIndication
SUB_INDICATION_CERTIFICATE_CHAIN_GENERAL_FAILURE: SubIndication
SUB_INDICATION_CRYPTO_CONSTRAINTS_FAILURE: SubIndication
SUB_INDICATION_POLICY_PROCESSING_ERROR: SubIndication
SUB_INDICATION_TIMESTAMP_ORDER_FAILURE: SubIndication
SUB_INDICATION_NO_SIGNING_CERTIFICATE_FOUND: SubIndication
SUB_INDICATION_NO_CERTIFICATE_CHAIN_FOUND: SubIndication
SUB_INDICATION_REVOKED_NO_POE: SubIndication
SUB_INDICATION_REVOKED_CA_NO_POE: SubIndication
SUB_INDICATION_OUT_OF_BOUNDS_NO_POE: SubIndication
SUB_INDICATION_OUT_OF_BOUNDS_NOT_REVOKED: SubIndication
SUB_INDICATION_CRYPTO_CONSTRAINTS_FAILURE_NO_POE: SubIndication
SUB_INDICATION_NO_POE: SubIndication
SUB_INDICATION_TRY_LATER: SubIndication
SUB_INDICATION_SIGNED_DATA_NOT_FOUND: SubIndication
SUB_INDICATION_GENERIC: SubIndication
CHECK_STATUS_UNSPECIFIED: CheckStatus
CHECK_PASSED: CheckStatus
CHECK_FAILED: CheckStatus
CHECK_WARNING: CheckStatus
CHECK_INDETERMINATE: CheckStatus
CHECK_INFORMATION: CheckStatus
CHECK_SKIPPED: CheckStatus
CONSTRAINT_LEVEL_UNSPECIFIED: ConstraintLevel
LEVEL_FAIL: ConstraintLevel
LEVEL_WARN: ConstraintLevel
LEVEL_INFORM: ConstraintLevel
LEVEL_IGNORE: ConstraintLevel
SIGNATURE_KIND_UNSPECIFIED: SignatureKind
SIGNATURE_KIND_SIGNATURE: SignatureKind
SIGNATURE_KIND_DOCUMENT_TIMESTAMP: SignatureKind
SIGNING_TIME_SOURCE_NONE: SigningTimeSource
SIGNING_TIME_SOURCE_SIGNATURE_TIMESTAMP: SigningTimeSource
SIGNING_TIME_SOURCE_CLAIMED: SigningTimeSource
SIGNING_TIME_SOURCE_TIMESTAMP_TOKEN: SigningTimeSource
REVOCATION_DATA_SOURCE_NONE: RevocationDataSource
REVOCATION_DATA_SOURCE_EMBEDDED: RevocationDataSource
REVOCATION_DATA_SOURCE_OCSP: RevocationDataSource
REVOCATION_DATA_SOURCE_CRL: RevocationDataSource
REVOCATION_RESULT_UNKNOWN: RevocationResultStatus
REVOCATION_RESULT_GOOD: RevocationResultStatus
REVOCATION_RESULT_REVOKED: RevocationResultStatus
REVOCATION_RESULT_NOT_CHECKED: RevocationResultStatus
TIMESTAMP_KIND_UNSPECIFIED: TimestampKind
TIMESTAMP_KIND_SIGNATURE: TimestampKind
TIMESTAMP_KIND_CONTENT: TimestampKind
TIMESTAMP_KIND_DOCUMENT: TimestampKind
LAYOUT_STATUS_UNSPECIFIED: LayoutStatus
LAYOUT_STATUS_PASSED: LayoutStatus
LAYOUT_STATUS_FAILED: LayoutStatus
LAYOUT_STATUS_WARNING: LayoutStatus
LAYOUT_STATUS_NOT_CHECKED: LayoutStatus

class VerifyOptions(_message.Message):
    __slots__ = ("validation_time", "policy", "fetch_revocation", "human_report", "check_layout", "ocr", "file_name", "etsi_report", "sign_report_with")
    VALIDATION_TIME_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    FETCH_REVOCATION_FIELD_NUMBER: _ClassVar[int]
    HUMAN_REPORT_FIELD_NUMBER: _ClassVar[int]
    CHECK_LAYOUT_FIELD_NUMBER: _ClassVar[int]
    OCR_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    ETSI_REPORT_FIELD_NUMBER: _ClassVar[int]
    SIGN_REPORT_WITH_FIELD_NUMBER: _ClassVar[int]
    validation_time: _timestamp_pb2.Timestamp
    policy: str
    fetch_revocation: bool
    human_report: HumanReportFormat
    check_layout: bool
    ocr: bool
    file_name: str
    etsi_report: bool
    sign_report_with: str
    def __init__(self, validation_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., policy: _Optional[str] = ..., fetch_revocation: _Optional[bool] = ..., human_report: _Optional[_Union[HumanReportFormat, str]] = ..., check_layout: _Optional[bool] = ..., ocr: _Optional[bool] = ..., file_name: _Optional[str] = ..., etsi_report: _Optional[bool] = ..., sign_report_with: _Optional[str] = ...) -> None: ...

class VerifyRequest(_message.Message):
    __slots__ = ("document", "options")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    document: bytes
    options: VerifyOptions
    def __init__(self, document: _Optional[bytes] = ..., options: _Optional[_Union[VerifyOptions, _Mapping]] = ...) -> None: ...

class VerifyStreamRequest(_message.Message):
    __slots__ = ("options", "chunk")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    options: VerifyOptions
    chunk: bytes
    def __init__(self, options: _Optional[_Union[VerifyOptions, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class CheckResult(_message.Message):
    __slots__ = ("name", "building_block", "status", "level", "message")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BUILDING_BLOCK_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    building_block: str
    status: CheckStatus
    level: ConstraintLevel
    message: _common_pb2.LocalizedMessage
    def __init__(self, name: _Optional[str] = ..., building_block: _Optional[str] = ..., status: _Optional[_Union[CheckStatus, str]] = ..., level: _Optional[_Union[ConstraintLevel, str]] = ..., message: _Optional[_Union[_common_pb2.LocalizedMessage, _Mapping]] = ...) -> None: ...

class SignerCertificateInfo(_message.Message):
    __slots__ = ("subject", "common_name", "organisation", "serial_hex", "issuer", "issuer_common_name", "not_before", "not_after", "sha256", "public_key")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    COMMON_NAME_FIELD_NUMBER: _ClassVar[int]
    ORGANISATION_FIELD_NUMBER: _ClassVar[int]
    SERIAL_HEX_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    ISSUER_COMMON_NAME_FIELD_NUMBER: _ClassVar[int]
    NOT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    subject: str
    common_name: str
    organisation: str
    serial_hex: str
    issuer: str
    issuer_common_name: str
    not_before: _timestamp_pb2.Timestamp
    not_after: _timestamp_pb2.Timestamp
    sha256: str
    public_key: str
    def __init__(self, subject: _Optional[str] = ..., common_name: _Optional[str] = ..., organisation: _Optional[str] = ..., serial_hex: _Optional[str] = ..., issuer: _Optional[str] = ..., issuer_common_name: _Optional[str] = ..., not_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., not_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sha256: _Optional[str] = ..., public_key: _Optional[str] = ...) -> None: ...

class RevocationResult(_message.Message):
    __slots__ = ("status", "source", "produced_at", "revocation_time", "reason")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PRODUCED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOCATION_TIME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    status: RevocationResultStatus
    source: RevocationDataSource
    produced_at: _timestamp_pb2.Timestamp
    revocation_time: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, status: _Optional[_Union[RevocationResultStatus, str]] = ..., source: _Optional[_Union[RevocationDataSource, str]] = ..., produced_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revocation_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class TrustAnchorUsed(_message.Message):
    __slots__ = ("subject", "sha256")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    subject: str
    sha256: str
    def __init__(self, subject: _Optional[str] = ..., sha256: _Optional[str] = ...) -> None: ...

class TimestampValidation(_message.Message):
    __slots__ = ("time", "tsa", "indication", "sub_indication", "digest_algorithm", "kind", "reason", "proof_of_existence")
    TIME_FIELD_NUMBER: _ClassVar[int]
    TSA_FIELD_NUMBER: _ClassVar[int]
    INDICATION_FIELD_NUMBER: _ClassVar[int]
    SUB_INDICATION_FIELD_NUMBER: _ClassVar[int]
    DIGEST_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PROOF_OF_EXISTENCE_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    tsa: str
    indication: Indication
    sub_indication: SubIndication
    digest_algorithm: str
    kind: TimestampKind
    reason: _common_pb2.LocalizedMessage
    proof_of_existence: bool
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tsa: _Optional[str] = ..., indication: _Optional[_Union[Indication, str]] = ..., sub_indication: _Optional[_Union[SubIndication, str]] = ..., digest_algorithm: _Optional[str] = ..., kind: _Optional[_Union[TimestampKind, str]] = ..., reason: _Optional[_Union[_common_pb2.LocalizedMessage, _Mapping]] = ..., proof_of_existence: _Optional[bool] = ...) -> None: ...

class DocumentChange(_message.Message):
    __slots__ = ("kind", "description", "revision", "objects", "page", "level")
    KIND_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    kind: str
    description: _common_pb2.LocalizedMessage
    revision: int
    objects: _containers.RepeatedScalarFieldContainer[str]
    page: int
    level: str
    def __init__(self, kind: _Optional[str] = ..., description: _Optional[_Union[_common_pb2.LocalizedMessage, _Mapping]] = ..., revision: _Optional[int] = ..., objects: _Optional[_Iterable[str]] = ..., page: _Optional[int] = ..., level: _Optional[str] = ...) -> None: ...

class VisualDifference(_message.Message):
    __slots__ = ("page", "x0", "y0", "x1", "y1", "description")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    X0_FIELD_NUMBER: _ClassVar[int]
    Y0_FIELD_NUMBER: _ClassVar[int]
    X1_FIELD_NUMBER: _ClassVar[int]
    Y1_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    description: _common_pb2.LocalizedMessage
    def __init__(self, page: _Optional[int] = ..., x0: _Optional[float] = ..., y0: _Optional[float] = ..., x1: _Optional[float] = ..., y1: _Optional[float] = ..., description: _Optional[_Union[_common_pb2.LocalizedMessage, _Mapping]] = ...) -> None: ...

class ChangesAfter(_message.Message):
    __slots__ = ("analysed", "level", "changes", "docmdp_violated", "summary", "visually_compared", "compared_pages", "visual_differences")
    ANALYSED_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    DOCMDP_VIOLATED_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    VISUALLY_COMPARED_FIELD_NUMBER: _ClassVar[int]
    COMPARED_PAGES_FIELD_NUMBER: _ClassVar[int]
    VISUAL_DIFFERENCES_FIELD_NUMBER: _ClassVar[int]
    analysed: bool
    level: str
    changes: _containers.RepeatedCompositeFieldContainer[DocumentChange]
    docmdp_violated: bool
    summary: _common_pb2.LocalizedMessage
    visually_compared: bool
    compared_pages: _containers.RepeatedScalarFieldContainer[int]
    visual_differences: _containers.RepeatedCompositeFieldContainer[VisualDifference]
    def __init__(self, analysed: _Optional[bool] = ..., level: _Optional[str] = ..., changes: _Optional[_Iterable[_Union[DocumentChange, _Mapping]]] = ..., docmdp_violated: _Optional[bool] = ..., summary: _Optional[_Union[_common_pb2.LocalizedMessage, _Mapping]] = ..., visually_compared: _Optional[bool] = ..., compared_pages: _Optional[_Iterable[int]] = ..., visual_differences: _Optional[_Iterable[_Union[VisualDifference, _Mapping]]] = ...) -> None: ...

class VietnameseSummary(_message.Message):
    __slots__ = ("issuing_ca", "signer", "managing_unit", "signing_time", "integrity", "validity_at_signing_time", "certificate_validity_period", "result", "text")
    ISSUING_CA_FIELD_NUMBER: _ClassVar[int]
    SIGNER_FIELD_NUMBER: _ClassVar[int]
    MANAGING_UNIT_FIELD_NUMBER: _ClassVar[int]
    SIGNING_TIME_FIELD_NUMBER: _ClassVar[int]
    INTEGRITY_FIELD_NUMBER: _ClassVar[int]
    VALIDITY_AT_SIGNING_TIME_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_VALIDITY_PERIOD_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    issuing_ca: str
    signer: str
    managing_unit: str
    signing_time: str
    integrity: str
    validity_at_signing_time: str
    certificate_validity_period: str
    result: str
    text: str
    def __init__(self, issuing_ca: _Optional[str] = ..., signer: _Optional[str] = ..., managing_unit: _Optional[str] = ..., signing_time: _Optional[str] = ..., integrity: _Optional[str] = ..., validity_at_signing_time: _Optional[str] = ..., certificate_validity_period: _Optional[str] = ..., result: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class SignatureReport(_message.Message):
    __slots__ = ("index", "kind", "field_name", "sub_filter", "indication", "sub_indication", "checks", "signer_name", "organisation", "signer_certificate", "signing_time", "signing_time_source", "claimed_signing_time", "signature_timestamp", "revocation", "trust_anchor", "changes_after", "warnings", "digest_algorithm", "signature_algorithm", "revision", "covers_whole_document", "summary_vi", "conclusion", "timestamps", "signer_role", "next_step")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    FIELD_NAME_FIELD_NUMBER: _ClassVar[int]
    SUB_FILTER_FIELD_NUMBER: _ClassVar[int]
    INDICATION_FIELD_NUMBER: _ClassVar[int]
    SUB_INDICATION_FIELD_NUMBER: _ClassVar[int]
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    SIGNER_NAME_FIELD_NUMBER: _ClassVar[int]
    ORGANISATION_FIELD_NUMBER: _ClassVar[int]
    SIGNER_CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    SIGNING_TIME_FIELD_NUMBER: _ClassVar[int]
    SIGNING_TIME_SOURCE_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_SIGNING_TIME_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    REVOCATION_FIELD_NUMBER: _ClassVar[int]
    TRUST_ANCHOR_FIELD_NUMBER: _ClassVar[int]
    CHANGES_AFTER_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    DIGEST_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    COVERS_WHOLE_DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_VI_FIELD_NUMBER: _ClassVar[int]
    CONCLUSION_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMPS_FIELD_NUMBER: _ClassVar[int]
    SIGNER_ROLE_FIELD_NUMBER: _ClassVar[int]
    NEXT_STEP_FIELD_NUMBER: _ClassVar[int]
    index: int
    kind: SignatureKind
    field_name: str
    sub_filter: str
    indication: Indication
    sub_indication: SubIndication
    checks: _containers.RepeatedCompositeFieldContainer[CheckResult]
    signer_name: str
    organisation: str
    signer_certificate: SignerCertificateInfo
    signing_time: _timestamp_pb2.Timestamp
    signing_time_source: SigningTimeSource
    claimed_signing_time: _timestamp_pb2.Timestamp
    signature_timestamp: TimestampValidation
    revocation: RevocationResult
    trust_anchor: TrustAnchorUsed
    changes_after: ChangesAfter
    warnings: _containers.RepeatedCompositeFieldContainer[_common_pb2.LocalizedMessage]
    digest_algorithm: str
    signature_algorithm: str
    revision: int
    covers_whole_document: bool
    summary_vi: VietnameseSummary
    conclusion: _common_pb2.LocalizedMessage
    timestamps: _containers.RepeatedCompositeFieldContainer[TimestampValidation]
    signer_role: str
    next_step: _common_pb2.LocalizedMessage
    def __init__(self, index: _Optional[int] = ..., kind: _Optional[_Union[SignatureKind, str]] = ..., field_name: _Optional[str] = ..., sub_filter: _Optional[str] = ..., indication: _Optional[_Union[Indication, str]] = ..., sub_indication: _Optional[_Union[SubIndication, str]] = ..., checks: _Optional[_Iterable[_Union[CheckResult, _Mapping]]] = ..., signer_name: _Optional[str] = ..., organisation: _Optional[str] = ..., signer_certificate: _Optional[_Union[SignerCertificateInfo, _Mapping]] = ..., signing_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., signing_time_source: _Optional[_Union[SigningTimeSource, str]] = ..., claimed_signing_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., signature_timestamp: _Optional[_Union[TimestampValidation, _Mapping]] = ..., revocation: _Optional[_Union[RevocationResult, _Mapping]] = ..., trust_anchor: _Optional[_Union[TrustAnchorUsed, _Mapping]] = ..., changes_after: _Optional[_Union[ChangesAfter, _Mapping]] = ..., warnings: _Optional[_Iterable[_Union[_common_pb2.LocalizedMessage, _Mapping]]] = ..., digest_algorithm: _Optional[str] = ..., signature_algorithm: _Optional[str] = ..., revision: _Optional[int] = ..., covers_whole_document: _Optional[bool] = ..., summary_vi: _Optional[_Union[VietnameseSummary, _Mapping]] = ..., conclusion: _Optional[_Union[_common_pb2.LocalizedMessage, _Mapping]] = ..., timestamps: _Optional[_Iterable[_Union[TimestampValidation, _Mapping]]] = ..., signer_role: _Optional[str] = ..., next_step: _Optional[_Union[_common_pb2.LocalizedMessage, _Mapping]] = ...) -> None: ...

class ValidationReport(_message.Message):
    __slots__ = ("indication", "sub_indication", "signatures", "policy", "validation_time", "document_sha256", "revisions", "warnings", "conclusion", "summary_vi", "human_report", "human_report_mime", "trust_store_version", "elapsed_ms", "layout", "etsi_report", "next_step", "file_name")
    INDICATION_FIELD_NUMBER: _ClassVar[int]
    SUB_INDICATION_FIELD_NUMBER: _ClassVar[int]
    SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_TIME_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_SHA256_FIELD_NUMBER: _ClassVar[int]
    REVISIONS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    CONCLUSION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_VI_FIELD_NUMBER: _ClassVar[int]
    HUMAN_REPORT_FIELD_NUMBER: _ClassVar[int]
    HUMAN_REPORT_MIME_FIELD_NUMBER: _ClassVar[int]
    TRUST_STORE_VERSION_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_MS_FIELD_NUMBER: _ClassVar[int]
    LAYOUT_FIELD_NUMBER: _ClassVar[int]
    ETSI_REPORT_FIELD_NUMBER: _ClassVar[int]
    NEXT_STEP_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    indication: Indication
    sub_indication: SubIndication
    signatures: _containers.RepeatedCompositeFieldContainer[SignatureReport]
    policy: str
    validation_time: _timestamp_pb2.Timestamp
    document_sha256: str
    revisions: int
    warnings: _containers.RepeatedCompositeFieldContainer[_common_pb2.LocalizedMessage]
    conclusion: _common_pb2.LocalizedMessage
    summary_vi: str
    human_report: bytes
    human_report_mime: str
    trust_store_version: int
    elapsed_ms: float
    layout: LayoutReport
    etsi_report: bytes
    next_step: _common_pb2.LocalizedMessage
    file_name: str
    def __init__(self, indication: _Optional[_Union[Indication, str]] = ..., sub_indication: _Optional[_Union[SubIndication, str]] = ..., signatures: _Optional[_Iterable[_Union[SignatureReport, _Mapping]]] = ..., policy: _Optional[str] = ..., validation_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., document_sha256: _Optional[str] = ..., revisions: _Optional[int] = ..., warnings: _Optional[_Iterable[_Union[_common_pb2.LocalizedMessage, _Mapping]]] = ..., conclusion: _Optional[_Union[_common_pb2.LocalizedMessage, _Mapping]] = ..., summary_vi: _Optional[str] = ..., human_report: _Optional[bytes] = ..., human_report_mime: _Optional[str] = ..., trust_store_version: _Optional[int] = ..., elapsed_ms: _Optional[float] = ..., layout: _Optional[_Union[LayoutReport, _Mapping]] = ..., etsi_report: _Optional[bytes] = ..., next_step: _Optional[_Union[_common_pb2.LocalizedMessage, _Mapping]] = ..., file_name: _Optional[str] = ...) -> None: ...

class PdfRect(_message.Message):
    __slots__ = ("x0", "y0", "x1", "y1")
    X0_FIELD_NUMBER: _ClassVar[int]
    Y0_FIELD_NUMBER: _ClassVar[int]
    X1_FIELD_NUMBER: _ClassVar[int]
    Y1_FIELD_NUMBER: _ClassVar[int]
    x0: float
    y0: float
    x1: float
    y1: float
    def __init__(self, x0: _Optional[float] = ..., y0: _Optional[float] = ..., x1: _Optional[float] = ..., y1: _Optional[float] = ...) -> None: ...

class LayoutFinding(_message.Message):
    __slots__ = ("rule", "code", "severity", "outcome", "page", "rect", "expected", "found", "message_en", "message_vi", "text_source")
    RULE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    RECT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    FOUND_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_EN_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_VI_FIELD_NUMBER: _ClassVar[int]
    TEXT_SOURCE_FIELD_NUMBER: _ClassVar[int]
    rule: str
    code: str
    severity: ConstraintLevel
    outcome: str
    page: int
    rect: PdfRect
    expected: str
    found: str
    message_en: str
    message_vi: str
    text_source: str
    def __init__(self, rule: _Optional[str] = ..., code: _Optional[str] = ..., severity: _Optional[_Union[ConstraintLevel, str]] = ..., outcome: _Optional[str] = ..., page: _Optional[int] = ..., rect: _Optional[_Union[PdfRect, _Mapping]] = ..., expected: _Optional[str] = ..., found: _Optional[str] = ..., message_en: _Optional[str] = ..., message_vi: _Optional[str] = ..., text_source: _Optional[str] = ...) -> None: ...

class LayoutReport(_message.Message):
    __slots__ = ("status", "document_kind", "kind_evidence", "text_source", "findings", "passed_rules", "ocr_pages", "elapsed_ms", "policy", "summary_vi")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_KIND_FIELD_NUMBER: _ClassVar[int]
    KIND_EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    TEXT_SOURCE_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    PASSED_RULES_FIELD_NUMBER: _ClassVar[int]
    OCR_PAGES_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_MS_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_VI_FIELD_NUMBER: _ClassVar[int]
    status: LayoutStatus
    document_kind: str
    kind_evidence: str
    text_source: str
    findings: _containers.RepeatedCompositeFieldContainer[LayoutFinding]
    passed_rules: _containers.RepeatedScalarFieldContainer[str]
    ocr_pages: _containers.RepeatedScalarFieldContainer[int]
    elapsed_ms: float
    policy: str
    summary_vi: str
    def __init__(self, status: _Optional[_Union[LayoutStatus, str]] = ..., document_kind: _Optional[str] = ..., kind_evidence: _Optional[str] = ..., text_source: _Optional[str] = ..., findings: _Optional[_Iterable[_Union[LayoutFinding, _Mapping]]] = ..., passed_rules: _Optional[_Iterable[str]] = ..., ocr_pages: _Optional[_Iterable[int]] = ..., elapsed_ms: _Optional[float] = ..., policy: _Optional[str] = ..., summary_vi: _Optional[str] = ...) -> None: ...

class CheckLayoutOptions(_message.Message):
    __slots__ = ("policy", "ocr")
    POLICY_FIELD_NUMBER: _ClassVar[int]
    OCR_FIELD_NUMBER: _ClassVar[int]
    policy: str
    ocr: bool
    def __init__(self, policy: _Optional[str] = ..., ocr: _Optional[bool] = ...) -> None: ...

class CheckLayoutRequest(_message.Message):
    __slots__ = ("document", "options")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    document: bytes
    options: CheckLayoutOptions
    def __init__(self, document: _Optional[bytes] = ..., options: _Optional[_Union[CheckLayoutOptions, _Mapping]] = ...) -> None: ...

class CheckLayoutResponse(_message.Message):
    __slots__ = ("layout", "document_sha256")
    LAYOUT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_SHA256_FIELD_NUMBER: _ClassVar[int]
    layout: LayoutReport
    document_sha256: str
    def __init__(self, layout: _Optional[_Union[LayoutReport, _Mapping]] = ..., document_sha256: _Optional[str] = ...) -> None: ...
