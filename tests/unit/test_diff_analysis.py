"""Changes after signing: the shared corpus and documents modified at run time.

Every signature is located the way the verifier does it (ByteRange end →
revision) and judged with ``changes_after``; attacks must come out OTHER (or a
permission violation, or an analysis error the verifier turns into
INDETERMINATE), valid documents must not.
"""

from __future__ import annotations

import datetime
import re
import time
from io import BytesIO
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore

from tests.integration.documents import make_pdf
from verifier.diff_analysis import (
    ChangeKind,
    ChangeSummary,
    DiffAnalysisError,
    ModificationLevel,
    analyse_document,
)

_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def _summaries(data: bytes) -> list[ChangeSummary]:
    """One summary per distinct signed revision, as the verifier will ask for them."""
    reader = PdfFileReader(BytesIO(data), strict=False)
    analysis = analyse_document(reader)
    ends = sorted({int(m.group(3)) + int(m.group(4)) for m in _BYTE_RANGE.finditer(data)})
    result = []
    for end in ends:
        if end > len(data):
            continue
        revision = analysis.revision_of_offset(end)
        result.append(analysis.changes_after(revision))
    return result


# -- corpus ---------------------------------------------------------------

VALID = {
    "eu-dss/PAdES-LT.pdf": ModificationLevel.FORM_FILLING,
    "eu-dss/hello_signed_INCSAVE_signed.pdf": ModificationLevel.FORM_FILLING,
    "eu-dss/pades-t-level-extended.pdf": ModificationLevel.LTA_UPDATES,
    # only an annotation after the signature: reported, never OTHER (policy decides)
    "eu-dss/pades-signed-annot-added.pdf": ModificationLevel.ANNOTATIONS,
    "pyhanko/form-update-override-appearance-stream.pdf": ModificationLevel.FORM_FILLING,
    "pyhanko/minimal-signed-twice-both-created.pdf": ModificationLevel.FORM_FILLING,
    "rub-pdf-tester/02_Test_cert_p2_sign_original.pdf": ModificationLevel.FORM_FILLING,
    "vn-gov-vgca/199-ndcp.signed.pdf": ModificationLevel.NONE,
    "vn-gov-vgca/49-2026-ND-CP.pdf": ModificationLevel.NONE,
    "vn-gov-vgca/970-ttg.signed.pdf": ModificationLevel.NONE,
    "vn-gov-vgca/50-2026-ND-CP.pdf": ModificationLevel.FORM_FILLING,
    "vn-gov-vgca/QD2179-BKHCN-6sig.pdf": ModificationLevel.FORM_FILLING,
    "vn-gov-vgca/BC884-UBVHXH15-3sig.pdf": ModificationLevel.FORM_FILLING,
}

ATTACKS_OTHER = [
    "eu-dss/pdf-removed-pages.pdf",
    "eu-dss/dss-2236/annotation-and-visible-change.pdf",
    "pyhanko/form-update-override-appearance-stream-sneaky.pdf",
    "rub-shadow-pdfinsecurity-demo/hide-shadow-file-signed.pdf",
    "rub-shadow-pdfinsecurity-demo/replace-shadow-file-signed-manipulated.pdf",
    "rub-shadow-pdfinsecurity-demo/hide-and-replace-shadow-file-signed-2.pdf",
    "rub-usf-isa-swa/isa_B.pdf",
    "rub-usf-isa-swa/isa_C.pdf",
    "rub-usf-isa-swa/isa_G.pdf",
]

# incremental saving attacks whose appended update is so broken that either the
# reader or the change analysis refuses the file (the verifier: INDETERMINATE)
ATTACKS_ANY_REFUSAL = [f"rub-usf-isa-swa/isa_{v}.pdf" for v in "ADEFHI"]


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_corpus_documents_are_not_flagged(name: str, corpus_dir: Path) -> None:
    summaries = _summaries((corpus_dir / name).read_bytes())
    assert summaries
    first = summaries[0]
    assert first.level == VALID[name], [c.description_en for c in first.changes]
    for summary in summaries:
        assert summary.level < ModificationLevel.OTHER
        assert not summary.docmdp_violated, summary.violations
        assert not summary.fieldmdp_violated


@pytest.mark.parametrize(
    "name",
    [
        "vn-gov-vgca/50-2026-ND-CP.pdf",
        "vn-gov-vgca/QD2179-BKHCN-6sig.pdf",
        "vn-gov-vgca/BC884-UBVHXH15-3sig.pdf",
    ],
)
def test_government_multi_signature_documents_only_add_signatures(
    name: str, corpus_dir: Path
) -> None:
    summaries = _summaries((corpus_dir / name).read_bytes())
    assert len(summaries) >= 3
    for summary in summaries:
        assert summary.only_signatures_added, summary.summary_en
        assert summary.summary_vi in ("Chỉ thêm chữ ký số", "Không có thay đổi sau khi ký")
    added = [c for c in summaries[0].changes if c.kind == ChangeKind.SIGNATURE_ADDED]
    assert len(added) == len(summaries) - 1


@pytest.mark.parametrize("name", ATTACKS_OTHER)
def test_attacks_are_other(name: str, corpus_dir: Path) -> None:
    summaries = _summaries((corpus_dir / name).read_bytes())
    assert any(s.level == ModificationLevel.OTHER for s in summaries)
    flagged = [c for s in summaries for c in s.changes if c.level == ModificationLevel.OTHER]
    assert all(c.description_vi for c in flagged)


@pytest.mark.parametrize("name", ATTACKS_ANY_REFUSAL)
def test_broken_incremental_saving_attacks_never_pass(name: str, corpus_dir: Path) -> None:
    data = (corpus_dir / name).read_bytes()
    try:
        summaries = _summaries(data)
    except (DiffAnalysisError, PdfReadError):
        return
    assert any(s.level == ModificationLevel.OTHER or s.docmdp_violated for s in summaries)


def test_sneaky_appearance_override_names_the_shared_stream(corpus_dir: Path) -> None:
    data = (corpus_dir / "pyhanko/form-update-override-appearance-stream-sneaky.pdf").read_bytes()
    kinds = {c.kind for s in _summaries(data) for c in s.changes}
    assert ChangeKind.APPEARANCE_REPLACED in kinds


# Measured in-process: ~0.001 s (pades_infinite_loop) and ~0.025 s (siwa_C); the bound is
# generous for loaded CI cores, and a loop or runaway recursion fails it.
HOSTILE_SECONDS = 1.0


@pytest.mark.parametrize("name", ["eu-dss/pades_infinite_loop.pdf", "rub-usf-isa-swa/siwa_C.pdf"])
def test_hostile_files_are_refused_or_flagged_in_time(name: str, corpus_dir: Path) -> None:
    """The change analysis of a file built to loop (an xref chain past EOF, a page-tree cycle)
    ends in time with a refusal the verifier turns into INDETERMINATE (a
    :class:`DiffAnalysisError` or pyHanko's :class:`PdfReadError`) or with changes flagged OTHER;
    never a clean summary, never another exception. The verdict through the server is checked
    by ``tests/corpus/test_corpus.py::test_hostile_corpus_files_terminate``."""
    data = (corpus_dir / name).read_bytes()
    started = time.monotonic()
    try:
        summaries = _summaries(data)
    except (DiffAnalysisError, PdfReadError):
        summaries = None
    elapsed = time.monotonic() - started
    assert elapsed < HOSTILE_SECONDS, f"{name} took {elapsed:.2f} s"
    if summaries is not None:
        assert any(s.level == ModificationLevel.OTHER or s.docmdp_violated for s in summaries)


# -- documents modified at run time ---------------------------------------


@pytest.fixture(scope="module")
def signer() -> signers.SimpleSigner:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kyso diff-analysis test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=None,  # type: ignore[arg-type]
    )


def _sign(
    data: bytes,
    signer: signers.SimpleSigner,
    field: str,
    certify: bool = False,
    permission: MDPPerm = MDPPerm.FILL_FORMS,
) -> bytes:
    meta = signers.PdfSignatureMetadata(
        field_name=field, certify=certify, docmdp_permissions=permission
    )
    out = signers.sign_pdf(IncrementalPdfFileWriter(BytesIO(data), strict=False), meta, signer)
    return out.getvalue()


@pytest.fixture(scope="module")
def signed(signer: signers.SimpleSigner) -> bytes:
    return _sign(make_pdf(["Quyết định số 1", "Nội dung gốc"], pages=2), signer, "Sig1")


def _only(data: bytes) -> ChangeSummary:
    reader = PdfFileReader(BytesIO(data), strict=False)
    analysis = analyse_document(reader)
    first_end = min(int(m.group(3)) + int(m.group(4)) for m in _BYTE_RANGE.finditer(data))
    return analysis.changes_after(analysis.revision_of_offset(first_end))


def _kinds(summary: ChangeSummary) -> set[ChangeKind]:
    return {c.kind for c in summary.changes}


def test_untouched_signature_has_no_changes(signed: bytes) -> None:
    summary = _only(signed)
    assert summary.level == ModificationLevel.NONE
    assert summary.summary_vi == "Không có thay đổi sau khi ký"


def test_second_signature_is_allowed(signed: bytes, signer: signers.SimpleSigner) -> None:
    summary = _only(_sign(signed, signer, "Sig2"))
    assert summary.level == ModificationLevel.FORM_FILLING
    assert summary.only_signatures_added
    assert ChangeKind.SIGNATURE_ADDED in _kinds(summary)


def test_dss_update_is_allowed(signed: bytes, signer: signers.SimpleSigner) -> None:
    out = BytesIO(signed)
    reader = PdfFileReader(BytesIO(signed), strict=False)
    contents = reader.embedded_signatures[0].pkcs7_content
    DocumentSecurityStore.add_dss(
        out, contents, certs=[signer.signing_cert], force_write=True, strict=False
    )
    summary = _only(out.getvalue())
    assert summary.level == ModificationLevel.LTA_UPDATES
    assert ChangeKind.DSS_UPDATED in _kinds(summary)


def test_document_timestamp_is_allowed(signed: bytes, signer: signers.SimpleSigner) -> None:
    stamper = DummyTimeStamper(
        tsa_cert=signer.signing_cert, tsa_key=signer.signing_key, certs_to_embed=None
    )
    out = signers.PdfTimeStamper(stamper).timestamp_pdf(
        IncrementalPdfFileWriter(BytesIO(signed), strict=False), "sha256"
    )
    summary = _only(out.getvalue())
    assert summary.level <= ModificationLevel.LTA_UPDATES
    assert ChangeKind.DOCUMENT_TIMESTAMP_ADDED in _kinds(summary)


def _page(writer: IncrementalPdfFileWriter, index: int) -> generic.DictionaryObject:
    page_ref = writer.root["/Pages"]["/Kids"].raw_get(index)
    return page_ref.get_object()


def test_changed_page_content_is_other(signed: bytes) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    page = _page(writer, 1)
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 72 Td (Sua doi) Tj ET")
    page["/Contents"] = writer.add_object(stream)
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    summary = _only(out.getvalue())
    assert summary.level == ModificationLevel.OTHER
    assert ChangeKind.PAGE_CONTENT_CHANGED in _kinds(summary)
    assert any("trang 2" in c.description_vi.lower() for c in summary.changes)


def test_content_stream_overwritten_in_place_is_other(signed: bytes) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    page = _page(writer, 0)
    contents_ref = page.raw_get("/Contents")
    if isinstance(contents_ref, generic.ArrayObject):
        contents_ref = contents_ref.raw_get(0)
    stream = contents_ref.get_object()
    stream._data = b"BT /F1 24 Tf 72 72 Td (Noi dung moi) Tj ET"
    stream._encoded_data = None
    stream.pop("/Filter", None)
    writer.mark_update(contents_ref)
    out = BytesIO()
    writer.write(out)
    summary = _only(out.getvalue())
    assert summary.level == ModificationLevel.OTHER
    assert any("Nội dung trang 1" in c.description_vi for c in summary.changes)


def test_new_freetext_annotation_is_annotations(signed: bytes) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    page = _page(writer, 0)
    annot = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (100, 100, 300, 150)]
            ),
            generic.NameObject("/Contents"): generic.TextStringObject("Đã xem"),
            generic.NameObject("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
        }
    )
    annots = page.get("/Annots")
    new_annots = generic.ArrayObject(list(annots) if annots else [])
    new_annots.append(writer.add_object(annot))
    page["/Annots"] = new_annots
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    summary = _only(out.getvalue())
    assert summary.level == ModificationLevel.ANNOTATIONS
    assert ChangeKind.ANNOTATION_ADDED in _kinds(summary)


def test_new_page_is_other(signed: bytes) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    page = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Page"),
            generic.NameObject("/MediaBox"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (0, 0, 595, 842)]
            ),
            generic.NameObject("/Contents"): writer.add_object(
                generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 72 Td (Trang moi) Tj ET")
            ),
        }
    )
    writer.insert_page(page)
    out = BytesIO()
    writer.write(out)
    summary = _only(out.getvalue())
    assert summary.level == ModificationLevel.OTHER
    assert ChangeKind.PAGE_ADDED in _kinds(summary)


class _CarelessSigner(signers.PdfSigner):
    """A signing tool that ignores the certification level (pyHanko refuses P=1 documents)."""

    def _enforce_certification_constraints(self, reader: PdfFileReader) -> None:
        return None


def test_certification_p1_forbids_a_later_signature(signer: signers.SimpleSigner) -> None:
    certified = _sign(make_pdf(["Văn bản chứng thực"]), signer, "Cert", True, MDPPerm.NO_CHANGES)
    assert _only(certified).docmdp_permission == 1
    writer = IncrementalPdfFileWriter(BytesIO(certified), strict=False)
    out = _CarelessSigner(signers.PdfSignatureMetadata(field_name="Approval"), signer).sign_pdf(
        writer
    )
    summary = _only(out.getvalue())
    assert summary.docmdp_permission == 1
    assert summary.level == ModificationLevel.FORM_FILLING
    assert summary.docmdp_violated
    assert summary.violations


def test_certification_p2_allows_a_signature_but_not_an_annotation(
    signer: signers.SimpleSigner,
) -> None:
    certified = _sign(make_pdf(["Văn bản chứng thực"]), signer, "Cert", True, MDPPerm.FILL_FORMS)
    both = _sign(certified, signer, "Approval")
    summary = _only(both)
    assert summary.docmdp_permission == 2
    assert not summary.docmdp_violated
    writer = IncrementalPdfFileWriter(BytesIO(both), strict=False)
    page = _page(writer, 0)
    annot = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Square"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (10, 10, 50, 50)]
            ),
        }
    )
    annots = page.get("/Annots")
    new_annots = generic.ArrayObject(list(annots) if annots else [])
    new_annots.append(writer.add_object(annot))
    page["/Annots"] = new_annots
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    summary = _only(out.getvalue())
    assert summary.level == ModificationLevel.ANNOTATIONS
    assert summary.docmdp_violated


def test_appended_garbage_after_last_revision_is_other(signed: bytes) -> None:
    tampered = signed + b"\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    summary = _only(tampered)
    assert summary.level == ModificationLevel.OTHER
    assert ChangeKind.TRAILING_DATA in _kinds(summary)


def test_reference_cycle_terminates(signed: bytes) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    a = generic.DictionaryObject()
    a_ref = writer.add_object(a)
    b = generic.DictionaryObject({generic.NameObject("/Next"): a_ref})
    b_ref = writer.add_object(b)
    a[generic.NameObject("/Next")] = b_ref
    page = _page(writer, 0)
    page["/Loop"] = a_ref
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    summary = _only(out.getvalue())
    assert summary.level == ModificationLevel.OTHER


def _with_empty_field(data: bytes, name: str) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    fields.append_signature_field(writer, fields.SigFieldSpec(name, box=(300, 50, 500, 100)))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("locked", [["Sig2"], ["Other"]])
def test_fieldmdp_lock_on_a_later_signature_field(
    signer: signers.SimpleSigner, locked: list[str]
) -> None:
    base = _with_empty_field(make_pdf(["Phiếu trình"]), "Sig2")
    lock = fields.FieldMDPSpec(fields.FieldMDPAction.INCLUDE, fields=locked)
    first = signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(base), strict=False),
        signers.PdfSignatureMetadata(field_name="Sig1"),
        signer,
        new_field_spec=fields.SigFieldSpec("Sig1", field_mdp_spec=lock),
    ).getvalue()
    second = _sign(first, signer, "Sig2")
    summary = _only(second)
    assert summary.level == ModificationLevel.FORM_FILLING
    assert summary.fieldmdp_violated == (locked == ["Sig2"])


def test_freeing_a_used_object_is_other(signed: bytes) -> None:
    reader = PdfFileReader(BytesIO(signed), strict=False)
    contents = reader.root["/Pages"]["/Kids"][0].raw_get("/Contents")
    if isinstance(contents, generic.ArrayObject):
        contents = contents.raw_get(0)
    size = int(reader.trailer["/Size"])
    prev = reader.last_startxref
    body = f"xref\n0 1\n0000000000 65535 f \n{contents.idnum} 1\n0000000000 00001 f \n"
    update = f"\n{body}trailer\n<< /Size {size} /Root {reader.root_ref.idnum} 0 R /Prev {prev} >>\n"
    offset = len(signed) + 1
    tampered = signed + update.encode() + f"startxref\n{offset}\n%%EOF\n".encode()
    summary = _only(tampered)
    assert summary.level == ModificationLevel.OTHER


def _add_freetext(data: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    page = _page(writer, 0)
    annot = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (100, 100, 300, 150)]
            ),
            generic.NameObject("/Contents"): generic.TextStringObject("Ý kiến"),
            generic.NameObject("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
            generic.NameObject("/P"): writer.root["/Pages"]["/Kids"].raw_get(0),
        }
    )
    annots = page.get("/Annots")
    new_annots = generic.ArrayObject(list(annots) if annots else [])
    new_annots.append(writer.add_object(annot))
    page["/Annots"] = new_annots
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _edit_annotations(data: bytes, remove: bool) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    page = _page(writer, 0)
    annots = page["/Annots"]
    if remove:
        page["/Annots"] = generic.ArrayObject(
            [a for a in annots if a.get_object().get("/Subtype") != "/FreeText"]
        )
        writer.update_container(page)
    else:
        for raw in annots:
            annot = raw.get_object()
            if annot.get("/Subtype") == "/FreeText":
                annot["/Contents"] = generic.TextStringObject("Ý kiến đã sửa")
                writer.mark_update(raw)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("remove", [False, True])
def test_editing_or_removing_a_comment_is_annotations(
    signer: signers.SimpleSigner, remove: bool
) -> None:
    signed_with_note = _sign(_add_freetext(make_pdf(["Tờ trình"])), signer, "Sig1")
    summary = _only(_edit_annotations(signed_with_note, remove))
    assert summary.level == ModificationLevel.ANNOTATIONS, summary.summary_en
    expected = ChangeKind.ANNOTATION_REMOVED if remove else ChangeKind.ANNOTATION_CHANGED
    assert expected in _kinds(summary)


def test_removing_a_signature_widget_is_other(signer: signers.SimpleSigner) -> None:
    visible = signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(make_pdf(["Công văn"])), strict=False),
        signers.PdfSignatureMetadata(field_name="Sig1"),
        signer,
        new_field_spec=fields.SigFieldSpec("Sig1", box=(300, 50, 500, 100)),
    ).getvalue()
    writer = IncrementalPdfFileWriter(BytesIO(visible), strict=False)
    page = _page(writer, 0)
    page["/Annots"] = generic.ArrayObject()
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    summary = _only(out.getvalue())
    assert summary.level == ModificationLevel.OTHER
    assert ChangeKind.ANNOTATION_REMOVED in _kinds(summary)


def test_new_intermediate_page_node_changing_inherited_attributes_is_other(
    signed: bytes,
) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    pages_ref = writer.root.raw_get("/Pages")
    pages = pages_ref.get_object()
    node = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Pages"),
            generic.NameObject("/Kids"): generic.ArrayObject(list(pages["/Kids"])),
            generic.NameObject("/Count"): pages["/Count"],
            generic.NameObject("/Parent"): pages_ref,
            generic.NameObject("/Rotate"): generic.NumberObject(180),
        }
    )
    pages["/Kids"] = generic.ArrayObject([writer.add_object(node)])
    writer.update_container(pages)
    out = BytesIO()
    writer.write(out)
    summary = _only(out.getvalue())
    assert summary.level == ModificationLevel.OTHER
    assert any("/Rotate" in c.description_en for c in summary.changes)


def _append_update(data: bytes, objects: dict[int, bytes], root: int, size: int) -> bytes:
    """A hand-written incremental update (what a hostile tool would append)."""
    reader = PdfFileReader(BytesIO(data), strict=False)
    out = bytearray(data)
    offsets = {}
    for num, body in objects.items():
        offsets[num] = len(out)
        out += f"{num} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n"
    for num in sorted(offsets):
        out += f"{num} 1\n{offsets[num]:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {size} /Root {root} 0 R /Prev {reader.last_startxref} >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode()
    return bytes(out)


def test_deeply_nested_object_terminates(signed: bytes) -> None:
    reader = PdfFileReader(BytesIO(signed), strict=False)
    size = int(reader.trailer["/Size"])
    root = reader.root_ref.idnum
    page_ref = reader.root["/Pages"]["/Kids"].raw_get(0)
    page = page_ref.get_object()
    nested = b"[" * 20000 + b"]" * 20000
    page_body = (
        b"<< /Type /Page /Parent "
        + f"{page.raw_get('/Parent').idnum} 0 R".encode()
        + b" /MediaBox [0 0 595 842] /Contents "
        + f"{size} 0 R".encode()
        + b" >>"
    )
    tampered = _append_update(
        signed,
        {
            page_ref.idnum: page_body,
            size: b"<< /Length 0 /Junk " + nested + b" >>\nstream\n\nendstream",
        },
        root,
        size + 1,
    )
    try:
        summary = _only(tampered)
    except (DiffAnalysisError, PdfReadError):
        return
    assert summary.level == ModificationLevel.OTHER


def test_fieldmdp_lock_all_still_allows_a_new_signature_field(
    signer: signers.SimpleSigner,
) -> None:
    first = signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(make_pdf(["Quyết định"])), strict=False),
        signers.PdfSignatureMetadata(field_name="Sig1"),
        signer,
        new_field_spec=fields.SigFieldSpec(
            "Sig1", field_mdp_spec=fields.FieldMDPSpec(fields.FieldMDPAction.ALL)
        ),
    ).getvalue()
    summary = _only(_sign(first, signer, "Sig2"))
    assert summary.only_signatures_added
    assert not summary.fieldmdp_violated


def _append_object(data: bytes, number: int, body: bytes) -> bytes:
    """A hand-written incremental update that defines object ``number`` and nothing else."""
    reader = PdfFileReader(BytesIO(data), strict=False)
    root = reader.trailer.raw_get("/Root")
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    size = max(int(reader.trailer["/Size"]), number + 1)
    obj_at = len(data) + 1
    update = b"\n" + b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(data) + len(update)
    update += b"xref\n%d 1\n%010d 00000 n \n" % (number, obj_at)
    update += b"trailer\n<< /Size %d /Root %d %d R /Prev %d >>\n" % (
        size,
        root.idnum,
        root.generation,
        prev,
    )
    update += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return data + update


def test_new_object_filling_a_dangling_reference_is_other(signer: signers.SimpleSigner) -> None:
    """An unchanged page that pointed at a missing object at signing time starts drawing it."""
    writer = IncrementalPdfFileWriter(BytesIO(make_pdf(["Nội dung gốc"])), strict=False)
    page = _page(writer, 0)
    dangling = 900
    resources = page["/Resources"]
    resources[generic.NameObject("/XObject")] = generic.DictionaryObject(
        {generic.NameObject("/Fx"): generic.IndirectObject(dangling, 0, writer)}
    )
    writer.update_container(page)
    if isinstance(page.raw_get("/Resources"), generic.IndirectObject):
        writer.mark_update(page.raw_get("/Resources"))
    out = BytesIO()
    writer.write(out)
    signed = _sign(out.getvalue(), signer, "Sig1")
    assert _only(signed).level == ModificationLevel.NONE
    form = b"<< /Type /XObject /Subtype /Form /BBox [0 0 200 50] /Length 33 >>\nstream\n"
    form += b"BT /F1 24 Tf 0 0 Td (Sua) Tj ET\nendstream"
    summary = _only(_append_object(signed, dangling, form))
    assert summary.level == ModificationLevel.OTHER
    assert any(
        c.kind == ChangeKind.OBJECT_REDEFINED and (dangling, 0) in c.objects
        for c in summary.changes
    ), summary.changes
