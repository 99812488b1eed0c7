"""Structure tree rule: tagging new widgets is FORM_FILLING; losing structure is OTHER."""

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
    pdf_dict,
    update,
)
from verifier.diff_analysis import ChangeKind, ModificationLevel
from verifier.diff_analysis.rules.structure_tree import StructureTreeRule


def _tagged(writer: PdfFileWriter) -> None:
    root_ref = writer.add_object(generic.DictionaryObject())
    kid = writer.add_object(pdf_dict(Type=name("/StructElem"), S=name("/P"), P=root_ref))
    element = writer.add_object(
        pdf_dict(
            Type=name("/StructElem"), S=name("/Document"), P=root_ref, K=generic.ArrayObject([kid])
        )
    )
    root_ref.get_object().update(
        pdf_dict(
            Type=name("/StructTreeRoot"),
            K=element,
            ParentTree=pdf_dict(Nums=generic.ArrayObject()),
            ParentTreeNextKey=generic.NumberObject(0),
        )
    )
    writer.root[name("/StructTreeRoot")] = root_ref


def _document_element(writer: IncrementalPdfFileWriter) -> generic.IndirectObject:
    element = writer.root["/StructTreeRoot"].raw_get("/K")
    assert isinstance(element, generic.IndirectObject)
    return element


def test_widget_tagged_into_the_tree_is_structure_update() -> None:
    def tag(writer: IncrementalPdfFileWriter) -> None:
        struct_root = writer.root.raw_get("/StructTreeRoot")
        struct_root.get_object()[name("/ParentTreeNextKey")] = generic.NumberObject(1)
        writer.mark_update(struct_root)
        element = _document_element(writer)
        new_kid = writer.add_object(pdf_dict(Type=name("/StructElem"), S=name("/Form")))
        element.get_object()["/K"].append(new_kid)
        writer.mark_update(element)

    ctx = context(update(base_pdf(extra=_tagged), tag))
    assert len(ctx.unexplained()) == 2
    StructureTreeRule().apply(ctx)
    assert [c.kind for c in ctx.result.changes] == [ChangeKind.STRUCTURE_UPDATED]
    assert ctx.result.level == ModificationLevel.FORM_FILLING
    assert ctx.unexplained() == set()


def test_element_losing_its_kids_is_not_explained() -> None:
    def prune(writer: IncrementalPdfFileWriter) -> None:
        element = _document_element(writer)
        element.get_object()[name("/K")] = generic.ArrayObject()
        writer.mark_update(element)

    data = update(base_pdf(extra=_tagged), prune)
    ctx = context(data)
    StructureTreeRule().apply(ctx)
    assert ctx.result.changes == [] and ctx.unexplained()
    changes = classify(data)
    assert kinds(changes) == {ChangeKind.OBJECT_REDEFINED}
    assert level(changes) == ModificationLevel.OTHER


def test_element_changing_its_type_is_not_explained() -> None:
    def retype(writer: IncrementalPdfFileWriter) -> None:
        element = _document_element(writer)
        element.get_object()[name("/S")] = name("/Art")
        writer.mark_update(element)

    assert level(classify(update(base_pdf(extra=_tagged), retype))) == ModificationLevel.OTHER
