"""kyso.pdf.hex_strings: the block reader of ``<...>`` strings installed into pyHanko's parser.

ISO 32000-1 §7.3.4.3: hex digits and white space, an odd final digit is followed by 0. Unlike
pyHanko, a comment inside the string is refused (the file becomes unreadable, never trusted).
"""

from __future__ import annotations

from io import BytesIO

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStreamError

from kyso.pdf import hex_strings
from kyso.pdf.hex_strings import read_hex_string_from_stream

_CONTAINER = generic.Reference(1, 0, None)


def _read(data: bytes) -> tuple[bytes, bytes]:
    """The decoded string and what is left in the stream after it."""
    stream = BytesIO(data)
    value = read_hex_string_from_stream(stream)
    return value.original_bytes, stream.read()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"<>", b""),
        (b"<4142>", b"AB"),
        (b"<4a4B>", b"JK"),  # either case
        (b"<41 42\r\n43\t44\x0c45\x0046>", b"ABCDEF"),  # every PDF white-space character
        (b"<901FA>", b"\x90\x1f\xa0"),  # odd length: a final 0 is assumed
        (b"<7>", b"\x70"),
    ],
)
def test_hex_digits_and_white_space(data: bytes, expected: bytes) -> None:
    assert _read(data) == (expected, b"")


def test_the_stream_is_left_just_after_the_closing_bracket() -> None:
    assert _read(b"<00ff> 12 0 R") == (b"\x00\xff", b" 12 0 R")


def test_a_string_longer_than_one_read_block() -> None:
    """A signature's /Contents is 16-32 KiB of hex; this one spans three 64 KiB blocks."""
    payload = bytes(range(256)) * 400  # 102,400 bytes, 204,800 hex digits
    value, rest = _read(b"<" + payload.hex().encode() + b">trailer")
    assert value == payload
    assert rest == b"trailer"


@pytest.mark.parametrize(
    "data",
    [
        b"<41%comment\n42>",  # ISO 32000 allows no comment here; pyHanko would skip it
        b"<4G>",
        b"<41-42>",
        b"<(41)>",
    ],
)
def test_anything_but_hex_digits_and_white_space_is_refused(data: bytes) -> None:
    with pytest.raises(PdfStreamError):
        _read(data)


@pytest.mark.parametrize("data", [b"<4142", b"<", b"<" + b"00" * 70_000])
def test_end_of_file_inside_the_string_raises(data: bytes) -> None:
    with pytest.raises(PdfStreamError):
        _read(data)


def test_install_makes_pyhankos_parser_use_it() -> None:
    hex_strings.install()
    hex_strings.install()  # idempotent
    assert generic.read_hex_string_from_stream is read_hex_string_from_stream
    parsed = generic.read_object(BytesIO(b"[<4142> <43>]"), _CONTAINER)
    assert [s.original_bytes for s in parsed] == [b"AB", b"C"]
    with pytest.raises(PdfStreamError):
        generic.read_object(BytesIO(b"<41%x\n42>"), _CONTAINER)
