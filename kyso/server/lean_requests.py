"""One copy of a unary request's document in the server, not three (issue 9 §8).

A unary ``Verify`` or ``CheckLayout`` of a 4 MB document held it three times in the server
process while its worker ran: gRPC's received bytes, the parsed protobuf message (upb copies
a ``bytes`` field into its arena and frees it only with the message, which gRPC keeps until
the call ends) and the Python ``bytes`` read from the field (a new copy at each access). Under
hostile load those copies were the server's RSS peaks (docs/benchmarks.md, Load).

:class:`LeanDocuments` gives these methods a request deserializer that keeps gRPC's bytes and
reads the document as a :class:`memoryview` slice of them (protobuf's wire format: the
top-level field is found by its tag, nothing else is interpreted here); the remaining fields
(a few hundred bytes: the options) are parsed by protobuf as usual, so they are checked as
strictly as before. A message this reader does not follow (a group, a truncated field) is
parsed whole by protobuf instead, with protobuf's own errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from kyso.v1 import verifier_pb2 as vpb

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5


@dataclass(frozen=True)
class LeanRequest:
    """A ``VerifyRequest`` or ``CheckLayoutRequest`` whose ``document`` is a read-only view of
    the bytes gRPC received (the rest as protobuf parsed it)."""

    document: memoryview
    options: Any


def _varint(raw: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(raw) or shift > 63:
            raise DecodeError("truncated varint")
        byte = raw[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def split_field(raw: bytes, number: int) -> tuple[memoryview, bytes]:
    """``raw`` (a serialised message) as (the last value of its length-delimited top-level
    field ``number``, a view; the message's other fields, serialised). Raises
    :class:`DecodeError` for a wire format it does not follow."""
    view = memoryview(raw).toreadonly()
    pos, size = 0, len(view)
    found = view[0:0]
    rest: list[memoryview] = []
    while pos < size:
        start = pos
        tag, pos = _varint(view, pos)
        kind = tag & 7
        if kind == _VARINT:
            _, pos = _varint(view, pos)
        elif kind == _I64:
            pos += 8
        elif kind == _I32:
            pos += 4
        elif kind == _LEN:
            length, pos = _varint(view, pos)
            if tag >> 3 == number and pos + length <= size:
                found = view[pos : pos + length]  # the last one wins, as in protobuf
                pos += length
                continue
            pos += length
        else:
            raise DecodeError(f"wire type {kind}")
        if pos > size:
            raise DecodeError("truncated field")
        rest.append(view[start:pos])
    return found, b"".join(rest)


def lean_parser(message: Any) -> Callable[[bytes], Any]:
    """The request deserializer for ``message`` (a class with ``document = 1`` and ``options =
    2``): a :class:`LeanRequest`, or the whole message for a wire format this reader does not
    follow."""

    def parse(raw: bytes) -> Any:
        try:
            document, rest = split_field(raw, 1)
        except DecodeError:
            return message.FromString(raw)  # protobuf's own reading, and its own errors
        return LeanRequest(document, message.FromString(rest).options)

    return parse


#: The unary methods whose document is read lean, and their request messages.
METHODS: dict[str, Any] = {
    "/kyso.v1.Verifier/Verify": vpb.VerifyRequest,
    "/kyso.v1.Verifier/CheckLayout": vpb.CheckLayoutRequest,
}


class LeanDocuments(grpc.ServerInterceptor):
    """Swaps the request deserializer of :data:`METHODS` (the innermost interceptor: the outer
    ones copy it when they wrap the handler)."""

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        message = METHODS.get(handler_call_details.method)
        if handler is None or message is None or handler.unary_unary is None:
            return handler
        return grpc.unary_unary_rpc_method_handler(
            handler.unary_unary,
            request_deserializer=lean_parser(message),
            response_serializer=handler.response_serializer,
        )


__all__ = ["METHODS", "LeanDocuments", "LeanRequest", "lean_parser", "split_field"]
