"""The classifier's deny-by-default residue: what no rule explains is OTHER."""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter

from tests.unit._diff_revisions import base_pdf, classify, kinds, level, name, page, update
from verifier.diff_analysis import ChangeKind, ModificationLevel
from verifier.diff_analysis.classifier import LEFTOVER_RULES, RULES


def test_rules_run_in_family_order() -> None:
    assert [type(r).__name__ for r in RULES] == [
        "TrailerRule",
        "CatalogueRule",
        "XmpStreamRule",
        "FormFieldRule",
        "PagesRule",
        "DssRule",
    ]
    assert [type(r).__name__ for r in LEFTOVER_RULES] == [
        "StructureTreeRule",
        "ChangedAnnotationRule",
    ]


def test_content_stream_overwritten_in_place_is_reported_by_page() -> None:
    def overwrite(writer: IncrementalPdfFileWriter) -> None:
        ref = page(writer).get_object().raw_get("/Contents")
        stream = ref.get_object()
        stream._data = b"BT /F1 12 Tf 72 720 Td (Sua doi) Tj ET"
        stream._encoded_data = None
        writer.mark_update(ref)

    changes = classify(update(base_pdf(), overwrite))
    assert kinds(changes) == {ChangeKind.PAGE_CONTENT_CHANGED}
    assert changes[0].description_en == "Content of page 1 changed after signing"
    assert level(changes) == ModificationLevel.OTHER


def _orphan(writer: PdfFileWriter) -> None:
    writer.root[name("/KysoTest")] = writer.add_object(generic.NumberObject(1))


def test_unexplained_object_is_reported_by_number() -> None:
    def redefine(writer: IncrementalPdfFileWriter) -> None:
        ref = writer.root.raw_get("/KysoTest")
        writer.objects[(ref.generation, ref.idnum)] = generic.NumberObject(2)

    changes = classify(update(base_pdf(extra=_orphan), redefine))
    assert kinds(changes) == {ChangeKind.OBJECT_REDEFINED}
    assert changes[0].description_en.startswith("Objects redefined after signing:")


def test_new_object_filling_a_dangling_reference_is_other() -> None:
    # a number past the signed revision's /Size, which the update's first new objects reach
    target = int(PdfFileReader(BytesIO(base_pdf()), strict=False).trailer["/Size"]) + 1

    def dangling(writer: PdfFileWriter) -> None:
        page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
        page_ref.get_object()[name("/Thumb")] = generic.IndirectObject(target, 0, writer)

    def fill(writer: IncrementalPdfFileWriter) -> None:
        ref = writer.add_object(generic.StreamObject(stream_data=b"BT (an) Tj ET"))
        while ref.idnum < target:
            ref = writer.add_object(generic.StreamObject(stream_data=b"BT (an) Tj ET"))
        assert ref.idnum == target

    changes = classify(update(base_pdf(extra=dangling), fill))
    assert [c.kind for c in changes] == [ChangeKind.OBJECT_REDEFINED]
    assert "fills a reference" in changes[0].description_en
    assert level(changes) == ModificationLevel.OTHER


def test_new_unreferenced_object_changes_nothing() -> None:
    data = update(base_pdf(), lambda w: w.add_object(generic.NumberObject(7)))
    assert classify(data) == []
