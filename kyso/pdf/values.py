"""Small, bounded operations on parsed PDF values (equality, names, refs), and the error the
PDF layer raises when a file's structure is hostile or unreadable.

Generic PDF value reading: pyHanko's objects compare references by target and strings by
decoded text, while a change analysis needs "the same bytes meant the same thing" — references
by number, strings by their original bytes, streams by their encoded data.
"""

from __future__ import annotations

from pyhanko.pdf_utils import generic

from kyso.errors import InvalidInput

ObjectId = tuple[int, int]

MAX_DEPTH = 64


class PdfStructureError(InvalidInput):
    """The revisions of a PDF cannot be walked: broken xref, hostile nesting, limits hit.

    Raised by the revision store, the reference index and :func:`same_value`; the change
    analysis re-exports it as ``verifier.diff_analysis.DiffAnalysisError`` and the verifier
    turns it into INDETERMINATE (kyso cannot tell what changed). Always raised with the code
    ``CHANGE_ANALYSIS_FAILED`` and an English ``problem``.
    """


def ref_of(value: object) -> ObjectId | None:
    """``(number, generation)`` of an indirect reference; None for a direct value."""
    if isinstance(value, generic.IndirectObject):
        return (value.idnum, value.generation)
    return None


def same_value(a: object, b: object, depth: int = 0) -> bool:
    """Structural equality; references compare by number, streams by raw bytes.

    Raises :class:`PdfStructureError` past ``MAX_DEPTH`` levels of nesting (hostile input).
    """
    if depth > MAX_DEPTH:
        raise PdfStructureError("CHANGE_ANALYSIS_FAILED", problem="object nesting too deep")
    if isinstance(a, generic.IndirectObject) or isinstance(b, generic.IndirectObject):
        return ref_of(a) == ref_of(b) and ref_of(a) is not None
    if isinstance(a, generic.StreamObject) or isinstance(b, generic.StreamObject):
        if not (isinstance(a, generic.StreamObject) and isinstance(b, generic.StreamObject)):
            return False
        if a.encoded_data != b.encoded_data:
            return False
        return _same_dict(a, b, depth)
    if isinstance(a, generic.DictionaryObject) or isinstance(b, generic.DictionaryObject):
        if not (
            isinstance(a, generic.DictionaryObject) and isinstance(b, generic.DictionaryObject)
        ):
            return False
        return _same_dict(a, b, depth)
    if isinstance(a, generic.ArrayObject) or isinstance(b, generic.ArrayObject):
        if not (isinstance(a, generic.ArrayObject) and isinstance(b, generic.ArrayObject)):
            return False
        return len(a) == len(b) and all(
            same_value(x, y, depth + 1) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, generic.TextStringObject | generic.ByteStringObject) and isinstance(
        b, generic.TextStringObject | generic.ByteStringObject
    ):
        return bool(a.original_bytes == b.original_bytes)
    if isinstance(a, generic.NullObject) and isinstance(b, generic.NullObject):
        return True
    if isinstance(a, generic.BooleanObject) != isinstance(b, generic.BooleanObject):
        return False
    if type(a) is not type(b) and not (
        isinstance(a, generic.NumberObject | generic.FloatObject)
        and isinstance(b, generic.NumberObject | generic.FloatObject)
    ):
        return False
    return bool(a == b)


def _same_dict(a: generic.DictionaryObject, b: generic.DictionaryObject, depth: int) -> bool:
    keys_a = {k for k in a if k != "/Length"}
    keys_b = {k for k in b if k != "/Length"}
    if keys_a != keys_b:
        return False
    return all(same_value(a.raw_get(k), b.raw_get(k), depth + 1) for k in keys_a)


def changed_keys(old: generic.DictionaryObject, new: generic.DictionaryObject) -> set[str]:
    """Keys whose raw value (references not followed) differs between two dictionaries."""
    keys = set(old) | set(new)
    result = set()
    for key in keys:
        if key not in old or key not in new:
            result.add(key)
        elif not same_value(old.raw_get(key), new.raw_get(key)):
            result.add(key)
    return result


def name_of(value: object) -> str | None:
    """A name object as ``"/Name"``; None for anything else."""
    if isinstance(value, generic.NameObject):
        return str(value)
    return None


def text_of(value: object) -> str | None:
    """A string object as text (byte strings read as Latin-1); None for anything else."""
    if isinstance(value, generic.TextStringObject):
        return str(value)
    if isinstance(value, generic.ByteStringObject):
        return value.original_bytes.decode("latin-1")
    return None


__all__ = [
    "MAX_DEPTH",
    "ObjectId",
    "PdfStructureError",
    "changed_keys",
    "name_of",
    "ref_of",
    "same_value",
    "text_of",
]
