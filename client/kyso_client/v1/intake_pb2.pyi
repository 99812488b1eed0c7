from kyso_client.v1 import common_pb2 as _common_pb2
from kyso_client.v1 import verifier_pb2 as _verifier_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PackageKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PACKAGE_KIND_UNSPECIFIED: _ClassVar[PackageKind]
    PACKAGE_KIND_DOCUMENT: _ClassVar[PackageKind]
    PACKAGE_KIND_STATUS: _ClassVar[PackageKind]
    PACKAGE_KIND_LEGACY_EDOC: _ClassVar[PackageKind]
    PACKAGE_KIND_REFUSED: _ClassVar[PackageKind]

class IntakeConclusion(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INTAKE_CONCLUSION_UNSPECIFIED: _ClassVar[IntakeConclusion]
    INTAKE_CONCLUSION_ACCEPT: _ClassVar[IntakeConclusion]
    INTAKE_CONCLUSION_ACCEPT_WITH_WARNINGS: _ClassVar[IntakeConclusion]
    INTAKE_CONCLUSION_RETURN_TO_SENDER: _ClassVar[IntakeConclusion]

class FindingSeverity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FINDING_SEVERITY_UNSPECIFIED: _ClassVar[FindingSeverity]
    FINDING_SEVERITY_FAIL: _ClassVar[FindingSeverity]
    FINDING_SEVERITY_WARN: _ClassVar[FindingSeverity]
    FINDING_SEVERITY_INFO: _ClassVar[FindingSeverity]

class MatchLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MATCH_LEVEL_UNSPECIFIED: _ClassVar[MatchLevel]
    MATCH_LEVEL_EXACT: _ClassVar[MatchLevel]
    MATCH_LEVEL_NORMALISED: _ClassVar[MatchLevel]
    MATCH_LEVEL_WITHOUT_DIACRITICS: _ClassVar[MatchLevel]
    MATCH_LEVEL_MISMATCH: _ClassVar[MatchLevel]
    MATCH_LEVEL_NOT_FOUND: _ClassVar[MatchLevel]
    MATCH_LEVEL_NOT_COMPARED: _ClassVar[MatchLevel]
PACKAGE_KIND_UNSPECIFIED: PackageKind
PACKAGE_KIND_DOCUMENT: PackageKind
PACKAGE_KIND_STATUS: PackageKind
PACKAGE_KIND_LEGACY_EDOC: PackageKind
PACKAGE_KIND_REFUSED: PackageKind
INTAKE_CONCLUSION_UNSPECIFIED: IntakeConclusion
INTAKE_CONCLUSION_ACCEPT: IntakeConclusion
INTAKE_CONCLUSION_ACCEPT_WITH_WARNINGS: IntakeConclusion
INTAKE_CONCLUSION_RETURN_TO_SENDER: IntakeConclusion
FINDING_SEVERITY_UNSPECIFIED: FindingSeverity
FINDING_SEVERITY_FAIL: FindingSeverity
FINDING_SEVERITY_WARN: FindingSeverity
FINDING_SEVERITY_INFO: FindingSeverity
MATCH_LEVEL_UNSPECIFIED: MatchLevel
MATCH_LEVEL_EXACT: MatchLevel
MATCH_LEVEL_NORMALISED: MatchLevel
MATCH_LEVEL_WITHOUT_DIACRITICS: MatchLevel
MATCH_LEVEL_MISMATCH: MatchLevel
MATCH_LEVEL_NOT_FOUND: MatchLevel
MATCH_LEVEL_NOT_COMPARED: MatchLevel

class IntakeOptions(_message.Message):
    __slots__ = ("verify",)
    VERIFY_FIELD_NUMBER: _ClassVar[int]
    verify: _verifier_pb2.VerifyOptions
    def __init__(self, verify: _Optional[_Union[_verifier_pb2.VerifyOptions, _Mapping]] = ...) -> None: ...

class IntakeRequest(_message.Message):
    __slots__ = ("package", "options")
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    package: bytes
    options: IntakeOptions
    def __init__(self, package: _Optional[bytes] = ..., options: _Optional[_Union[IntakeOptions, _Mapping]] = ...) -> None: ...

class IntakeStreamRequest(_message.Message):
    __slots__ = ("options", "chunk")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    options: IntakeOptions
    chunk: bytes
    def __init__(self, options: _Optional[_Union[IntakeOptions, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class Organisation(_message.Message):
    __slots__ = ("organ_id", "organization_in_charge", "organ_name", "address", "email", "telephone", "fax", "website")
    ORGAN_ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_IN_CHARGE_FIELD_NUMBER: _ClassVar[int]
    ORGAN_NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    TELEPHONE_FIELD_NUMBER: _ClassVar[int]
    FAX_FIELD_NUMBER: _ClassVar[int]
    WEBSITE_FIELD_NUMBER: _ClassVar[int]
    organ_id: str
    organization_in_charge: str
    organ_name: str
    address: str
    email: str
    telephone: str
    fax: str
    website: str
    def __init__(self, organ_id: _Optional[str] = ..., organization_in_charge: _Optional[str] = ..., organ_name: _Optional[str] = ..., address: _Optional[str] = ..., email: _Optional[str] = ..., telephone: _Optional[str] = ..., fax: _Optional[str] = ..., website: _Optional[str] = ...) -> None: ...

class PackageHeader(_message.Message):
    __slots__ = ("sender", "recipients", "code_number", "code_notation", "place", "promulgation_date", "document_type", "type_detail", "type_name", "subject", "signer_competence", "signer_position", "signer_full_name", "priority", "business_doc_type", "business_doc_reason", "business_document_id", "document_id", "due_date", "to_places", "steering_type", "content")
    SENDER_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    CODE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CODE_NOTATION_FIELD_NUMBER: _ClassVar[int]
    PLACE_FIELD_NUMBER: _ClassVar[int]
    PROMULGATION_DATE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    TYPE_DETAIL_FIELD_NUMBER: _ClassVar[int]
    TYPE_NAME_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SIGNER_COMPETENCE_FIELD_NUMBER: _ClassVar[int]
    SIGNER_POSITION_FIELD_NUMBER: _ClassVar[int]
    SIGNER_FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DOC_TYPE_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DOC_REASON_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_PLACES_FIELD_NUMBER: _ClassVar[int]
    STEERING_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    sender: Organisation
    recipients: _containers.RepeatedCompositeFieldContainer[Organisation]
    code_number: str
    code_notation: str
    place: str
    promulgation_date: str
    document_type: str
    type_detail: str
    type_name: str
    subject: str
    signer_competence: str
    signer_position: str
    signer_full_name: str
    priority: str
    business_doc_type: str
    business_doc_reason: str
    business_document_id: str
    document_id: str
    due_date: str
    to_places: _containers.RepeatedScalarFieldContainer[str]
    steering_type: str
    content: str
    def __init__(self, sender: _Optional[_Union[Organisation, _Mapping]] = ..., recipients: _Optional[_Iterable[_Union[Organisation, _Mapping]]] = ..., code_number: _Optional[str] = ..., code_notation: _Optional[str] = ..., place: _Optional[str] = ..., promulgation_date: _Optional[str] = ..., document_type: _Optional[str] = ..., type_detail: _Optional[str] = ..., type_name: _Optional[str] = ..., subject: _Optional[str] = ..., signer_competence: _Optional[str] = ..., signer_position: _Optional[str] = ..., signer_full_name: _Optional[str] = ..., priority: _Optional[str] = ..., business_doc_type: _Optional[str] = ..., business_doc_reason: _Optional[str] = ..., business_document_id: _Optional[str] = ..., document_id: _Optional[str] = ..., due_date: _Optional[str] = ..., to_places: _Optional[_Iterable[str]] = ..., steering_type: _Optional[str] = ..., content: _Optional[str] = ...) -> None: ...

class StatusMessage(_message.Message):
    __slots__ = ("status_code", "description", "timestamp", "response_for_organ_id", "response_for_code", "response_for_document_id")
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FOR_ORGAN_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FOR_CODE_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FOR_DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    status_code: str
    description: str
    timestamp: str
    response_for_organ_id: str
    response_for_code: str
    response_for_document_id: str
    def __init__(self, status_code: _Optional[str] = ..., description: _Optional[str] = ..., timestamp: _Optional[str] = ..., response_for_organ_id: _Optional[str] = ..., response_for_code: _Optional[str] = ..., response_for_document_id: _Optional[str] = ...) -> None: ...

class PackageSignatureInfo(_message.Message):
    __slots__ = ("present", "namespace", "signature_method", "subject_name")
    PRESENT_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_METHOD_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_NAME_FIELD_NUMBER: _ClassVar[int]
    present: bool
    namespace: str
    signature_method: str
    subject_name: str
    def __init__(self, present: _Optional[bool] = ..., namespace: _Optional[str] = ..., signature_method: _Optional[str] = ..., subject_name: _Optional[str] = ...) -> None: ...

class IntakeFinding(_message.Message):
    __slots__ = ("rule", "severity", "message", "header_value", "document_value", "attachment")
    RULE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    HEADER_VALUE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_VALUE_FIELD_NUMBER: _ClassVar[int]
    ATTACHMENT_FIELD_NUMBER: _ClassVar[int]
    rule: str
    severity: FindingSeverity
    message: _common_pb2.LocalizedMessage
    header_value: str
    document_value: str
    attachment: int
    def __init__(self, rule: _Optional[str] = ..., severity: _Optional[_Union[FindingSeverity, str]] = ..., message: _Optional[_Union[_common_pb2.LocalizedMessage, _Mapping]] = ..., header_value: _Optional[str] = ..., document_value: _Optional[str] = ..., attachment: _Optional[int] = ...) -> None: ...

class CrossCheckResult(_message.Message):
    __slots__ = ("field", "header_value", "document_value", "source", "level", "attachment", "rule")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    HEADER_VALUE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_VALUE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    ATTACHMENT_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    field: str
    header_value: str
    document_value: str
    source: str
    level: MatchLevel
    attachment: int
    rule: str
    def __init__(self, field: _Optional[str] = ..., header_value: _Optional[str] = ..., document_value: _Optional[str] = ..., source: _Optional[str] = ..., level: _Optional[_Union[MatchLevel, str]] = ..., attachment: _Optional[int] = ..., rule: _Optional[str] = ...) -> None: ...

class AttachmentReport(_message.Message):
    __slots__ = ("index", "content_id", "name", "description", "declared_type", "detected_type", "size", "sha256", "unzipped", "main_document", "verified", "validation")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CONTENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DECLARED_TYPE_FIELD_NUMBER: _ClassVar[int]
    DETECTED_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    UNZIPPED_FIELD_NUMBER: _ClassVar[int]
    MAIN_DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_FIELD_NUMBER: _ClassVar[int]
    index: int
    content_id: str
    name: str
    description: str
    declared_type: str
    detected_type: str
    size: int
    sha256: str
    unzipped: bool
    main_document: bool
    verified: bool
    validation: _verifier_pb2.ValidationReport
    def __init__(self, index: _Optional[int] = ..., content_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., declared_type: _Optional[str] = ..., detected_type: _Optional[str] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ..., unzipped: _Optional[bool] = ..., main_document: _Optional[bool] = ..., verified: _Optional[bool] = ..., validation: _Optional[_Union[_verifier_pb2.ValidationReport, _Mapping]] = ...) -> None: ...

class IntakeReport(_message.Message):
    __slots__ = ("kind", "conclusion", "conclusion_message", "edxml_status_code", "status_description_vi", "header", "status", "attachments", "cross_checks", "findings", "lenient_parse", "package_signature", "package_sha256", "package_size", "policy", "elapsed_ms", "human_report", "human_report_mime")
    KIND_FIELD_NUMBER: _ClassVar[int]
    CONCLUSION_FIELD_NUMBER: _ClassVar[int]
    CONCLUSION_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    EDXML_STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_DESCRIPTION_VI_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTACHMENTS_FIELD_NUMBER: _ClassVar[int]
    CROSS_CHECKS_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    LENIENT_PARSE_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_SHA256_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_MS_FIELD_NUMBER: _ClassVar[int]
    HUMAN_REPORT_FIELD_NUMBER: _ClassVar[int]
    HUMAN_REPORT_MIME_FIELD_NUMBER: _ClassVar[int]
    kind: PackageKind
    conclusion: IntakeConclusion
    conclusion_message: _common_pb2.LocalizedMessage
    edxml_status_code: str
    status_description_vi: str
    header: PackageHeader
    status: StatusMessage
    attachments: _containers.RepeatedCompositeFieldContainer[AttachmentReport]
    cross_checks: _containers.RepeatedCompositeFieldContainer[CrossCheckResult]
    findings: _containers.RepeatedCompositeFieldContainer[IntakeFinding]
    lenient_parse: bool
    package_signature: PackageSignatureInfo
    package_sha256: str
    package_size: int
    policy: str
    elapsed_ms: float
    human_report: bytes
    human_report_mime: str
    def __init__(self, kind: _Optional[_Union[PackageKind, str]] = ..., conclusion: _Optional[_Union[IntakeConclusion, str]] = ..., conclusion_message: _Optional[_Union[_common_pb2.LocalizedMessage, _Mapping]] = ..., edxml_status_code: _Optional[str] = ..., status_description_vi: _Optional[str] = ..., header: _Optional[_Union[PackageHeader, _Mapping]] = ..., status: _Optional[_Union[StatusMessage, _Mapping]] = ..., attachments: _Optional[_Iterable[_Union[AttachmentReport, _Mapping]]] = ..., cross_checks: _Optional[_Iterable[_Union[CrossCheckResult, _Mapping]]] = ..., findings: _Optional[_Iterable[_Union[IntakeFinding, _Mapping]]] = ..., lenient_parse: _Optional[bool] = ..., package_signature: _Optional[_Union[PackageSignatureInfo, _Mapping]] = ..., package_sha256: _Optional[str] = ..., package_size: _Optional[int] = ..., policy: _Optional[str] = ..., elapsed_ms: _Optional[float] = ..., human_report: _Optional[bytes] = ..., human_report_mime: _Optional[str] = ...) -> None: ...
