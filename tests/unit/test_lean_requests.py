"""A unary document read as a view of gRPC's bytes (kyso.server.lean_requests) reads exactly
what protobuf reads: the same document, the same options, protobuf's errors for what it
refuses."""

from __future__ import annotations

import pytest
from google.protobuf.message import DecodeError
from hypothesis import given
from hypothesis import strategies as st

from kyso.server.lean_requests import LeanRequest, lean_parser, split_field
from kyso.v1 import verifier_pb2 as pb

parse = lean_parser(pb.VerifyRequest)


def _options() -> pb.VerifyOptions:
    return pb.VerifyOptions(policy="vn-default", fetch_revocation=True, file_name="cv.pdf")


@given(
    document=st.binary(max_size=4096),
    policy=st.text(max_size=40),
    fetch=st.booleans(),
)
def test_it_reads_what_protobuf_reads(document: bytes, policy: str, fetch: bool) -> None:
    raw = pb.VerifyRequest(
        document=document, options=pb.VerifyOptions(policy=policy, fetch_revocation=fetch)
    ).SerializeToString()
    lean = parse(raw)
    whole = pb.VerifyRequest.FromString(raw)
    assert isinstance(lean, LeanRequest)
    assert bytes(lean.document) == whole.document
    assert lean.options == whole.options
    assert lean.document.readonly


def test_field_order_repeats_and_unknown_fields() -> None:
    options = pb.VerifyOptions(policy="p").SerializeToString()
    first = b"\x0a\x03abc"  # document = "abc"
    last = b"\x0a\x02de"  # a repeated scalar field: the last one wins
    # unknown fields 15 (varint) and 16 (length-delimited, 32-bit, 64-bit)
    unknown = b"\x78\x05" + b"\x82\x01\x04xxxx" + b"\x85\x01\x01\x02\x03\x04"
    unknown += b"\x89\x01" + b"8bytes!!"
    raw = b"\x12" + bytes([len(options)]) + options + first + unknown + last
    lean = parse(raw)
    whole = pb.VerifyRequest.FromString(raw)
    assert bytes(lean.document) == whole.document == b"de"
    assert lean.options == whole.options


@pytest.mark.parametrize(
    "raw",
    [
        b"\x0a\x05ab",  # the document's length runs past the end
        b"\x0a",  # a tag, no length
        b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",  # a varint past 64 bits
        b"\x12\x03\x0a\x05x",  # options whose own field runs past their end
    ],
)
def test_what_protobuf_refuses_is_refused_with_its_error(raw: bytes) -> None:
    with pytest.raises(DecodeError):
        pb.VerifyRequest.FromString(raw)
    with pytest.raises(DecodeError):
        parse(raw)


def test_a_group_is_left_to_protobuf() -> None:
    raw = b"\x0a\x01x" + b"\x1b\x08\x01\x1c"  # field 3 as a group holding a varint
    with pytest.raises(DecodeError):
        split_field(raw, 1)
    lean = parse(raw)
    assert lean.document == pb.VerifyRequest.FromString(raw).document == b"x"


def test_the_document_is_not_copied() -> None:
    raw = pb.VerifyRequest(
        document=b"%PDF" + b"x" * 1_000_000, options=_options()
    ).SerializeToString()
    lean = parse(raw)
    assert lean.document.obj is raw  # a view of the received bytes
