"""The regex reader of plain reference arrays reads exactly what pyHanko's parser reads.

It must never accept what pyHanko would read differently or refuse: every accepted input is
compared with pyHanko's own result, on hand-made edge cases and on every array stored in the
object streams of the shared corpus.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.xref import ObjStreamRef

from kyso.pdf.reference_arrays import is_reference_array, read_reference_array
from kyso.pdf.revisions import RevisionStore
from kyso.pdf.values import PdfStructureError

_CONTAINER = generic.Reference(7, 0, None)


def _pyhanko(data: bytes, offset: int = 0) -> object:
    stream = BytesIO(data)
    stream.seek(offset)
    try:
        return generic.read_object(stream, _CONTAINER)
    except (misc.PdfError, ValueError) as exc:
        return exc


def _plain(value: object) -> object:
    if isinstance(value, generic.IndirectObject):
        return ("R", value.idnum, value.generation)
    if isinstance(value, generic.ArrayObject):
        return [_plain(v) for v in value]
    return (type(value).__name__, value)


def _assert_same(data: bytes, offset: int = 0) -> bool:
    """Compare with pyHanko; True when the fast reader accepted the input."""
    fast = read_reference_array(data, offset, _CONTAINER)
    assert is_reference_array(data, offset) is (fast is not None)
    if fast is None:
        return False
    expected = _pyhanko(data, offset)
    assert isinstance(expected, generic.ArrayObject), (data, expected)
    assert _plain(fast) == _plain(expected)
    assert all(type(a) is type(b) for a, b in zip(fast, expected, strict=True))
    assert fast.container_ref == _CONTAINER
    assert all(v.container_ref == _CONTAINER for v in fast)
    return True


@pytest.mark.parametrize(
    "data",
    [
        b"[]",
        b"[ ]",
        b"[1 0 R]",
        b"[\r\n12 0 R 13 0 R\n14 2 R ]",
        b"[0 1 2 3]",
        b"[12 0 5]",
        b"[5 0 R 7]",
        b"[007 9]",
        b"[1234567890 12345 R]",
    ],
)
def test_canonical_arrays_read_as_pyhanko_reads_them(data: bytes) -> None:
    assert _assert_same(data)


@pytest.mark.parametrize(
    "data",
    [
        b"[0 0 R]",  # object 0 is refused by pyHanko
        b"[01 0 R]",  # leading zero: pyHanko's reading of it is not ours to guess
        b"[1  0 R]",  # several spaces inside a reference
        b"[1\t0 R]",
        b"[1\n0 R]",
        b"[1 0\nR]",
        b"[1 0 Rx]",
        b"[1 0 R/Name]",
        b"[1 0 R%comment\n]",
        b"[1 0 R",  # truncated
        b"[1 0 R\x00]",
        b"[-1 2]",
        b"[+1 2]",
        b"[1.5 2]",
        b"[[1 0 R]]",
        b"[(1 0 R)]",
        b"[<00>]",
        b"[12345678901 0 R]",
        b"[1 123456 R]",
        b"[1234567890123]",
        b"[1 0 R true]",
        b"[null]",
        b" [1 0 R]",
        b"<< /K [1 0 R] >>",
    ],
)
def test_anything_else_is_left_to_pyhanko(data: bytes) -> None:
    assert not _assert_same(data)


def test_offset_inside_a_larger_buffer() -> None:
    data = b"<< /A 1 >> [3 0 R 4 0 R] 99"
    assert _assert_same(data, data.index(b"["))


def test_every_array_in_the_corpus_object_streams(corpus_dir: Path) -> None:
    accepted = 0
    for path in sorted(corpus_dir.rglob("*.pdf")):
        try:
            reader = PdfFileReader(BytesIO(path.read_bytes()), strict=False)
            store = RevisionStore(reader)
        except Exception:  # unreadable corpus files are other tests' business
            continue
        seen: set[int] = set()
        for rev in range(store.revision_count):
            for ref in store.changed_refs(rev):
                marker = store.location(ref, rev)
                if not isinstance(marker, ObjStreamRef):
                    continue
                loc = store.location((marker.obj_stream_id, 0), rev)
                if not isinstance(loc, int) or loc in seen:
                    continue
                seen.add(loc)
                try:
                    data, offsets = store.objstm_contents(marker.obj_stream_id, loc)
                except PdfStructureError:
                    continue
                for offset in offsets.values():
                    if data[offset : offset + 1] == b"[":
                        accepted += _assert_same(data, offset)
    assert accepted > 100  # 50-2026-ND-CP alone stores ~200
