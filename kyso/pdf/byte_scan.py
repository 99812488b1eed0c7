"""Byte-level fallback: signature dictionaries of a PDF that pyHanko cannot open.

Why: a file whose signed bytes were corrupted often breaks the cross-reference
structure too, and then no parser reaches its signature fields.  Whether the
bytes under a ``/ByteRange`` still hash to the signed digest does not depend on
that structure, so a mismatch found here is a certain failure.  A match proves
nothing about what was added or changed, which is why the verifier never lets
a signature found this way pass (see ``verifier.validation``).

Bounded by construction: one linear pass finds the ``obj`` keywords, at most
``_MAX_SCANNED`` ``/ByteRange`` occurrences are looked at and at most
``MAX_CANDIDATES`` dictionaries are returned; each is read by pyHanko's object
parser from its ``N G obj`` header (no backtracking regular expressions).
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Callable, Hashable
from io import BytesIO
from typing import Any, TypeVar

from pyhanko.pdf_utils import generic

log = logging.getLogger("kyso.verifier.raw")

MAX_CANDIDATES = 64
_MAX_SCANNED = 1024
_MAX_DEPTH = 4  # nested dictionaries looked into (a /Sig dictionary written inline in a field)
_OBJ = re.compile(rb"obj")
_BYTE_RANGE = re.compile(rb"/ByteRange")
_HEADER = re.compile(rb"(\d{1,10})[\x00\t\n\x0c\r ]+(\d{1,5})[\x00\t\n\x0c\r ]+$")
_WHITESPACE = b"\x00\t\n\x0c\r "

_T = TypeVar("_T")


class _NoResolution:
    """Container reference for parsed objects: nothing read here is ever dereferenced."""

    def get_pdf_handler(self) -> None:
        return None


def _object_start(data: Any, obj_positions: list[int], pos: int) -> tuple[int, int, int] | None:
    """(object number, generation, offset after ``obj``) of the object holding ``pos``."""
    i = bisect.bisect_left(obj_positions, pos) - 1
    if i < 0:
        return None
    at = obj_positions[i]
    if at >= 3 and bytes(data[at - 3 : at]) == b"end":
        return None  # the nearest keyword closes an object: ``pos`` is outside any object
    m = _HEADER.search(bytes(data[max(0, at - 24) : at]))
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2)), at + 3


def _signature_dicts(obj: Any, depth: int = 0) -> list[generic.DictionaryObject]:
    """Dictionaries with a direct /ByteRange array and a direct /Contents string."""
    if depth > _MAX_DEPTH or not isinstance(obj, generic.DictionaryObject):
        return []
    out: list[generic.DictionaryObject] = []
    br = obj.get("/ByteRange") if "/ByteRange" in obj else None
    contents = obj.get("/Contents") if "/Contents" in obj else None
    if isinstance(br, generic.ArrayObject) and isinstance(
        contents, generic.ByteStringObject | generic.TextStringObject
    ):
        out.append(obj)
    for value in obj.values():
        if isinstance(value, generic.DictionaryObject):
            out.extend(_signature_dicts(value, depth + 1))
    return out


def scan_signature_dictionaries(
    data: Any,
    read: Callable[[int, generic.DictionaryObject, generic.Reference | None], _T],
    key: Callable[[_T], Hashable],
) -> list[_T]:
    """Signature dictionaries found by scanning ``data`` (bytes or mmap), in file order.

    ``read(index, dictionary, reference)`` turns a candidate into the caller's signature
    (raising: not a signature; ``reference`` is None for a dictionary written inside
    another); candidates with an equal ``key`` (the same dictionary written again by a later
    update) count once.
    """
    obj_positions = [m.start() for m in _OBJ.finditer(data)]
    stream = BytesIO(data) if isinstance(data, bytes) else data
    seen: set[int] = set()
    signatures: set[Hashable] = set()
    result: list[_T] = []
    for scanned, m in enumerate(_BYTE_RANGE.finditer(data)):
        if scanned >= _MAX_SCANNED or len(result) >= MAX_CANDIDATES:
            break
        start = _object_start(data, obj_positions, m.start())
        if start is None or start[2] in seen:
            continue
        num, gen, body = start
        seen.add(body)
        try:
            stream.seek(body)
            c = stream.read(1)
            while c and c in _WHITESPACE:
                c = stream.read(1)
            if c != b"<":
                continue
            stream.seek(-1, 1)
            obj = generic.read_object(stream, _NoResolution())  # type: ignore[arg-type]
        except Exception as exc:  # hostile bytes: this candidate is simply not readable
            log.info("raw signature candidate at %d unreadable: %s", body, type(exc).__name__)
            continue
        for d in _signature_dicts(obj):
            if len(result) >= MAX_CANDIDATES:
                break
            ref = generic.Reference(num, gen) if d is obj else None
            try:
                found = read(len(result), d, ref)
            except Exception as exc:
                log.info("raw signature dictionary unreadable: %s", type(exc).__name__)
                continue
            found_key = key(found)
            if found_key in signatures:
                continue  # the same dictionary written again by a later update: one signature
            signatures.add(found_key)
            result.append(found)
    return result


__all__ = ["MAX_CANDIDATES", "scan_signature_dictionaries"]
