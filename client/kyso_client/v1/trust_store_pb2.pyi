import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TrustPurpose(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRUST_PURPOSE_UNSPECIFIED: _ClassVar[TrustPurpose]
    TRUST_PURPOSE_SIGNATURE: _ClassVar[TrustPurpose]
    TRUST_PURPOSE_TIMESTAMPING: _ClassVar[TrustPurpose]
    TRUST_PURPOSE_OCSP_SIGNING: _ClassVar[TrustPurpose]

class TrustRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRUST_ROLE_UNSPECIFIED: _ClassVar[TrustRole]
    TRUST_ROLE_ANCHOR: _ClassVar[TrustRole]
    TRUST_ROLE_INTERMEDIATE: _ClassVar[TrustRole]

class TrustExportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRUST_EXPORT_FORMAT_UNSPECIFIED: _ClassVar[TrustExportFormat]
    TRUST_EXPORT_FORMAT_PEM: _ClassVar[TrustExportFormat]
    TRUST_EXPORT_FORMAT_P7B: _ClassVar[TrustExportFormat]
TRUST_PURPOSE_UNSPECIFIED: TrustPurpose
TRUST_PURPOSE_SIGNATURE: TrustPurpose
TRUST_PURPOSE_TIMESTAMPING: TrustPurpose
TRUST_PURPOSE_OCSP_SIGNING: TrustPurpose
TRUST_ROLE_UNSPECIFIED: TrustRole
TRUST_ROLE_ANCHOR: TrustRole
TRUST_ROLE_INTERMEDIATE: TrustRole
TRUST_EXPORT_FORMAT_UNSPECIFIED: TrustExportFormat
TRUST_EXPORT_FORMAT_PEM: TrustExportFormat
TRUST_EXPORT_FORMAT_P7B: TrustExportFormat

class TrustCertificate(_message.Message):
    __slots__ = ("sha256", "subject", "issuer", "serial", "not_before", "not_after", "purposes", "role", "added_by", "added_at", "reason", "expires_within_90_days", "expired", "der")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    NOT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    PURPOSES_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    ADDED_BY_FIELD_NUMBER: _ClassVar[int]
    ADDED_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_WITHIN_90_DAYS_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_FIELD_NUMBER: _ClassVar[int]
    DER_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    subject: str
    issuer: str
    serial: str
    not_before: _timestamp_pb2.Timestamp
    not_after: _timestamp_pb2.Timestamp
    purposes: _containers.RepeatedScalarFieldContainer[TrustPurpose]
    role: TrustRole
    added_by: str
    added_at: _timestamp_pb2.Timestamp
    reason: str
    expires_within_90_days: bool
    expired: bool
    der: bytes
    def __init__(self, sha256: _Optional[str] = ..., subject: _Optional[str] = ..., issuer: _Optional[str] = ..., serial: _Optional[str] = ..., not_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., not_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., purposes: _Optional[_Iterable[_Union[TrustPurpose, str]]] = ..., role: _Optional[_Union[TrustRole, str]] = ..., added_by: _Optional[str] = ..., added_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ..., expires_within_90_days: _Optional[bool] = ..., expired: _Optional[bool] = ..., der: _Optional[bytes] = ...) -> None: ...

class TrustChangeResponse(_message.Message):
    __slots__ = ("version", "added", "removed", "audit_seq")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ADDED_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    AUDIT_SEQ_FIELD_NUMBER: _ClassVar[int]
    version: int
    added: _containers.RepeatedCompositeFieldContainer[TrustCertificate]
    removed: _containers.RepeatedCompositeFieldContainer[TrustCertificate]
    audit_seq: int
    def __init__(self, version: _Optional[int] = ..., added: _Optional[_Iterable[_Union[TrustCertificate, _Mapping]]] = ..., removed: _Optional[_Iterable[_Union[TrustCertificate, _Mapping]]] = ..., audit_seq: _Optional[int] = ...) -> None: ...

class AddTrustCertificateRequest(_message.Message):
    __slots__ = ("certificate", "role", "purposes", "reason", "expected_version", "allow_expired")
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    PURPOSES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    ALLOW_EXPIRED_FIELD_NUMBER: _ClassVar[int]
    certificate: bytes
    role: TrustRole
    purposes: _containers.RepeatedScalarFieldContainer[TrustPurpose]
    reason: str
    expected_version: int
    allow_expired: bool
    def __init__(self, certificate: _Optional[bytes] = ..., role: _Optional[_Union[TrustRole, str]] = ..., purposes: _Optional[_Iterable[_Union[TrustPurpose, str]]] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ..., allow_expired: _Optional[bool] = ...) -> None: ...

class RemoveTrustCertificateRequest(_message.Message):
    __slots__ = ("sha256", "reason", "expected_version", "confirm_anchor_in_use")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_ANCHOR_IN_USE_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    reason: str
    expected_version: int
    confirm_anchor_in_use: bool
    def __init__(self, sha256: _Optional[str] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ..., confirm_anchor_in_use: _Optional[bool] = ...) -> None: ...

class ImportTrustBundleRequest(_message.Message):
    __slots__ = ("bundle", "purposes", "reason", "expected_version", "allow_expired", "skip_existing")
    BUNDLE_FIELD_NUMBER: _ClassVar[int]
    PURPOSES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    ALLOW_EXPIRED_FIELD_NUMBER: _ClassVar[int]
    SKIP_EXISTING_FIELD_NUMBER: _ClassVar[int]
    bundle: bytes
    purposes: _containers.RepeatedScalarFieldContainer[TrustPurpose]
    reason: str
    expected_version: int
    allow_expired: bool
    skip_existing: bool
    def __init__(self, bundle: _Optional[bytes] = ..., purposes: _Optional[_Iterable[_Union[TrustPurpose, str]]] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ..., allow_expired: _Optional[bool] = ..., skip_existing: _Optional[bool] = ...) -> None: ...

class InstallTrustBundleRequest(_message.Message):
    __slots__ = ("name", "reason", "expected_version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    expected_version: int
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ListTrustCertificatesRequest(_message.Message):
    __slots__ = ("role", "purpose")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    role: TrustRole
    purpose: TrustPurpose
    def __init__(self, role: _Optional[_Union[TrustRole, str]] = ..., purpose: _Optional[_Union[TrustPurpose, str]] = ...) -> None: ...

class ListTrustCertificatesResponse(_message.Message):
    __slots__ = ("version", "certificates")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATES_FIELD_NUMBER: _ClassVar[int]
    version: int
    certificates: _containers.RepeatedCompositeFieldContainer[TrustCertificate]
    def __init__(self, version: _Optional[int] = ..., certificates: _Optional[_Iterable[_Union[TrustCertificate, _Mapping]]] = ...) -> None: ...

class GetTrustCertificateRequest(_message.Message):
    __slots__ = ("sha256",)
    SHA256_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    def __init__(self, sha256: _Optional[str] = ...) -> None: ...

class ExportTrustStoreRequest(_message.Message):
    __slots__ = ("format", "anchors_only")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    ANCHORS_ONLY_FIELD_NUMBER: _ClassVar[int]
    format: TrustExportFormat
    anchors_only: bool
    def __init__(self, format: _Optional[_Union[TrustExportFormat, str]] = ..., anchors_only: _Optional[bool] = ...) -> None: ...

class ExportTrustStoreResponse(_message.Message):
    __slots__ = ("version", "data", "content_type", "count")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    version: int
    data: bytes
    content_type: str
    count: int
    def __init__(self, version: _Optional[int] = ..., data: _Optional[bytes] = ..., content_type: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class ListTrustBundlesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTrustBundlesResponse(_message.Message):
    __slots__ = ("names",)
    NAMES_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, names: _Optional[_Iterable[str]] = ...) -> None: ...

class TrustHistoryRequest(_message.Message):
    __slots__ = ("limit", "sha256")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    limit: int
    sha256: str
    def __init__(self, limit: _Optional[int] = ..., sha256: _Optional[str] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("seq", "time", "actor", "action", "outcome", "reason", "version", "before", "after", "subjects", "code", "prev", "hash")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    PREV_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    seq: int
    time: str
    actor: str
    action: str
    outcome: str
    reason: str
    version: int
    before: _containers.RepeatedScalarFieldContainer[str]
    after: _containers.RepeatedScalarFieldContainer[str]
    subjects: _containers.RepeatedScalarFieldContainer[str]
    code: str
    prev: str
    hash: str
    def __init__(self, seq: _Optional[int] = ..., time: _Optional[str] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., outcome: _Optional[str] = ..., reason: _Optional[str] = ..., version: _Optional[int] = ..., before: _Optional[_Iterable[str]] = ..., after: _Optional[_Iterable[str]] = ..., subjects: _Optional[_Iterable[str]] = ..., code: _Optional[str] = ..., prev: _Optional[str] = ..., hash: _Optional[str] = ...) -> None: ...

class TrustHistoryResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ...) -> None: ...

class VerifyAuditRequest(_message.Message):
    __slots__ = ("log",)
    LOG_FIELD_NUMBER: _ClassVar[int]
    log: str
    def __init__(self, log: _Optional[str] = ...) -> None: ...

class ListAuditRequest(_message.Message):
    __slots__ = ("log", "key", "since", "limit")
    LOG_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    log: str
    key: str
    since: str
    limit: int
    def __init__(self, log: _Optional[str] = ..., key: _Optional[str] = ..., since: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class SigningAuditEntry(_message.Message):
    __slots__ = ("seq", "time", "actor", "operation", "result", "key", "profile", "level", "input_sha256", "output_sha256", "field_name", "code", "pending_id", "prev", "hash")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    INPUT_SHA256_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_SHA256_FIELD_NUMBER: _ClassVar[int]
    FIELD_NAME_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    PENDING_ID_FIELD_NUMBER: _ClassVar[int]
    PREV_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    seq: int
    time: str
    actor: str
    operation: str
    result: str
    key: str
    profile: str
    level: str
    input_sha256: str
    output_sha256: str
    field_name: str
    code: str
    pending_id: str
    prev: str
    hash: str
    def __init__(self, seq: _Optional[int] = ..., time: _Optional[str] = ..., actor: _Optional[str] = ..., operation: _Optional[str] = ..., result: _Optional[str] = ..., key: _Optional[str] = ..., profile: _Optional[str] = ..., level: _Optional[str] = ..., input_sha256: _Optional[str] = ..., output_sha256: _Optional[str] = ..., field_name: _Optional[str] = ..., code: _Optional[str] = ..., pending_id: _Optional[str] = ..., prev: _Optional[str] = ..., hash: _Optional[str] = ...) -> None: ...

class ListAuditResponse(_message.Message):
    __slots__ = ("trust_entries", "signing_entries")
    TRUST_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    SIGNING_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    trust_entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    signing_entries: _containers.RepeatedCompositeFieldContainer[SigningAuditEntry]
    def __init__(self, trust_entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ..., signing_entries: _Optional[_Iterable[_Union[SigningAuditEntry, _Mapping]]] = ...) -> None: ...

class AuditProblem(_message.Message):
    __slots__ = ("position", "seq", "kind", "message")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    position: int
    seq: int
    kind: str
    message: str
    def __init__(self, position: _Optional[int] = ..., seq: _Optional[int] = ..., kind: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class VerifyAuditResponse(_message.Message):
    __slots__ = ("ok", "entries", "head_seq", "problems", "checkpoints_checked", "checkpoints", "covered_seq", "uncovered")
    OK_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    HEAD_SEQ_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINTS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    COVERED_SEQ_FIELD_NUMBER: _ClassVar[int]
    UNCOVERED_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    entries: int
    head_seq: int
    problems: _containers.RepeatedCompositeFieldContainer[AuditProblem]
    checkpoints_checked: bool
    checkpoints: int
    covered_seq: int
    uncovered: int
    def __init__(self, ok: _Optional[bool] = ..., entries: _Optional[int] = ..., head_seq: _Optional[int] = ..., problems: _Optional[_Iterable[_Union[AuditProblem, _Mapping]]] = ..., checkpoints_checked: _Optional[bool] = ..., checkpoints: _Optional[int] = ..., covered_seq: _Optional[int] = ..., uncovered: _Optional[int] = ...) -> None: ...

class TrustStoreStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TrustStoreStatus(_message.Message):
    __slots__ = ("version", "storage", "degraded", "warning", "redis_errors", "revocation_cache_hits", "revocation_cache_misses", "revocation_stale_served", "revocation_redis_errors", "identity", "role")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    WARNING_FIELD_NUMBER: _ClassVar[int]
    REDIS_ERRORS_FIELD_NUMBER: _ClassVar[int]
    REVOCATION_CACHE_HITS_FIELD_NUMBER: _ClassVar[int]
    REVOCATION_CACHE_MISSES_FIELD_NUMBER: _ClassVar[int]
    REVOCATION_STALE_SERVED_FIELD_NUMBER: _ClassVar[int]
    REVOCATION_REDIS_ERRORS_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    version: int
    storage: str
    degraded: bool
    warning: str
    redis_errors: int
    revocation_cache_hits: int
    revocation_cache_misses: int
    revocation_stale_served: int
    revocation_redis_errors: int
    identity: str
    role: str
    def __init__(self, version: _Optional[int] = ..., storage: _Optional[str] = ..., degraded: _Optional[bool] = ..., warning: _Optional[str] = ..., redis_errors: _Optional[int] = ..., revocation_cache_hits: _Optional[int] = ..., revocation_cache_misses: _Optional[int] = ..., revocation_stale_served: _Optional[int] = ..., revocation_redis_errors: _Optional[int] = ..., identity: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...
