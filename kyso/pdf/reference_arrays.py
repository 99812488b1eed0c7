"""Arrays of plain references and integers, parsed with one regular expression.

Why: signing tools that keep a document tagged rewrite its structure parent
tree on every signature, ~9,000 references per revision of 50-2026-ND-CP;
pyHanko reads each ``N G R`` byte by byte (~10 us apiece), most of the change
analysis. This reader accepts only a strict canonical subset (``[``,
references ``N G R`` with single spaces, object number ≥ 1, unsigned integers,
separated by space/CR/LF, ``]``) in which pyHanko's reading is unambiguous, and
builds exactly the objects pyHanko would. Anything else (comments, other
whitespace, names, nested values, a truncated array) returns None and the
caller uses pyHanko's parser, so no input is read more leniently than before.
"""

from __future__ import annotations

import re

from pyhanko.pdf_utils import generic

# a reference is at most 18 bytes: pyHanko's 20-byte look-ahead always sees it whole
_ARRAY = re.compile(
    rb"\[[ \r\n]*+"
    rb"(?:(?:[1-9][0-9]{0,9} [0-9]{1,5} R|[0-9]{1,12}+)(?:[ \r\n]++|(?=\])))*+"
    rb"\]"
)
_ELEMENT = re.compile(rb"([0-9]++)(?: ([0-9]++) R)?")


def is_reference_array(data: bytes | memoryview, offset: int) -> bool:
    """True when :func:`read_reference_array` would read an array at ``offset`` (no objects
    built: the analysis must know every new object parses, not what each one says)."""
    return _ARRAY.match(data, offset) is not None


def read_reference_array(
    data: bytes | memoryview, offset: int, container_ref: generic.Reference
) -> generic.ArrayObject | None:
    """The array starting at ``data[offset]`` when it is in the canonical subset, else None."""
    match = _ARRAY.match(data, offset)
    if match is None:
        return None
    handler = container_ref.get_pdf_handler()
    result = generic.ArrayObject()
    for number, generation in _ELEMENT.findall(data, offset, match.end()):
        item: generic.PdfObject
        if generation:
            item = generic.IndirectObject(int(number), int(generation), handler)
        else:
            item = generic.NumberObject(int(number))
        item.container_ref = container_ref
        result.append(item)
    result.container_ref = container_ref
    return result
