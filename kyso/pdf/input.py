"""Accept only documents kyso can sign: a readable, unencrypted PDF within the size limit."""

from __future__ import annotations

from typing import BinaryIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError

from kyso.errors import InvalidInputError, ResourceExhaustedError


def check_size(size: int, limit: int) -> None:
    if size > limit:
        raise ResourceExhaustedError(
            f"document of {size} bytes is over the limit of {limit} bytes",
            f"văn bản dung lượng {size} byte vượt giới hạn {limit} byte",
            code="DOCUMENT_TOO_LARGE",
        )


def _not_pdf() -> InvalidInputError:
    return InvalidInputError(
        "the document is not a readable PDF (damaged or truncated)",
        "tệp không phải PDF hợp lệ (bị hỏng hoặc không đầy đủ)",
        code="DOCUMENT_INVALID",
    )


def open_for_signing(stream: BinaryIO) -> IncrementalPdfFileWriter:
    """A writer that appends an incremental update to ``stream`` (which must stay open)."""
    stream.seek(0)
    head = stream.read(1024)
    if b"%PDF-" not in head:
        raise _not_pdf()
    stream.seek(-min(_size(stream), 2048), 2)
    if b"%%EOF" not in stream.read():
        raise _not_pdf()  # truncated: a complete PDF ends with %%EOF
    stream.seek(0)
    try:
        writer = IncrementalPdfFileWriter(stream, strict=False)
        reader = writer.prev
        if reader.encrypted:
            raise InvalidInputError(
                "the document is encrypted; remove the password before signing",
                "văn bản đã được mã hóa; cần gỡ mật khẩu trước khi ký",
                code="DOCUMENT_ENCRYPTED",
            )
        pages = reader.root["/Pages"]
        if int(pages["/Count"]) < 1:
            raise _not_pdf()
    except InvalidInputError:
        raise
    except (
        PdfError,
        ValueError,
        KeyError,
        TypeError,
        IndexError,
        AttributeError,
        RecursionError,
        OSError,
    ) as exc:
        raise _not_pdf() from exc
    return writer


def _size(stream: BinaryIO) -> int:
    pos = stream.tell()
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(pos)
    return size
