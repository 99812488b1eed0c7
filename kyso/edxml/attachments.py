"""Attachment content: base64 decoded by chunks, single-entry ZIPs unpacked, types by magic bytes.

edxml.md §1.5: the content is inline base64 (no MIME parts); it may be a ZIP of one entry named
``<uuid>.<ext>`` whatever the declared type says, and the manifest's and the attachment's
content types can disagree, so the type is decided by the first bytes. Nothing here holds a
whole attachment in memory beyond ``spool_bytes``: content goes to a spooled temporary file.
"""

from __future__ import annotations

import binascii
import hashlib
import tempfile
import zipfile
from dataclasses import dataclass
from typing import IO

PDF = "application/pdf"
ZIP = "application/zip"
OLE = "application/x-ole-storage"  # .doc, .xls
XML = "application/xml"
OCTETS = "application/octet-stream"

_WHITESPACE = b" \t\r\n"
_PDF_WINDOW = 1024  # the verifier accepts %PDF- within the first KiB (verifier.validation)
_COPY_CHUNK = 1024 * 1024
_BATCH_CHARS = 1024 * 1024  # base64 text decoded per batch


class ContentTooLarge(Exception):
    """An attachment (or a ZIP entry) is over its byte limit."""


@dataclass(frozen=True)
class ContentLimits:
    """Byte limits of one attachment (``[intake]`` settings, verifier.intake.settings)."""

    max_attachment_bytes: int
    max_unzipped_bytes: int
    spool_bytes: int


def new_spool(limits: ContentLimits) -> IO[bytes]:
    """A binary temporary file kept in memory up to ``spool_bytes``, then on disk."""
    return tempfile.SpooledTemporaryFile(max_size=limits.spool_bytes, prefix="kyso-intake-")


class Base64Stream:
    """Decode base64 text given in pieces into ``sink``, counting and hashing the bytes.

    Whitespace anywhere is ignored (line-wrapped base64 is common); any other character outside
    the base64 alphabet, or padding in the middle, is an error (``error`` names it and decoding
    stops). Raises :class:`ContentTooLarge` past ``limit`` decoded bytes.
    """

    def __init__(self, sink: IO[bytes], limit: int) -> None:
        self.sink = sink
        self.limit = limit
        self.size = 0
        self.error = ""
        self._rest = b""
        self._hash = hashlib.sha256()
        self._ended = False
        self._pending: list[str] = []
        self._pending_chars = 0

    def feed(self, text: str) -> None:
        """Take a piece of text (XML parsers give a line at a time: batched to ~1 MiB here)."""
        self._pending.append(text)
        self._pending_chars += len(text)
        if self._pending_chars >= _BATCH_CHARS:
            self._flush()

    def _flush(self) -> None:
        text = "".join(self._pending)
        self._pending.clear()
        self._pending_chars = 0
        if self.error or not text:
            return
        try:
            raw = text.encode("ascii")
        except UnicodeEncodeError:
            self.error = "non-ASCII character in base64 content"
            return
        raw = self._rest + raw.translate(None, _WHITESPACE)
        cut = len(raw) - len(raw) % 4
        self._rest = raw[cut:]
        if cut:
            self._decode(raw[:cut])

    def _decode(self, chunk: bytes) -> None:
        if self._ended:
            self.error = "base64 content continues after its padding"
            return
        try:
            out = binascii.a2b_base64(chunk, strict_mode=True)
        except binascii.Error as exc:
            self.error = f"invalid base64 ({exc})"
            return
        if chunk.endswith(b"="):
            self._ended = True
        self.size += len(out)
        if self.size > self.limit:
            raise ContentTooLarge(f"over {self.limit} bytes")
        self._hash.update(out)
        self.sink.write(out)

    def finish(self) -> str:
        """Flush the last quantum; return the SHA-256 (upper-case hex) of the decoded bytes."""
        self._flush()
        if self._rest and not self.error:
            self.error = f"base64 content ends with {len(self._rest)} stray characters"
        return self._hash.hexdigest().upper()


def detect_type(head: bytes) -> str:
    """The content type the first bytes show (``head``: the first KiB, or all of a shorter file)."""
    if head.startswith(b"PK\x03\x04"):
        return ZIP
    if b"%PDF-" in head[:_PDF_WINDOW]:
        return PDF
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return XML
    return OCTETS


def read_head(data: IO[bytes]) -> bytes:
    data.seek(0)
    head = data.read(_PDF_WINDOW)
    data.seek(0)
    return head


def unpack_single_entry(data: IO[bytes], limits: ContentLimits) -> tuple[IO[bytes], int, str]:
    """The one file entry of the ZIP in ``data``: (its content, size, SHA-256 upper-case hex).

    Entry names are ignored (never used as paths). Raises :class:`ValueError` naming the problem
    when the archive is unreadable, encrypted, or holds other than exactly one file, and
    :class:`ContentTooLarge` when the entry inflates past ``max_unzipped_bytes`` (counted while
    reading, not taken from the archive's own claim).
    """
    data.seek(0)
    try:
        archive = zipfile.ZipFile(data)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"unreadable ZIP ({type(exc).__name__})") from None
    with archive:
        entries = [i for i in archive.infolist() if not i.is_dir()]
        if len(entries) != 1:
            raise ValueError(f"a ZIP attachment must hold one file, this one holds {len(entries)}")
        entry = entries[0]
        if entry.flag_bits & 0x1:
            raise ValueError("encrypted ZIP entry")
        if entry.file_size > limits.max_unzipped_bytes:
            raise ContentTooLarge(f"entry declares {entry.file_size} bytes")
        out = new_spool(limits)
        digest, size = hashlib.sha256(), 0
        try:
            with archive.open(entry) as src:
                while chunk := src.read(_COPY_CHUNK):
                    size += len(chunk)
                    if size > limits.max_unzipped_bytes:
                        raise ContentTooLarge(f"entry inflates past {limits.max_unzipped_bytes}")
                    digest.update(chunk)
                    out.write(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
            out.close()
            raise ValueError(f"unreadable ZIP entry ({type(exc).__name__})") from None
        except ContentTooLarge:
            out.close()
            raise
    return out, size, digest.hexdigest().upper()


def count_replacement_runs(data: IO[bytes]) -> int:
    """How many UTF-8 replacement sequences (EF BF BD) the content holds (edxml.md §1.5)."""
    data.seek(0)
    count, tail = 0, b""
    while chunk := data.read(_COPY_CHUNK):
        buf = tail + chunk
        count += buf.count(b"\xef\xbf\xbd")
        # keep the last two bytes unless they end a counted sequence
        tail = b"" if buf.endswith(b"\xef\xbf\xbd") else buf[-2:]
    data.seek(0)
    return count


__all__ = [
    "OCTETS",
    "OLE",
    "PDF",
    "XML",
    "ZIP",
    "Base64Stream",
    "ContentLimits",
    "ContentTooLarge",
    "count_replacement_runs",
    "detect_type",
    "new_spool",
    "read_head",
    "unpack_single_entry",
]
