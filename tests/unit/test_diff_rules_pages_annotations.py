"""Pages and annotations rules: the page list and what signed pages draw stay; comments may
be added, edited or removed (ANNOTATIONS); widgets and old objects may not be slipped in."""

from __future__ import annotations

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PdfFileWriter

from tests.unit._diff_revisions import (
    base_pdf,
    classify,
    context,
    kinds,
    level,
    name,
    numbers,
    page,
    pdf_dict,
    update,
)
from verifier.diff_analysis import ChangeKind, ModificationLevel
from verifier.diff_analysis.rules.pages_annotations import ChangedAnnotationRule, PagesRule


def _comment(writer: IncrementalPdfFileWriter | PdfFileWriter, text: str) -> generic.IndirectObject:
    return writer.add_object(
        pdf_dict(
            Type=name("/Annot"),
            Subtype=name("/Text"),
            Rect=numbers(20, 20, 40, 40),
            Contents=generic.TextStringObject(text),
        )
    )


def _annotate(writer: IncrementalPdfFileWriter, annot: generic.PdfObject) -> None:
    page_dict = page(writer).get_object()
    page_dict[name("/Annots")] = generic.ArrayObject([*page_dict.get("/Annots", []), annot])
    writer.update_container(page_dict)


def _with_comment(writer: PdfFileWriter) -> None:
    page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
    annot = _comment(writer, "Đã xem")
    annot.get_object()[name("/P")] = page_ref
    page_ref.get_object()[name("/Annots")] = generic.ArrayObject([annot])


def test_new_comment_is_annotations_and_explained_by_the_page_rule() -> None:
    data = update(base_pdf(), lambda w: _annotate(w, _comment(w, "Đồng ý")))
    ctx = context(data)
    PagesRule().apply(ctx)
    assert [c.kind for c in ctx.result.changes] == [ChangeKind.ANNOTATION_ADDED]
    assert ctx.result.level == ModificationLevel.ANNOTATIONS
    assert ctx.unexplained() == set() and ctx.added <= ctx.explained


def test_old_object_attached_as_annotation_is_other() -> None:
    def attach(writer: IncrementalPdfFileWriter) -> None:
        contents = page(writer).get_object().raw_get("/Contents")
        _annotate(writer, contents)

    changes = classify(update(base_pdf(), attach))
    assert ChangeKind.ANNOTATION_ADDED in kinds(changes)
    assert level(changes) == ModificationLevel.OTHER


def test_direct_annotation_is_other() -> None:
    data = update(base_pdf(), lambda w: _annotate(w, pdf_dict(Subtype=name("/Square"))))
    assert level(classify(data)) == ModificationLevel.OTHER


def test_page_attribute_change_is_other() -> None:
    def rotate(writer: IncrementalPdfFileWriter) -> None:
        page_dict = page(writer).get_object()
        page_dict[name("/Rotate")] = generic.NumberObject(90)
        writer.update_container(page_dict)

    changes = classify(update(base_pdf(), rotate))
    assert kinds(changes) == {ChangeKind.PAGE_CONTENT_CHANGED}
    assert "/Rotate" in changes[0].description_en


def test_removed_page_is_other() -> None:
    def drop(writer: IncrementalPdfFileWriter) -> None:
        pages = writer.root["/Pages"]
        pages[name("/Kids")] = generic.ArrayObject([pages["/Kids"].raw_get(0)])
        pages[name("/Count")] = generic.NumberObject(1)
        writer.update_container(pages)

    changes = classify(update(base_pdf(pages=2), drop))
    assert ChangeKind.PAGE_REMOVED in kinds(changes)
    assert level(changes) == ModificationLevel.OTHER


def test_comment_edited_in_place_is_annotations() -> None:
    def edit(writer: IncrementalPdfFileWriter) -> None:
        ref = page(writer).get_object()["/Annots"].raw_get(0)
        ref.get_object()[name("/Contents")] = generic.TextStringObject("Không đồng ý")
        writer.mark_update(ref)

    ctx = context(update(base_pdf(extra=_with_comment), edit))
    PagesRule().apply(ctx)
    assert ctx.result.changes == [] and ctx.unexplained()  # not the page rule's
    ChangedAnnotationRule().apply(ctx)
    assert [c.kind for c in ctx.result.changes] == [ChangeKind.ANNOTATION_CHANGED]
    assert ctx.unexplained() == set()


def test_removed_comment_is_annotations() -> None:
    def remove(writer: IncrementalPdfFileWriter) -> None:
        page_dict = page(writer).get_object()
        page_dict[name("/Annots")] = generic.ArrayObject()
        writer.update_container(page_dict)

    changes = classify(update(base_pdf(extra=_with_comment), remove))
    assert kinds(changes) == {ChangeKind.ANNOTATION_REMOVED}
    assert level(changes) == ModificationLevel.ANNOTATIONS
