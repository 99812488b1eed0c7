"""The server's check before its key signs for a worker (signer/document_work.py): the CMS
signed attributes must bind the file the server holds (ByteRange digest, empty placeholder,
id-data, the key's certificate). Each refusal here is a way a worker taken over by a hostile
document could try to get another document signed."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from typing import IO

import pytest
from asn1crypto import cms, tsp, x509

from kyso.errors import Precondition
from signer.document_work import MAX_SIGNED_ATTRIBUTES, Binding, check_signed_attributes
from tests.unit.process_inputs import make_cert

HEAD = b"%PDF-1.7\n1 0 obj<</Contents "
GAP = b"<" + b"0" * 64 + b">"
TAIL = b">>endobj\n%%EOF\n"


KEY_CERT = make_cert("p256", cn="kyso test key")
OTHER_CERT = make_cert("p256", cn="someone else")


def _attrs(digest: bytes, cert: x509.Certificate = KEY_CERT, content_type: str = "data") -> bytes:
    ess = tsp.SigningCertificateV2(
        {
            "certs": [
                {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "cert_hash": hashlib.sha256(cert.dump()).digest(),
                }
            ]
        }
    )
    return cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": [content_type]}),
            cms.CMSAttribute({"type": "message_digest", "values": [digest]}),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [ess]}),
        ]
    ).dump()


@pytest.fixture
def document() -> Iterator[IO[bytes]]:
    with tempfile.TemporaryFile() as f:
        f.write(HEAD + GAP + TAIL)
        f.flush()
        yield f


START, END = len(HEAD), len(HEAD) + len(GAP)
RIGHT = hashlib.sha256(HEAD + TAIL).digest()
RESERVED = len(GAP) - 2
#: the caller's document: here the file's head up to the placeholder
ORIGINAL = (len(HEAD) - 10, hashlib.sha256(HEAD[:-10]).digest())


def _check(data: bytes, source: int | bytes, start: int = START, end: int = END) -> Binding:
    return check_signed_attributes(
        data, KEY_CERT, source, start, end, reserved=RESERVED, original=ORIGINAL
    )


def _refused(data: bytes, fd: int | bytes, start: int = START, end: int = END) -> str:
    with pytest.raises(Precondition) as info:
        _check(data, fd, start, end)
    assert info.value.code == "SIGNING_BINDING_FAILED"
    return str(info.value.params["problem"])


def test_attributes_bound_to_the_file_are_signed(document: IO[bytes]) -> None:
    binding = _check(_attrs(RIGHT), document.fileno())
    assert binding == Binding(START, END, len(HEAD + GAP + TAIL), RIGHT)


def test_bytes_are_checked_as_a_file_is() -> None:
    assert _check(_attrs(RIGHT), HEAD + GAP + TAIL).digest == RIGHT


def test_a_changed_callers_document_is_refused() -> None:
    changed = b"%PDF-1.4" + HEAD[8:]
    data = _attrs(hashlib.sha256(changed + TAIL).digest())
    assert "caller's document" in _refused(data, changed + GAP + TAIL)


def test_a_placeholder_of_another_size_is_refused() -> None:
    gap = b"<" + b"0" * 80 + b">"
    data = _attrs(RIGHT)
    assert "reserved size" in _refused(data, HEAD + gap + TAIL, START, START + len(gap))


def test_the_binding_holds_only_with_the_signature_in_the_same_file(
    document: IO[bytes],
) -> None:
    binding = _check(_attrs(RIGHT), document.fileno())
    signature = bytes(range(20))
    assert not binding.holds(document.fileno(), signature)  # not written yet
    document.seek(START + 1)
    document.write(signature.hex().encode())
    document.flush()
    assert binding.holds(document.fileno(), signature)
    document.seek(0)
    document.write(b"%PDF-1.4")  # another document under the same signature
    document.flush()
    assert not binding.holds(document.fileno(), signature)


def test_repeated_or_trailing_attributes_are_refused(document: IO[bytes]) -> None:
    attrs = cms.CMSAttributes.load(_attrs(RIGHT))
    twice = cms.CMSAttributes([*attrs, attrs[1]]).dump()
    assert _refused(twice, document.fileno())
    assert _refused(_attrs(RIGHT) + b"\x00\x00", document.fileno())


def test_another_documents_digest_is_refused(document: IO[bytes]) -> None:
    other = hashlib.sha256(b"another document").digest()
    assert "ByteRange" in _refused(_attrs(other), document.fileno())


def test_a_digest_that_covers_the_gap_is_refused(document: IO[bytes]) -> None:
    whole = hashlib.sha256(HEAD + GAP + TAIL).digest()
    assert "ByteRange" in _refused(_attrs(whole), document.fileno())


def test_a_filled_placeholder_is_refused(document: IO[bytes]) -> None:
    document.seek(START + 1)
    document.write(b"30")
    document.flush()
    assert "placeholder" in _refused(_attrs(RIGHT), document.fileno())


@pytest.mark.parametrize(
    ("start", "end"), [(0, END - START), (START, 10**9), (END, START), (5, 6), (5, 5 + len(GAP))]
)
def test_a_placeholder_outside_or_not_one_is_refused(
    document: IO[bytes], start: int, end: int
) -> None:
    assert _refused(_attrs(RIGHT), document.fileno(), start, end)


def test_another_certificate_is_refused(document: IO[bytes]) -> None:
    data = _attrs(RIGHT, OTHER_CERT)
    assert "certificate" in _refused(data, document.fileno())


def test_another_content_type_is_refused(document: IO[bytes]) -> None:
    data = _attrs(RIGHT, content_type="signed_data")
    assert "content type" in _refused(data, document.fileno())


@pytest.mark.parametrize("data", [b"", b"\x31\x00", b"not DER", b"\x30" * 50])
def test_what_is_not_signed_attributes_is_refused(document: IO[bytes], data: bytes) -> None:
    assert _refused(data, document.fileno())


def test_oversized_attributes_are_refused_before_parsing(document: IO[bytes]) -> None:
    assert "too large" in _refused(b"\x31" + b"\x00" * MAX_SIGNED_ATTRIBUTES, document.fileno())


def test_the_workers_file_offset_is_left_alone(document: IO[bytes]) -> None:
    document.seek(7)
    _check(_attrs(RIGHT), document.fileno())
    assert document.tell() == 7
