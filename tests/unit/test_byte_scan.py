"""kyso.pdf.byte_scan: signature dictionaries found in bytes no PDF parser can open, and the
verifier's reading of them (``verifier.signatures.find_raw_signatures``).

Hand-made byte strings: no cross-reference table, no trailer, only ``N G obj ... endobj``.
"""

from __future__ import annotations

import mmap
import tempfile

from pyhanko.pdf_utils import generic

from kyso.pdf import hex_strings
from kyso.pdf.byte_scan import MAX_CANDIDATES, scan_signature_dictionaries
from verifier.signatures import find_raw_signatures

hex_strings.install()  # as the server does at start-up

_SIG = b"<< /Type /Sig /SubFilter /adbe.pkcs7.detached /ByteRange [0 %d %d %d] /Contents <%s> >>"


def _sig(num: int, br: tuple[int, int, int] = (10, 30, 40), contents: bytes = b"3000") -> bytes:
    body = _SIG % (*br, contents)
    return b"%d 0 obj\n%s\nendobj\n" % (num, body)


def test_one_signature_dictionary() -> None:
    data = b"%PDF-1.7 garbage, no xref\n" + _sig(7, (100, 200, 50), b"3003020100") + b"%%EOF"
    (found,) = find_raw_signatures(data)
    assert found.index == 0
    assert found.byte_range == [0, 100, 200, 50]
    assert found.contents == bytes.fromhex("3003020100")
    assert found.sub_filter == "/adbe.pkcs7.detached"
    assert found.sig_ref == generic.Reference(7, 0)


def test_file_order_and_indexes() -> None:
    data = _sig(3, (10, 20, 5)) + b"junk " * 10 + _sig(1, (11, 21, 6))
    found = find_raw_signatures(data)
    assert [f.byte_range for f in found] == [[0, 10, 20, 5], [0, 11, 21, 6]]
    assert [f.index for f in found] == [0, 1]
    assert [f.sig_ref for f in found] == [generic.Reference(3, 0), generic.Reference(1, 0)]


def test_the_same_dictionary_written_again_by_a_later_update_is_one_signature() -> None:
    assert len(find_raw_signatures(_sig(5) + _sig(5) + _sig(9))) == 1


def test_a_byte_range_outside_any_object_is_ignored() -> None:
    loose = _SIG % (1, 2, 3, b"3000")
    assert find_raw_signatures(b"%PDF-1.7\n" + loose) == []
    closed = b"1 0 obj\n<< /A 1 >>\nendobj\n" + loose  # the nearest keyword is endobj
    assert find_raw_signatures(closed) == []


def test_an_inline_signature_dictionary_in_a_field_has_no_reference() -> None:
    field = b"4 0 obj\n<< /FT /Sig /T (Sig1) /V %s >>\nendobj\n" % (_SIG % (1, 2, 3, b"3000"))
    (found,) = find_raw_signatures(field)
    assert found.byte_range == [0, 1, 2, 3]
    assert found.sig_ref is None


def test_dictionaries_without_a_direct_byte_range_array_or_contents_string() -> None:
    data = (
        b"1 0 obj\n<< /ByteRange 5 0 R /Contents <00> >>\nendobj\n"
        b"2 0 obj\n<< /ByteRange [0 1 2 3] /Contents 6 0 R >>\nendobj\n"
        b"3 0 obj\n<< /ByteRange [0 1 2 3] >>\nendobj\n"
    )
    assert find_raw_signatures(data) == []


def test_unreadable_candidates_are_skipped_not_raised() -> None:
    data = (
        b"1 0 obj\n<< /ByteRange [0 1 2 3] /Contents <zz> >>\nendobj\n"  # bad hex string
        b"2 0 obj\n[ /ByteRange ]\nendobj\n"  # not a dictionary
        b"3 0 obj\n<< /ByteRange [0 1 2 3] /Contents <00" + _sig(4)  # cut off
    )
    found = find_raw_signatures(data)
    assert [f.sig_ref for f in found] == [generic.Reference(4, 0)]


def test_problems_are_recorded_not_raised() -> None:
    (found,) = find_raw_signatures(_sig(1, contents=b"0102"))  # not DER
    assert "CONTENTS" in found.problems


def test_the_number_of_candidates_is_bounded() -> None:
    data = b"".join(_sig(n, (n, n + 1, 1)) for n in range(1, MAX_CANDIDATES + 20))
    assert len(find_raw_signatures(data)) == MAX_CANDIDATES


def test_reads_a_memory_map_as_bytes() -> None:
    data = b"%PDF-1.7\n" + _sig(2, (5, 6, 7)) + b"%%EOF\n"
    with tempfile.TemporaryFile() as spool:
        spool.write(data)
        spool.flush()
        with mmap.mmap(spool.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            (found,) = find_raw_signatures(mapped)
    assert found.byte_range == [0, 5, 6, 7]


# -- the scan itself, with a reader of the caller's own --------------------------------------

_PLAIN_SIG = b"<< /Type /Sig /ByteRange [0 10 20 30] /Contents <3003020101> >>"
_DOC = (
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    b"5 0 obj\n" + _PLAIN_SIG + b"\nendobj\n"
    b"6 0 obj\n<< /FT /Sig /V << /ByteRange [0 1 2 3] /Contents (x) >> >>\nendobj\n"
    b"5 0 obj\n" + _PLAIN_SIG + b"\nendobj\n"  # the same dictionary written again by an update
    b"7 0 obj\n<< /ByteRange [0 1 2 3] >>\nendobj\n"  # no /Contents: not a signature
    b"xref\nbroken"
)


def _read(
    index: int, sig: generic.DictionaryObject, ref: generic.Reference | None
) -> tuple[int, tuple[int, ...], bytes, tuple[int, int] | None]:
    byte_range = tuple(int(v) for v in sig["/ByteRange"])
    where = (ref.idnum, ref.generation) if ref is not None else None
    return index, byte_range, sig["/Contents"].original_bytes, where


def test_finds_each_signature_once_in_file_order() -> None:
    found = scan_signature_dictionaries(_DOC, _read, key=lambda f: (f[1], f[2]))
    assert found == [
        (0, (0, 10, 20, 30), b"0\x03\x02\x01\x01", (5, 0)),
        (1, (0, 1, 2, 3), b"x", None),  # written inside its field: no reference of its own
    ]


def test_a_candidate_the_reader_refuses_is_skipped() -> None:
    def refuse_direct(
        index: int, sig: generic.DictionaryObject, ref: generic.Reference | None
    ) -> tuple[int, tuple[int, ...], bytes, tuple[int, int] | None]:
        if ref is None:
            raise ValueError("not ours")
        return _read(index, sig, ref)

    found = scan_signature_dictionaries(_DOC, refuse_direct, key=lambda f: (f[1], f[2]))
    assert [f[3] for f in found] == [(5, 0)]
