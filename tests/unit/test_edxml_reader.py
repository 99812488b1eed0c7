"""The edXML reader on packages built from edxml.md's shape (tests/edxml_packages.py)."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import pytest

from kyso.edxml.attachments import (
    Base64Stream,
    ContentLimits,
    ContentTooLarge,
    count_replacement_runs,
    detect_type,
)
from kyso.edxml.model import Family, Refusal
from kyso.edxml.reader import ReaderLimits, read_package
from tests.edxml_packages import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    LEGACY_EDOC,
    PLACEHOLDER_SIGNATURE,
    STATUS_03,
    File,
    package,
    zipped,
)

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40
LIMITS = ReaderLimits(5, ContentLimits(1 << 20, 1 << 20, 1 << 16))


def _read(data: bytes, limits: ReaderLimits = LIMITS):  # type: ignore[no-untyped-def]
    p = read_package(data, limits)
    for a in p.attachments:
        if a.data is not None:
            a.data.seek(0)
            a.content = a.data.read()  # type: ignore[attr-defined]
    p.close()
    return p


def test_fixture_a_header_by_name() -> None:
    p = _read(package([File("a.pdf", PDF)]))
    assert p.family is Family.DOCUMENT and not p.lenient and p.refusal is None
    h = p.header
    assert h.sender.organ_id == "000.00.00.H99" and h.sender.email == "vanthu@mau.example.vn"
    assert [r.organ_id for r in h.recipients] == ["000.00.01.H99"]
    assert (h.code_number, h.code_notation, h.place) == ("15", "QĐ-UBND", "Sóc Trăng")
    assert (h.signer_competence, h.signer_position) == ("KT. CHỦ TỊCH", "Phó Chủ tịch")
    assert h.to_places == ["Như trên", "Lưu: VT, VP"]
    assert h.business_doc_type == "0" and h.trace[0].organ_id == "000.00.00.H99"
    assert h.priority == "0" and h.document_id.startswith("000.00.00.H99,")
    (a,) = p.attachments
    assert a.content == PDF and a.size == len(PDF) and a.detected_type == "application/pdf"  # type: ignore[attr-defined]
    assert p.references[0].content_id == a.content_id


def test_order_does_not_matter() -> None:
    """Bussiness before or after TraceHeader, elements in another order: matched by name."""
    data = (
        package([File("a.pdf", PDF)])
        .replace(b"<edXML:SteeringType>1</edXML:SteeringType>", b"")
        .replace(b"<edXML:From>", b"<edXML:SteeringType>2</edXML:SteeringType><edXML:From>", 1)
    )
    h = _read(data).header
    assert h.steering_type == "2" and h.sender.organ_id == "000.00.00.H99"


def test_a_foreign_namespace_is_not_read_as_edxml() -> None:
    data = package([File("a.pdf", PDF)]).replace(
        b"http://www.mic.gov.vn/TBT/QCVN_102_2016", b"http://www.go.vn/eDoc"
    )
    p = _read(data)
    assert p.family is Family.REFUSED and p.refusal is Refusal.NOT_EDXML


def test_zip_of_one_entry_is_unpacked_names_ignored() -> None:
    p = _read(package([zipped("a.pdf", PDF, entry="../../etc/passwd")]))
    (a,) = p.attachments
    assert a.unzipped and a.content == PDF and a.detected_type == "application/pdf"  # type: ignore[attr-defined]


def test_zip_of_two_entries_is_a_problem() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.pdf", PDF)
        z.writestr("b.pdf", PDF)
    p = _read(package([File("a.pdf", buf.getvalue(), "application/zip")]))
    assert "holds 2" in p.attachments[0].zip_problem


def test_zip_bomb_is_capped() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("x.pdf", b"\0" * (4 << 20))  # 4 MiB of zeros, a few KiB packed
    p = _read(package([File("a.pdf", buf.getvalue(), "application/zip")]))
    assert p.refusal is Refusal.ATTACHMENT_TOO_LARGE and "4194304" in p.refusal_detail


def test_attachment_over_the_limit_refuses_the_package() -> None:
    p = _read(package([File("a.pdf", PDF * 200)]))
    assert p.refusal is Refusal.ATTACHMENT_TOO_LARGE


def test_too_many_attachments() -> None:
    p = _read(package([File(f"{i}.pdf", PDF) for i in range(6)]))
    assert p.refusal is Refusal.TOO_MANY_ATTACHMENTS


def test_unbound_prefixes_and_leading_junk_read_leniently() -> None:
    p = _read(package([File("a.pdf", PDF)], unbound=True))
    assert p.lenient and p.family is Family.DOCUMENT and p.attachments[0].content == PDF  # type: ignore[attr-defined]
    p = _read(package([File("a.pdf", PDF)], prolog="1212"))
    assert p.lenient and p.leading_junk == 4 and p.header.code_number == "15"


def test_placeholder_signature_described() -> None:
    p = _read(package([File("a.pdf", PDF)], signature=PLACEHOLDER_SIGNATURE))
    s = p.signature
    assert s.present and s.namespace.endswith("QCVN_102_2016") and s.subject_name == "CN=user05"
    assert s.signature_method.endswith("rsa-sha1") and s.certificate_chars == 11


@pytest.mark.parametrize(
    ("data", "family", "refusal"),
    [
        (STATUS_03, Family.STATUS, None),
        (LEGACY_EDOC, Family.LEGACY_EDOC, Refusal.LEGACY_EDOC),
        (BILLION_LAUGHS, Family.REFUSED, Refusal.ENTITIES),
        (EXTERNAL_ENTITY, Family.REFUSED, Refusal.EXTERNAL),
        (b"<a/>", Family.REFUSED, Refusal.NOT_EDXML),
        (
            b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><b></edXML>',
            Family.REFUSED,
            Refusal.NOT_XML,
        ),
        (b"\x00\x01binary", Family.REFUSED, Refusal.NOT_XML),
    ],
)
def test_families(data: bytes, family: Family, refusal: Refusal | None) -> None:
    p = _read(data)
    assert (p.family, p.refusal) == (family, refusal)
    assert p.size == len(data) and len(p.sha256) == 64


def test_status_fields() -> None:
    s = _read(STATUS_03).status
    assert (s.code, s.response_for_code) == ("03", "15/QĐ-UBND")
    assert s.response_for_document_id.endswith("15/QĐ-UBND")


def test_reads_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "a.edxml"
    path.write_bytes(package([File("a.pdf", PDF)]))
    p = read_package(path, LIMITS)
    try:
        assert p.attachments[0].size == len(PDF)
    finally:
        p.close()


@pytest.mark.parametrize("how", ["open file", "mmap"])
def test_reads_an_open_file_or_a_map_from_its_start(tmp_path: Path, how: str) -> None:
    """What a worker of the cage gets: the spooled IntakeStream file's descriptor (read from
    its start, wherever its offset is), or a map; the same package, hash and size as bytes;
    the lenient retry reads it again."""
    import hashlib
    import mmap

    for data in (package([File("a.pdf", PDF)]), package(unbound=True, prolog="\ufeff ")):
        path = tmp_path / "a.edxml"
        path.write_bytes(data)
        with path.open("rb") as f:
            f.seek(0, 2)  # at its end, as a spool is after writing
            source = f if how == "open file" else mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            p, expected = read_package(source, LIMITS), _read(data)
            try:
                assert p.family is expected.family is Family.DOCUMENT
                assert (p.size, p.sha256) == (len(data), hashlib.sha256(data).hexdigest().upper())
                assert (p.lenient, p.leading_junk) == (expected.lenient, expected.leading_junk)
                assert [a.size for a in p.attachments] == [a.size for a in expected.attachments]
            finally:
                p.close()


def test_base64_stream_pieces_and_errors() -> None:
    text = base64.encodebytes(PDF).decode()
    sink = io.BytesIO()
    s = Base64Stream(sink, 1 << 20)
    for i in range(0, len(text), 7):
        s.feed(text[i : i + 7])
    s.finish()
    assert sink.getvalue() == PDF and not s.error
    bad = Base64Stream(io.BytesIO(), 1 << 20)
    bad.feed("QUJD*REVG")
    bad.finish()
    assert "invalid base64" in bad.error
    with pytest.raises(ContentTooLarge):
        small = Base64Stream(io.BytesIO(), 10)
        small.feed(base64.b64encode(b"x" * 100).decode())
        small.finish()


def test_magic_bytes_and_replacement_runs() -> None:
    assert detect_type(b"PK\x03\x04rest") == "application/zip"
    assert detect_type(b"junk%PDF-1.4") == "application/pdf"
    assert detect_type(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") == "application/x-ole-storage"
    damaged = PDF.decode("utf-8", errors="replace").encode()
    assert count_replacement_runs(io.BytesIO(damaged)) > 100
    assert count_replacement_runs(io.BytesIO(PDF)) == 0
    # a sequence across the 1 MiB read boundary is counted once
    edge = b"a" * ((1 << 20) - 1) + b"\xef\xbf\xbd" + b"b"
    assert count_replacement_runs(io.BytesIO(edge)) == 1
