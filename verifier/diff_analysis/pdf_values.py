"""Small, bounded operations on parsed PDF values (equality, names, refs)."""

from __future__ import annotations

from pyhanko.pdf_utils import generic

from verifier.diff_analysis.model import DiffAnalysisError

ObjectId = tuple[int, int]

MAX_DEPTH = 64


def ref_of(value: object) -> ObjectId | None:
    if isinstance(value, generic.IndirectObject):
        return (value.idnum, value.generation)
    return None


def same_value(a: object, b: object, depth: int = 0) -> bool:
    """Structural equality; references compare by number, streams by raw bytes."""
    if depth > MAX_DEPTH:
        raise DiffAnalysisError("Object nesting too deep", "Cấu trúc đối tượng lồng quá sâu")
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
    if isinstance(value, generic.NameObject):
        return str(value)
    return None


def text_of(value: object) -> str | None:
    if isinstance(value, generic.TextStringObject):
        return str(value)
    if isinstance(value, generic.ByteStringObject):
        return value.original_bytes.decode("latin-1")
    return None
