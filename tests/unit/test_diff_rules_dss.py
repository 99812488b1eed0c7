"""DSS rule: validation data added or updated is LTA_UPDATES; removing it is OTHER."""

from __future__ import annotations

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PdfFileWriter

from tests.unit._diff_revisions import base_pdf, classify, context, level, name, pdf_dict, update
from verifier.diff_analysis import ChangeKind, ModificationLevel
from verifier.diff_analysis.rules.dss import DssRule


def _cert(writer: IncrementalPdfFileWriter | PdfFileWriter, der: bytes) -> generic.IndirectObject:
    return writer.add_object(generic.StreamObject(stream_data=der))


def _with_dss(writer: PdfFileWriter) -> None:
    certs = writer.add_object(generic.ArrayObject([_cert(writer, b"0\x03\x02\x01\x01")]))
    writer.root[name("/DSS")] = writer.add_object(pdf_dict(Certs=certs))


def _add_ocsps(writer: IncrementalPdfFileWriter) -> None:
    dss_ref = writer.root.raw_get("/DSS")
    dss_ref.get_object()[name("/OCSPs")] = generic.ArrayObject([_cert(writer, b"0\x00")])
    writer.mark_update(dss_ref)


def test_new_dss_is_lta_update_and_explains_its_objects() -> None:
    def add(writer: IncrementalPdfFileWriter) -> None:
        certs = generic.ArrayObject([_cert(writer, b"0\x03\x02\x01\x01")])
        writer.root[name("/DSS")] = writer.add_object(pdf_dict(Certs=certs))
        writer.update_root()

    ctx = context(update(base_pdf(), add))
    DssRule().apply(ctx)
    assert [c.kind for c in ctx.result.changes] == [ChangeKind.DSS_UPDATED]
    assert ctx.result.level == ModificationLevel.LTA_UPDATES
    assert ctx.added <= ctx.explained


def test_dss_array_rewritten_in_place_is_lta_update() -> None:
    """Objects of the signed DSS may be rewritten, below a rewritten DSS dictionary."""

    def extend(writer: IncrementalPdfFileWriter) -> None:
        certs_ref = writer.root["/DSS"].raw_get("/Certs")
        certs_ref.get_object().append(_cert(writer, b"0\x03\x02\x01\x02"))
        writer.mark_update(certs_ref)
        _add_ocsps(writer)  # the DSS dictionary is rewritten too, as pyHanko's DSS writer does

    changes = classify(update(base_pdf(extra=_with_dss), extend))
    assert [c.kind for c in changes] == [ChangeKind.DSS_UPDATED]
    assert level(changes) == ModificationLevel.LTA_UPDATES


def test_dss_array_shared_with_page_content_is_other() -> None:
    """An old DSS array that is also a page's /Contents changes what the page draws."""

    def shared(writer: PdfFileWriter) -> None:
        page_dict = writer.root["/Pages"]["/Kids"].raw_get(0).get_object()
        contents = writer.add_object(generic.ArrayObject([page_dict.raw_get("/Contents")]))
        page_dict[name("/Contents")] = contents
        writer.root[name("/DSS")] = writer.add_object(pdf_dict(Certs=contents))

    def extend(writer: IncrementalPdfFileWriter) -> None:
        certs_ref = writer.root["/DSS"].raw_get("/Certs")
        certs_ref.get_object().append(_cert(writer, b"BT (moi) Tj ET"))
        writer.mark_update(certs_ref)
        _add_ocsps(writer)

    changes = classify(update(base_pdf(extra=shared), extend))
    assert ChangeKind.OBJECT_REDEFINED in {c.kind for c in changes}
    assert level(changes) == ModificationLevel.OTHER


def test_removed_dss_is_other() -> None:
    def remove(writer: IncrementalPdfFileWriter) -> None:
        del writer.root["/DSS"]
        writer.update_root()

    changes = classify(update(base_pdf(extra=_with_dss), remove))
    assert [c.kind for c in changes] == [ChangeKind.DSS_UPDATED]
    assert level(changes) == ModificationLevel.OTHER
