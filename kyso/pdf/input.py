"""Accept only documents kyso can sign: a readable, unencrypted PDF within the size limit."""

from __future__ import annotations

from typing import BinaryIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError

from kyso.errors import InvalidInput, ResourceExhausted
from kyso.pdf.pdfa import MetadataConsistentWriter


def check_size(size: int, limit: int) -> None:
    """Raises :class:`ResourceExhausted` (DOCUMENT_TOO_LARGE) when ``size`` is over ``limit``."""
    if size > limit:
        raise ResourceExhausted("DOCUMENT_TOO_LARGE", limit=limit)


def _not_pdf(problem: str = "damaged or truncated") -> InvalidInput:
    return InvalidInput("NOT_A_PDF", problem=problem)


def open_for_signing(stream: BinaryIO) -> IncrementalPdfFileWriter:
    """A writer that appends an incremental update to ``stream`` (which must stay open)."""
    stream.seek(0)
    head = stream.read(1024)
    if not head:
        raise _not_pdf("empty")
    if b"%PDF-" not in head:
        raise _not_pdf("no %PDF- header in its first 1 KiB")  # as Verify says it
    stream.seek(-min(_size(stream), 2048), 2)
    if b"%%EOF" not in stream.read():
        raise _not_pdf("truncated: no %%EOF in its last 2 KiB")
    stream.seek(0)
    try:
        writer: IncrementalPdfFileWriter = MetadataConsistentWriter(stream, strict=False)
        reader = writer.prev
        if reader.encrypted:
            raise InvalidInput("DOCUMENT_ENCRYPTED")
        pages = reader.root["/Pages"]
        if int(pages["/Count"]) < 1:
            raise _not_pdf()
    except InvalidInput:
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
