"""asn1crypto's test for the indefinite length form, made exact (installed at start-up).

asn1crypto 1.5.1 takes a parsed value for BER indefinite-length (X.690 §8.1.3.6) when the
*last* octet of its header is 0x80 (wbond/asn1crypto#249, open). A definite long-form length
whose last octet is 0x80 matches too: a 1,152-byte certificate (``30 82 04 80``), one value
in 256 of those above 127 bytes. Every ``dump()`` of such a value then re-encodes its whole
tree, which costs:

* time: 1-3 ms per dump of a certificate; a one-page Verify dumps its signer certificate
  dozens of times (interning, path building, OCSP matching), 3x the whole verification;
* bytes: a value that was valid BER but not DER comes back DER, so a signed structure whose
  encoding changes no longer matches its signature.

The fix reads the header's length octets from its start (explicit tags first, then the value's
own header, X.690 §8.1.2-8.1.3) and keeps asn1crypto's own code for every other case: a value
really indefinite, a forced dump, a mutated value, a header not yet made. asn1crypto is pinned
to the version this was checked against (pyproject.toml).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from asn1crypto import core

_Dump = Callable[[Any, bool], bytes]


def is_indefinite(header: bytes) -> bool:
    """Whether the innermost header in ``header`` uses the indefinite length form.

    ``header`` is asn1crypto's ``_header``: the headers of any explicit tags, then the value's
    own, each tag octets (§8.1.2; 0x1F in the low bits: more octets follow while bit 8 is set)
    then length octets (§8.1.3: 0x80 indefinite, 0x81-0xFE long form, else short form).
    A header that cannot be read is reported indefinite, so asn1crypto re-encodes it as before.
    """
    i, size, indefinite = 0, len(header), False
    while i < size:
        first = header[i]
        i += 1
        if first & 0x1F == 0x1F:
            while i < size and header[i] & 0x80:
                i += 1
            i += 1
        if i >= size:
            return True
        length = header[i]
        i += 1
        indefinite = length == 0x80
        if length > 0x80:
            i += length & 0x7F
    return indefinite if i == size else True


def _definite_0x80(value: Any, force: bool) -> bool:
    """The case asn1crypto gets wrong: not forced, a header ending 0x80 that is definite."""
    header = value._header
    return not force and header is not None and header[-1:] == b"\x80" and not is_indefinite(header)


def _base(original: _Dump) -> _Dump:
    @functools.wraps(original)
    def dump(self: Any, force: bool = False) -> bytes:
        if not _definite_0x80(self, force):
            return original(self, force)
        contents = self.contents  # re-encodes mutated children, then drops the header
        if self._header is None:
            return original(self, False)
        return bytes(self._header + contents + self._trailer)

    return dump


def _delegating(original: _Dump) -> _Dump:
    """Primitive, SequenceOf: their dump forces, then defers to Asn1Value.dump."""

    @functools.wraps(original)
    def dump(self: Any, force: bool = False) -> bytes:
        if not _definite_0x80(self, force):
            return original(self, force)
        return bytes(core.Asn1Value.dump(self))

    return dump


def _sequence(original: _Dump) -> _Dump:
    @functools.wraps(original)
    def dump(self: Any, force: bool = False) -> bytes:
        if not _definite_0x80(self, force) or _missing_field(self):
            return original(self, force)  # asn1crypto raises for the missing field
        return bytes(core.Asn1Value.dump(self))

    return dump


def _missing_field(seq: Any) -> bool:
    if not seq._fields or seq.children is None:
        return False
    return any(
        seq.children[index] is core.VOID and "default" not in params and "optional" not in params
        for index, (_, _, params) in enumerate(seq._fields)
    )


def _choice(original: _Dump) -> _Dump:
    @functools.wraps(original)
    def dump(self: Any, force: bool = False) -> bytes:
        if not _definite_0x80(self, force):
            return original(self, force)
        self._contents = self.chosen.dump()
        return bytes(self._header + self._contents)

    return dump


_PATCHES: tuple[tuple[type, Callable[[_Dump], _Dump]], ...] = (
    (core.Asn1Value, _base),
    (core.Primitive, _delegating),
    (core.SequenceOf, _delegating),
    (core.Sequence, _sequence),
    (core.Choice, _choice),
)


def install() -> None:
    """Put the exact test into asn1crypto's five ``dump`` methods (idempotent)."""
    for cls, wrap in _PATCHES:
        original = cls.__dict__["dump"]
        if getattr(original, "_kyso_exact_length", False):
            continue
        patched = wrap(original)
        patched._kyso_exact_length = True  # type: ignore[attr-defined]
        setattr(cls, "dump", patched)  # noqa: B010  -- a class attribute replaced at start-up


__all__ = ["install", "is_indefinite"]
