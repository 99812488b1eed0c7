"""Parsing limits (kyso.pdf.parse_limits) and the quoting of caller input in errors."""

from __future__ import annotations

from io import BytesIO

import pytest
from pyhanko.pdf_utils.misc import PdfStreamError

from kyso.errors import Composed, InvalidInput, NotFound, quoted
from kyso.pdf import hex_strings, parse_limits
from kyso.pdf.parse_limits import ParseLimits


def test_declared_objects_is_the_largest_size() -> None:
    data = b"trailer << /Size 12 >> ... << /Type /XRef /Size\n300000 /W [1 2 1] >>"
    assert parse_limits.declared_objects(data) == 300000
    assert parse_limits.declared_objects(b"%PDF-1.7 no trailer") == 0


def test_long_hex_string_is_refused_before_decoding() -> None:
    limits = ParseLimits(max_contents_bytes=64 * 1024)
    with parse_limits.applied(limits) as hits:
        ok = hex_strings.read_hex_string_from_stream(BytesIO(b"<" + b"00" * 1000 + b">"))
        assert len(ok) == 1000
        with pytest.raises(PdfStreamError):
            hex_strings.read_hex_string_from_stream(BytesIO(b"<" + b"0" * 200_000 + b">"))
    assert hits == {"max_contents_bytes"}
    assert parse_limits.hit() == frozenset()  # outside the context: nothing recorded


def test_decode_limits_never_loosen_pyhanko() -> None:
    tight = parse_limits.decode_limits(ParseLimits(max_object_stream_decoded_bytes=1 << 20))
    from pyhanko.pdf_utils.decode_limits import DecodePurpose

    assert tight.per_purpose[DecodePurpose.OBJECT_STREAM].max_output_size == 1 << 20
    loose = parse_limits.decode_limits(ParseLimits(max_object_stream_decoded_bytes=1 << 30))
    assert loose.per_purpose[DecodePurpose.OBJECT_STREAM].max_output_size == 64 << 20


def test_caller_input_is_quoted_briefly() -> None:
    err = NotFound("KEY_NOT_FOUND", key="k" * 1_000_000)
    assert len(err.message_en) < 400 and len(err.message_vi) < 400
    assert quoted("a\nb\x1b\u2028") == "a\\x0ab\\x1b\\x2028"
    assert quoted("x" * 300).endswith("…")
    assert quoted(42) == 42
    long_own_text = Composed("; ".join(f"key{i}: required" for i in range(40)))
    err = InvalidInput("CONFIG_INVALID", problem=long_own_text)
    assert "key39: required" in err.message_en
