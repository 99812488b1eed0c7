"""The server's map from error meaning to gRPC status (kyso.server.status)."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2

from kyso.errors import MEANINGS, InvalidInput, NotFound
from kyso.server.status import STATUS, status_code, to_status
from trust_store.state_codec import CorruptStateError


def test_every_meaning_has_a_status() -> None:
    assert set(STATUS) == set(MEANINGS)
    assert len(set(STATUS.values())) == len(STATUS)


def test_a_subclass_takes_its_meanings_status() -> None:
    err = CorruptStateError("TRUST_STORE_CORRUPT", problem="test")
    assert status_code(err) is grpc.StatusCode.INTERNAL


def test_status_carries_the_code_as_error_info_reason() -> None:
    status = to_status(NotFound("POLICY_NOT_FOUND", policy="x"))
    assert status.code is grpc.StatusCode.NOT_FOUND
    assert (
        status.details
        == "POLICY_NOT_FOUND: unknown validation policy x (không có chính sách kiểm tra x)"
    )
    _, binary = status.trailing_metadata[0]
    from google.rpc import status_pb2

    rich = status_pb2.Status.FromString(binary)
    info = error_details_pb2.ErrorInfo()
    rich.details[0].Unpack(info)
    assert (info.reason, info.domain, info.metadata["message_vi"]) == (
        "POLICY_NOT_FOUND",
        "kyso.v1",
        "không có chính sách kiểm tra x",
    )
    assert info.metadata["policy"] == "x"  # the message's parameters, as quoted
    text = error_details_pb2.LocalizedMessage()
    rich.details[1].Unpack(text)
    assert (text.locale, text.message) == ("vi-VN", "không có chính sách kiểm tra x")
    assert (
        status_code(InvalidInput("NOT_A_PDF", problem="empty")) is grpc.StatusCode.INVALID_ARGUMENT
    )
