"""Documents certified (DocMDP) and then changed in one later revision, for the tests.

Built with pyHanko at run time: a page with a text field 'Ho.ten' and an empty visible
signature field 'Sig2', certified by 'Cert' with P=1/2/3, then one kind of change each.
"""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore

from tests.integration.documents import make_pdf

TEXT_FIELD_BOX = (72, 600, 300, 620)
EMPTY_SIG_BOX = (320, 80, 520, 140)
NEW_SIG_BOX = (72, 80, 272, 140)
MARGIN = (400, 400, 500, 430)
#: What filling the field draws: its value in 10-pt Helvetica.
FILLED_APPEARANCE = b"BT /Helv 10 Tf 0 g 2 6 Td (Nguyen Van A) Tj ET"
_HELVETICA = generic.DictionaryObject(
    {
        generic.NameObject("/Type"): generic.NameObject("/Font"),
        generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
        generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica"),
    }
)


class _CarelessSigner(signers.PdfSigner):
    """A signing tool that ignores the certification (pyHanko refuses some of these)."""

    def _enforce_certification_constraints(self, reader: PdfFileReader) -> None:
        return None


def written(writer: IncrementalPdfFileWriter) -> bytes:
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _rect(box: tuple[float, ...]) -> generic.ArrayObject:
    return generic.ArrayObject(generic.FloatObject(v) for v in box)


def with_form(data: bytes, text_box: tuple[float, ...] = TEXT_FIELD_BOX) -> bytes:
    """A text field 'Ho.ten' (fully qualified: parent 'Ho', kid 'ten') at ``text_box`` and an
    empty visible signature field 'Sig2', both on page 1, before anything is signed."""
    w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    page_ref = w.root["/Pages"]["/Kids"].raw_get(0)
    parent = generic.DictionaryObject({generic.NameObject("/T"): generic.TextStringObject("Ho")})
    parent_ref = w.add_object(parent)
    kid = generic.DictionaryObject(
        {
            generic.NameObject("/FT"): generic.NameObject("/Tx"),
            generic.NameObject("/T"): generic.TextStringObject("ten"),
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
            generic.NameObject("/Rect"): _rect(text_box),
            generic.NameObject("/F"): generic.NumberObject(4),
            generic.NameObject("/P"): page_ref,
            generic.NameObject("/Parent"): parent_ref,
            generic.NameObject("/DA"): generic.TextStringObject("/Helv 10 Tf 0 g"),
        }
    )
    kid_ref = w.add_object(kid)
    parent[generic.NameObject("/Kids")] = generic.ArrayObject([kid_ref])
    w.root[generic.NameObject("/AcroForm")] = generic.DictionaryObject(
        {generic.NameObject("/Fields"): generic.ArrayObject([parent_ref])}
    )
    w.update_root()
    page = page_ref.get_object()
    page[generic.NameObject("/Annots")] = generic.ArrayObject([kid_ref])
    w.update_container(page)
    data = written(w)
    w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    fields.append_signature_field(w, fields.SigFieldSpec("Sig2", on_page=0, box=EMPTY_SIG_BOX))
    return written(w)


def certify(signer: signers.SimpleSigner, permission: MDPPerm, base: bytes | None = None) -> bytes:
    """``base`` (default: a one-page document with the form above) certified with ``permission``
    by the invisible signature field 'Cert'."""
    if base is None:
        base = with_form(make_pdf(["Văn bản chứng thực", "Nội dung gốc"]))
    meta = signers.PdfSignatureMetadata(
        field_name="Cert", certify=True, docmdp_permissions=permission
    )
    return signers.sign_pdf(  # type: ignore[no-any-return]
        IncrementalPdfFileWriter(BytesIO(base), strict=False), meta, signer
    ).getvalue()


# -- one kind of change each -------------------------------------------------------------


def fill_form(
    data: bytes, signer: signers.SimpleSigner, appearance: bytes = FILLED_APPEARANCE
) -> bytes:
    """Field 'Ho.ten' filled in: a value and an appearance (``appearance``: its content)."""
    w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    parent = w.root["/AcroForm"]["/Fields"][0]
    kid_ref = parent["/Kids"].raw_get(0)
    kid = kid_ref.get_object()
    kid[generic.NameObject("/V")] = generic.TextStringObject("Nguyễn Văn A")
    ap = generic.StreamObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/XObject"),
            generic.NameObject("/Subtype"): generic.NameObject("/Form"),
            generic.NameObject("/BBox"): _rect((0, 0, 228, 20)),
            generic.NameObject("/Resources"): generic.DictionaryObject(
                {
                    generic.NameObject("/Font"): generic.DictionaryObject(
                        {generic.NameObject("/Helv"): w.add_object(_HELVETICA)}
                    )
                }
            ),
        },
        stream_data=appearance,
    )
    kid[generic.NameObject("/AP")] = generic.DictionaryObject(
        {generic.NameObject("/N"): w.add_object(ap)}
    )
    w.mark_update(kid_ref)
    return written(w)


def sign_new_visible(data: bytes, signer: signers.SimpleSigner) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(field_name="Approval")
    spec = fields.SigFieldSpec("Approval", on_page=0, box=NEW_SIG_BOX)
    return _CarelessSigner(meta, signer, new_field_spec=spec).sign_pdf(w).getvalue()  # type: ignore[no-any-return]


def add_empty_visible_field(data: bytes, signer: signers.SimpleSigner) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    fields.append_signature_field(w, fields.SigFieldSpec("Later", on_page=0, box=NEW_SIG_BOX))
    return written(w)


def add_empty_invisible_field(data: bytes, signer: signers.SimpleSigner) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    fields.append_signature_field(w, fields.SigFieldSpec("Later"))
    return written(w)


def sign_new_invisible(data: bytes, signer: signers.SimpleSigner) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(field_name="Approval")
    return _CarelessSigner(meta, signer).sign_pdf(w).getvalue()  # type: ignore[no-any-return]


def sign_existing(data: bytes, signer: signers.SimpleSigner) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(field_name="Sig2")
    return _CarelessSigner(meta, signer).sign_pdf(w).getvalue()  # type: ignore[no-any-return]


def add_annotation(data: bytes, signer: signers.SimpleSigner) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    page = w.root["/Pages"]["/Kids"][0]
    annot = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
            generic.NameObject("/Rect"): _rect(MARGIN),
            generic.NameObject("/Contents"): generic.TextStringObject("Đã xem"),
            generic.NameObject("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
        }
    )
    annots = generic.ArrayObject(list(page.get("/Annots", [])))
    annots.append(w.add_object(annot))
    page[generic.NameObject("/Annots")] = annots
    w.update_container(page)
    return written(w)


def add_dss(data: bytes, signer: signers.SimpleSigner) -> bytes:
    out = BytesIO(data)
    contents = PdfFileReader(BytesIO(data), strict=False).embedded_signatures[0].pkcs7_content
    DocumentSecurityStore.add_dss(
        out, contents, certs=[signer.signing_cert], force_write=True, strict=False
    )
    return out.getvalue()


def add_document_timestamp(data: bytes, signer: signers.SimpleSigner) -> bytes:
    stamper = DummyTimeStamper(
        tsa_cert=signer.signing_cert, tsa_key=signer.signing_key, certs_to_embed=None
    )
    w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    return signers.PdfTimeStamper(stamper).timestamp_pdf(w, "sha256").getvalue()  # type: ignore[no-any-return]


def add_white_square(data: bytes, rect: tuple[float, float, float, float]) -> bytes:
    """A Square annotation at ``rect`` whose appearance paints it white (a cover-up comment)."""
    w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    page = w.root["/Pages"]["/Kids"][0]
    width, height = rect[2] - rect[0], rect[3] - rect[1]
    ap = generic.StreamObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/XObject"),
            generic.NameObject("/Subtype"): generic.NameObject("/Form"),
            generic.NameObject("/BBox"): _rect((0, 0, width, height)),
        },
        stream_data=b"1 g 0 0 %g %g re f" % (width, height),
    )
    annot = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Square"),
            generic.NameObject("/Rect"): _rect(rect),
            generic.NameObject("/F"): generic.NumberObject(4),
            generic.NameObject("/AP"): generic.DictionaryObject(
                {generic.NameObject("/N"): w.add_object(ap)}
            ),
        }
    )
    annots = generic.ArrayObject(list(page.get("/Annots", [])))
    annots.append(w.add_object(annot))
    page[generic.NameObject("/Annots")] = annots
    w.update_container(page)
    return written(w)
