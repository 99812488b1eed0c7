from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class LocalizedMessage(_message.Message):
    __slots__ = ("code", "message_vi", "message_en")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_VI_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_EN_FIELD_NUMBER: _ClassVar[int]
    code: str
    message_vi: str
    message_en: str
    def __init__(self, code: _Optional[str] = ..., message_vi: _Optional[str] = ..., message_en: _Optional[str] = ...) -> None: ...
