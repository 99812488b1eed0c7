"""A refused or failed call as one typed exception: stable code, English and Vietnamese text.

kyso's server attaches to every error status a ``google.rpc.Status`` (trailing metadata
``grpc-status-details-bin``) with a ``google.rpc.ErrorInfo`` (``reason``: the stable code,
``domain``: ``kyso.v1``, ``metadata``: ``message_en``, ``message_vi`` and the fields the
message names) and a ``google.rpc.LocalizedMessage`` (``locale``: ``vi-VN``): docs/api.md.
A status without them comes from gRPC itself (server unreachable, deadline passed, a message
over a size limit): its code is the status name, or ``MESSAGE_TOO_LARGE``, with the texts of
:data:`TRANSPORT_TEXTS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

#: ``ErrorInfo.domain`` of kyso's errors.
DOMAIN = "kyso.v1"
#: ``LocalizedMessage.locale`` of the Vietnamese text.
LOCALE_VI = "vi-VN"
#: The code of gRPC's own "message larger than max" refusal (no details from the server).
MESSAGE_TOO_LARGE = "MESSAGE_TOO_LARGE"

#: English and Vietnamese text of the statuses gRPC raises itself, by code.
TRANSPORT_TEXTS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "UNAVAILABLE": (
            "the kyso server cannot be reached",
            "không kết nối được máy chủ kyso",
        ),
        "DEADLINE_EXCEEDED": (
            "the call's deadline passed before the server answered",
            "đã hết thời gian chờ máy chủ kyso trả lời",
        ),
        "CANCELLED": ("the call was cancelled", "cuộc gọi đã bị hủy"),
        MESSAGE_TOO_LARGE: (
            "a message is larger than the channel's limit; stream the document",
            "thông điệp vượt quá giới hạn kích thước; cần gửi văn bản theo luồng",
        ),
        "RESOURCE_EXHAUSTED": (
            "the server is out of a resource or a limit was reached",
            "máy chủ kyso đã hết tài nguyên hoặc vượt giới hạn",
        ),
        "UNIMPLEMENTED": (
            "the server does not offer this call",
            "máy chủ kyso không hỗ trợ yêu cầu này",
        ),
        "UNAUTHENTICATED": (
            "the call carries no valid credential",
            "yêu cầu không có thông tin xác thực hợp lệ",
        ),
        "PERMISSION_DENIED": ("the call is not permitted", "yêu cầu không được phép"),
        "INTERNAL": ("internal error", "lỗi nội bộ"),
        "UNKNOWN": ("unknown error", "lỗi không xác định"),
    }
)
_OTHER = ("the call failed", "yêu cầu không thành công")


class KysoRpcError(Exception):
    """A failed kyso call.

    ``status``: the gRPC status code; ``code``: kyso's stable code (``ErrorInfo.reason``), else
    the status name or ``MESSAGE_TOO_LARGE``; ``message_en`` / ``message_vi``: the texts;
    ``metadata``: ``ErrorInfo.metadata`` (strings); ``details``: the status message as sent.
    """

    def __init__(
        self,
        status: grpc.StatusCode,
        code: str,
        message_en: str,
        message_vi: str,
        *,
        metadata: Mapping[str, str] | None = None,
        details: str = "",
        domain: str = "",
    ) -> None:
        super().__init__(f"{code}: {message_en} ({message_vi})")
        self.status = status
        self.code = code
        self.message_en = message_en
        self.message_vi = message_vi
        self.metadata: Mapping[str, str] = MappingProxyType(dict(metadata or {}))
        self.details = details
        self.domain = domain

    @property
    def from_kyso(self) -> bool:
        """True when kyso's server raised it (ErrorInfo in domain ``kyso.v1``)."""
        return self.domain == DOMAIN

    @classmethod
    def from_rpc_error(cls, err: grpc.RpcError) -> KysoRpcError:
        """The typed error of a failed call (``err`` is a ``grpc.Call`` as raised by a stub)."""
        status = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
        details = (err.details() if hasattr(err, "details") else "") or ""
        rich = _rich_status(err)
        if rich is not None:
            info, vi = _unpack(rich)
            if info is not None:
                meta = dict(info.metadata)
                return cls(
                    status,
                    info.reason,
                    meta.get("message_en", details),
                    vi or meta.get("message_vi", ""),
                    metadata=meta,
                    details=details,
                    domain=info.domain,
                )
        name = status.name if isinstance(status, grpc.StatusCode) else "UNKNOWN"
        if name == "RESOURCE_EXHAUSTED" and "larger than" in details.lower():
            name = MESSAGE_TOO_LARGE  # gRPC's own: "Received message larger than max (...)"
        en, vi = TRANSPORT_TEXTS.get(name, _OTHER)
        return cls(status, name, f"{en} ({details})" if details else en, vi, details=details)


def _rich_status(err: grpc.RpcError) -> status_pb2.Status | None:
    try:
        return rpc_status.from_call(err)  # type: ignore[arg-type]
    except ValueError:  # a grpc-status-details-bin that does not match the call's status
        return None


def _unpack(
    status: status_pb2.Status,
) -> tuple[error_details_pb2.ErrorInfo | None, str]:
    info = None
    vi = ""
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
        elif detail.Is(error_details_pb2.LocalizedMessage.DESCRIPTOR):
            text = error_details_pb2.LocalizedMessage()
            detail.Unpack(text)
            if text.locale == LOCALE_VI:
                vi = text.message
    return info, vi
