"""kyso.pdf.input: what the signer accepts, and the error code of each refusal.

Hand-made documents (pyHanko's writer, in memory); no server, no token.
"""

from __future__ import annotations

from io import BytesIO

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

from kyso.errors import InvalidInput, ResourceExhausted
from kyso.pdf.input import check_size, open_for_signing


def _pdf(pages: int = 1, password: bytes | None = None) -> bytes:
    writer = PdfFileWriter()
    for _ in range(pages):
        contents = writer.add_object(generic.StreamObject(stream_data=b"BT ET"))
        writer.insert_page(PageObject(contents, (0, 0, 595.28, 841.89)))
    if password is not None:
        writer.encrypt(b"owner-" + password, password)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _refusal(data: bytes) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        open_for_signing(BytesIO(data))
    return info.value


def test_a_readable_pdf_opens_for_an_incremental_update() -> None:
    data = _pdf(pages=2)
    stream = BytesIO(data)
    writer = open_for_signing(stream)
    assert int(writer.prev.root["/Pages"]["/Count"]) == 2
    out = BytesIO()
    writer.write(out)
    assert out.getvalue().startswith(data)  # an incremental update keeps the original bytes


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, this is plain text and no PDF at all\n%%EOF\n",
        b"\x89PNG\r\n\x1a\n" + bytes(100),
        b" " * 2000 + b"%PDF-1.7\n",  # the header must be in the first 1024 bytes
    ],
    ids=["empty", "text", "png", "late-header"],
)
def test_not_a_pdf(data: bytes) -> None:
    err = _refusal(data)
    assert err.code == "NOT_A_PDF"
    assert err.message_vi


def test_truncated_pdf_is_refused_before_parsing() -> None:
    data = _pdf()
    err = _refusal(data[: len(data) // 2])
    assert err.code == "NOT_A_PDF"


def test_damaged_structure_behind_a_valid_header_and_trailer() -> None:
    err = _refusal(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nstartxref\n999999\n%%EOF\n")
    assert err.code == "NOT_A_PDF"
    assert err.__cause__ is not None  # pyHanko's reason stays attached for the logs


def test_a_pdf_without_pages_is_refused() -> None:
    err = _refusal(_pdf(pages=0))
    assert err.code == "NOT_A_PDF"


def test_encrypted_pdf() -> None:
    err = _refusal(_pdf(password=b"user"))
    assert err.code == "DOCUMENT_ENCRYPTED"
    assert "mật khẩu" in err.message_vi


@pytest.mark.parametrize(("size", "limit"), [(0, 0), (1000, 1000), (999, 1000)])
def test_sizes_up_to_the_limit_pass(size: int, limit: int) -> None:
    check_size(size, limit)


def test_too_large() -> None:
    with pytest.raises(ResourceExhausted) as info:
        check_size(1001, 1000)
    assert info.value.code == "DOCUMENT_TOO_LARGE"
    assert "1000" in info.value.message_en and "1000" in info.value.message_vi
