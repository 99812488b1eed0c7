"""A fast reader for PDF hex strings, installed into pyHanko's parser.

Why: pyHanko reads ``<...>`` one token at a time through a generator; a
signature's /Contents (16-32 KiB of hex) then costs ~15 ms, most of a one-page
verification.  This reader takes blocks and accepts hex digits and PDF
whitespace (odd length padded with 0, as ISO 32000 says); unlike pyHanko it
refuses comments inside a hex string, which ISO 32000 does not allow there, so
such a file becomes unreadable (INDETERMINATE), never more trusted.  End of
file inside the string raises, as in pyHanko.  A hex string longer than the request's
``max_contents_bytes`` (:mod:`kyso.pdf.parse_limits`) raises before anything is decoded
(a signature's /Contents is the only long hex string a signed PDF needs).
"""

from __future__ import annotations

import binascii
import os
import re
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStreamError

from kyso.pdf import parse_limits

_WHITESPACE = b"\x00\t\n\x0c\r "
_HEX_ONLY = re.compile(rb"[0-9A-Fa-f]*")
_BLOCK = 64 * 1024


def read_hex_string_from_stream(stream: Any) -> Any:
    """One hex string, refused before decoding when longer than ``max_contents_bytes``."""
    stream.read(1)  # the opening "<"
    parts: list[bytes] = []
    limit = parse_limits.current().max_contents_bytes
    size = 0
    while True:
        block = stream.read(_BLOCK)
        if not block:
            raise PdfStreamError("Stream has ended unexpectedly inside a hex string")
        end = block.find(b">")
        if end >= 0:
            parts.append(block[:end])
            stream.seek(end + 1 - len(block), os.SEEK_CUR)
            break
        size += len(block)
        if size > limit:
            parse_limits.record("max_contents_bytes")
            raise PdfStreamError(f"hex string longer than max_contents_bytes ({limit})")
        parts.append(block)
    digits = b"".join(parts).translate(None, _WHITESPACE)
    if not _HEX_ONLY.fullmatch(digits):
        raise PdfStreamError("Unexpected token in hex string")
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


def install() -> None:
    """Make pyHanko's object parser use this reader (idempotent)."""
    generic.read_hex_string_from_stream = read_hex_string_from_stream  # type: ignore[assignment]
