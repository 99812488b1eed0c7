"""Bounds on the work of reading one untrusted PDF, and the record of which bound was hit.

pyHanko 0.38 bounds stream decoding (:class:`pyhanko.pdf_utils.decode_limits.DecodeLimits`);
kyso tightens those bounds from its settings (:func:`decode_limits`) and adds the ones pyHanko
does not have: the length of a hex string before it is decoded (a signature's ``/Contents``)
and, in :mod:`kyso.pdf.revisions`, how far an object stream's header is split.  The bounds of
the request being served live in a context variable (:func:`applied`), because the parser hooks
that enforce them (:mod:`kyso.pdf.hex_strings`) are module-level functions shared by every
request thread; each thread and each ``asyncio.run`` sees its own.

Every bound that stops work is recorded by its setting's name (:func:`record`), so the
verifier can name it in the report (robustness issue 9, "limits, all configurable, all named").
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from pyhanko.pdf_utils.decode_limits import (
    DEFAULT_PURPOSE_LIMITS,
    DecodeLimits,
    DecodePurpose,
    DocumentDecodeBudget,
    StreamDecodeLimits,
)

MiB = 1024 * 1024


@dataclass(frozen=True)
class ParseLimits:
    """The parsing bounds of one request; the field names are the ``[verifier]`` settings'."""

    max_stream_decoded_bytes: int = 64 * MiB
    max_object_stream_decoded_bytes: int = 32 * MiB
    max_decoded_bytes: int = 512 * MiB
    max_contents_bytes: int = 8 * MiB  # length of a hex string before decoding
    max_objects: int = 250_000  # objects a cross-reference section may declare (/Size)


@dataclass
class _Applied:
    limits: ParseLimits
    hits: set[str] = field(default_factory=set)


_CURRENT: contextvars.ContextVar[_Applied | None] = contextvars.ContextVar(
    "kyso_parse_limits", default=None
)


@contextlib.contextmanager
def applied(limits: ParseLimits) -> Iterator[set[str]]:
    """Apply ``limits`` to the parsing done in this context; yields the set of hit names."""
    state = _Applied(limits)
    token = _CURRENT.set(state)
    try:
        yield state.hits
    finally:
        _CURRENT.reset(token)


def current() -> ParseLimits:
    """The limits applied in this context (the defaults outside :func:`applied`)."""
    state = _CURRENT.get()
    return state.limits if state is not None else _DEFAULT


def record(name: str) -> None:
    """Note that the limit ``name`` stopped some work (no-op outside :func:`applied`)."""
    state = _CURRENT.get()
    if state is not None:
        state.hits.add(name)


def hit() -> frozenset[str]:
    """The names of the limits hit so far in this context."""
    state = _CURRENT.get()
    return frozenset(state.hits) if state is not None else frozenset()


_SIZE = re.compile(rb"/Size[\x00\t\n\x0c\r ]*(\d{1,15})")


def declared_objects(data: object) -> int:
    """The largest ``/Size`` any trailer or cross-reference stream of ``data`` declares.

    One linear regular-expression pass over the bytes (``data``: bytes, memoryview or mmap),
    done before pyHanko reads the cross-reference data: pyHanko 0.38 spends about 20 s on a
    cross-reference stream of a million entries.  0 when there is none.
    """
    largest = 0
    for m in _SIZE.finditer(data):  # type: ignore[call-overload]
        largest = max(largest, int(m.group(1)))
    return largest


def decode_limits(limits: ParseLimits) -> DecodeLimits:
    """pyHanko's decoding limits, tightened by ``limits`` (never loosened).

    Object streams keep pyHanko's ratio bound (100:1 above 4 MiB) under
    ``max_object_stream_decoded_bytes``; every stream is under ``max_stream_decoded_bytes``;
    all decoding of the document together under ``max_decoded_bytes``.
    """
    per_purpose = dict(DEFAULT_PURPOSE_LIMITS)
    objstm = per_purpose[DecodePurpose.OBJECT_STREAM]
    per_purpose[DecodePurpose.OBJECT_STREAM] = StreamDecodeLimits(
        max_ratio=objstm.max_ratio,
        ratio_floor=objstm.ratio_floor,
        max_output_size=min(
            objstm.max_output_size or limits.max_object_stream_decoded_bytes,
            limits.max_object_stream_decoded_bytes,
        ),
    )
    generic = StreamDecodeLimits()
    return DecodeLimits(
        per_stream=StreamDecodeLimits(
            max_ratio=generic.max_ratio,
            ratio_floor=generic.ratio_floor,
            max_output_size=min(
                generic.max_output_size or limits.max_stream_decoded_bytes,
                limits.max_stream_decoded_bytes,
            ),
        ),
        per_purpose=per_purpose,
        document_budget=DocumentDecodeBudget(base_allowance=limits.max_decoded_bytes, max_ratio=0),
    )


_DEFAULT = ParseLimits()

__all__ = [
    "ParseLimits",
    "applied",
    "current",
    "declared_objects",
    "decode_limits",
    "hit",
    "record",
]
