import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SignatureProfile(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNATURE_PROFILE_UNSPECIFIED: _ClassVar[SignatureProfile]
    PROFILE_PERSONAL: _ClassVar[SignatureProfile]
    PROFILE_ORGANISATION: _ClassVar[SignatureProfile]
    PROFILE_ATTACHMENT: _ClassVar[SignatureProfile]

class PadesLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PADES_LEVEL_UNSPECIFIED: _ClassVar[PadesLevel]
    PADES_B_B: _ClassVar[PadesLevel]
    PADES_B_T: _ClassVar[PadesLevel]
    PADES_B_LT: _ClassVar[PadesLevel]
    PADES_B_LTA: _ClassVar[PadesLevel]
SIGNATURE_PROFILE_UNSPECIFIED: SignatureProfile
PROFILE_PERSONAL: SignatureProfile
PROFILE_ORGANISATION: SignatureProfile
PROFILE_ATTACHMENT: SignatureProfile
PADES_LEVEL_UNSPECIFIED: PadesLevel
PADES_B_B: PadesLevel
PADES_B_T: PadesLevel
PADES_B_LT: PadesLevel
PADES_B_LTA: PadesLevel

class PageRect(_message.Message):
    __slots__ = ("page", "x1", "y1", "x2", "y2")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    X1_FIELD_NUMBER: _ClassVar[int]
    Y1_FIELD_NUMBER: _ClassVar[int]
    X2_FIELD_NUMBER: _ClassVar[int]
    Y2_FIELD_NUMBER: _ClassVar[int]
    page: int
    x1: float
    y1: float
    x2: float
    y2: float
    def __init__(self, page: _Optional[int] = ..., x1: _Optional[float] = ..., y1: _Optional[float] = ..., x2: _Optional[float] = ..., y2: _Optional[float] = ...) -> None: ...

class SignPlacement(_message.Message):
    __slots__ = ("anchor_text", "field_name", "rect")
    ANCHOR_TEXT_FIELD_NUMBER: _ClassVar[int]
    FIELD_NAME_FIELD_NUMBER: _ClassVar[int]
    RECT_FIELD_NUMBER: _ClassVar[int]
    anchor_text: str
    field_name: str
    rect: PageRect
    def __init__(self, anchor_text: _Optional[str] = ..., field_name: _Optional[str] = ..., rect: _Optional[_Union[PageRect, _Mapping]] = ...) -> None: ...

class SignOptions(_message.Message):
    __slots__ = ("profile", "level", "placement", "image_png", "document_number", "reason", "location", "field_name")
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_PNG_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    FIELD_NAME_FIELD_NUMBER: _ClassVar[int]
    profile: SignatureProfile
    level: PadesLevel
    placement: SignPlacement
    image_png: bytes
    document_number: str
    reason: str
    location: str
    field_name: str
    def __init__(self, profile: _Optional[_Union[SignatureProfile, str]] = ..., level: _Optional[_Union[PadesLevel, str]] = ..., placement: _Optional[_Union[SignPlacement, _Mapping]] = ..., image_png: _Optional[bytes] = ..., document_number: _Optional[str] = ..., reason: _Optional[str] = ..., location: _Optional[str] = ..., field_name: _Optional[str] = ...) -> None: ...

class OwnerAuthorization(_message.Message):
    __slots__ = ("totp", "pin")
    TOTP_FIELD_NUMBER: _ClassVar[int]
    PIN_FIELD_NUMBER: _ClassVar[int]
    totp: str
    pin: str
    def __init__(self, totp: _Optional[str] = ..., pin: _Optional[str] = ...) -> None: ...

class SignRequest(_message.Message):
    __slots__ = ("document", "key", "options", "authorization")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    AUTHORIZATION_FIELD_NUMBER: _ClassVar[int]
    document: bytes
    key: str
    options: SignOptions
    authorization: OwnerAuthorization
    def __init__(self, document: _Optional[bytes] = ..., key: _Optional[str] = ..., options: _Optional[_Union[SignOptions, _Mapping]] = ..., authorization: _Optional[_Union[OwnerAuthorization, _Mapping]] = ...) -> None: ...

class SignatureSummary(_message.Message):
    __slots__ = ("field_name", "profile", "level", "signer_subject", "signing_time", "rect", "size", "sha256", "pdfa")
    FIELD_NAME_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    SIGNER_SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SIGNING_TIME_FIELD_NUMBER: _ClassVar[int]
    RECT_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    PDFA_FIELD_NUMBER: _ClassVar[int]
    field_name: str
    profile: SignatureProfile
    level: PadesLevel
    signer_subject: str
    signing_time: _timestamp_pb2.Timestamp
    rect: PageRect
    size: int
    sha256: str
    pdfa: str
    def __init__(self, field_name: _Optional[str] = ..., profile: _Optional[_Union[SignatureProfile, str]] = ..., level: _Optional[_Union[PadesLevel, str]] = ..., signer_subject: _Optional[str] = ..., signing_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rect: _Optional[_Union[PageRect, _Mapping]] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ..., pdfa: _Optional[str] = ...) -> None: ...

class SignResponse(_message.Message):
    __slots__ = ("document", "signature")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    document: bytes
    signature: SignatureSummary
    def __init__(self, document: _Optional[bytes] = ..., signature: _Optional[_Union[SignatureSummary, _Mapping]] = ...) -> None: ...

class SignStreamHeader(_message.Message):
    __slots__ = ("key", "options", "size", "return_update_only", "authorization")
    KEY_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    RETURN_UPDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    AUTHORIZATION_FIELD_NUMBER: _ClassVar[int]
    key: str
    options: SignOptions
    size: int
    return_update_only: bool
    authorization: OwnerAuthorization
    def __init__(self, key: _Optional[str] = ..., options: _Optional[_Union[SignOptions, _Mapping]] = ..., size: _Optional[int] = ..., return_update_only: _Optional[bool] = ..., authorization: _Optional[_Union[OwnerAuthorization, _Mapping]] = ...) -> None: ...

class SignStreamRequest(_message.Message):
    __slots__ = ("header", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: SignStreamHeader
    chunk: bytes
    def __init__(self, header: _Optional[_Union[SignStreamHeader, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class SignStreamResponse(_message.Message):
    __slots__ = ("signature", "chunk")
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    signature: SignatureSummary
    chunk: bytes
    def __init__(self, signature: _Optional[_Union[SignatureSummary, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class ListKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SigningKeyInfo(_message.Message):
    __slots__ = ("name", "profiles", "backend", "subject", "issuer", "not_before", "not_after", "serial_hex", "sha256", "key_algorithm", "available", "unavailable_code", "consent", "consent_enrolled", "locked_until", "usage")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROFILES_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    NOT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    SERIAL_HEX_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    KEY_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_CODE_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    CONSENT_ENROLLED_FIELD_NUMBER: _ClassVar[int]
    LOCKED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    profiles: _containers.RepeatedScalarFieldContainer[SignatureProfile]
    backend: str
    subject: str
    issuer: str
    not_before: _timestamp_pb2.Timestamp
    not_after: _timestamp_pb2.Timestamp
    serial_hex: str
    sha256: str
    key_algorithm: str
    available: bool
    unavailable_code: str
    consent: str
    consent_enrolled: bool
    locked_until: _timestamp_pb2.Timestamp
    usage: KeyUsage
    def __init__(self, name: _Optional[str] = ..., profiles: _Optional[_Iterable[_Union[SignatureProfile, str]]] = ..., backend: _Optional[str] = ..., subject: _Optional[str] = ..., issuer: _Optional[str] = ..., not_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., not_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., serial_hex: _Optional[str] = ..., sha256: _Optional[str] = ..., key_algorithm: _Optional[str] = ..., available: _Optional[bool] = ..., unavailable_code: _Optional[str] = ..., consent: _Optional[str] = ..., consent_enrolled: _Optional[bool] = ..., locked_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., usage: _Optional[_Union[KeyUsage, _Mapping]] = ...) -> None: ...

class KeyUsage(_message.Message):
    __slots__ = ("signatures_total", "signatures_today", "last_used", "max_signatures_per_day", "max_signatures_total")
    SIGNATURES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    SIGNATURES_TODAY_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_FIELD_NUMBER: _ClassVar[int]
    MAX_SIGNATURES_PER_DAY_FIELD_NUMBER: _ClassVar[int]
    MAX_SIGNATURES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    signatures_total: int
    signatures_today: int
    last_used: _timestamp_pb2.Timestamp
    max_signatures_per_day: int
    max_signatures_total: int
    def __init__(self, signatures_total: _Optional[int] = ..., signatures_today: _Optional[int] = ..., last_used: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_signatures_per_day: _Optional[int] = ..., max_signatures_total: _Optional[int] = ...) -> None: ...

class ListKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[SigningKeyInfo]
    def __init__(self, keys: _Optional[_Iterable[_Union[SigningKeyInfo, _Mapping]]] = ...) -> None: ...

class PrepareSignatureRequest(_message.Message):
    __slots__ = ("document", "certificate", "chain", "options")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    document: bytes
    certificate: bytes
    chain: _containers.RepeatedScalarFieldContainer[bytes]
    options: SignOptions
    def __init__(self, document: _Optional[bytes] = ..., certificate: _Optional[bytes] = ..., chain: _Optional[_Iterable[bytes]] = ..., options: _Optional[_Union[SignOptions, _Mapping]] = ...) -> None: ...

class PrepareSignatureResponse(_message.Message):
    __slots__ = ("id", "signed_attributes", "digest", "digest_algorithm", "document_sha256", "expires_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    SIGNED_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    DIGEST_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_SHA256_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    signed_attributes: bytes
    digest: bytes
    digest_algorithm: str
    document_sha256: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., signed_attributes: _Optional[bytes] = ..., digest: _Optional[bytes] = ..., digest_algorithm: _Optional[str] = ..., document_sha256: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CompleteSignatureRequest(_message.Message):
    __slots__ = ("id", "signature", "cms", "document_sha256")
    ID_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    CMS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_SHA256_FIELD_NUMBER: _ClassVar[int]
    id: str
    signature: bytes
    cms: bytes
    document_sha256: str
    def __init__(self, id: _Optional[str] = ..., signature: _Optional[bytes] = ..., cms: _Optional[bytes] = ..., document_sha256: _Optional[str] = ...) -> None: ...

class CompleteSignatureResponse(_message.Message):
    __slots__ = ("document", "signature")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    document: bytes
    signature: SignatureSummary
    def __init__(self, document: _Optional[bytes] = ..., signature: _Optional[_Union[SignatureSummary, _Mapping]] = ...) -> None: ...
