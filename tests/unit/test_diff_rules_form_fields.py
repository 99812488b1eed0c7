"""Form field rules: new signatures and timestamps, filled fields, and what must not change."""

from __future__ import annotations

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import BasePdfFileWriter, PdfFileWriter

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
from verifier.diff_analysis.rules.form_fields import FormFieldRule


def _sig_value(writer: BasePdfFileWriter, timestamp: bool = False) -> generic.IndirectObject:
    return writer.add_object(
        pdf_dict(
            Type=name("/DocTimeStamp" if timestamp else "/Sig"),
            Filter=name("/Adobe.PPKLite"),
            SubFilter=name("/ETSI.RFC3161" if timestamp else "/ETSI.CAdES.detached"),
            ByteRange=generic.ArrayObject(generic.NumberObject(v) for v in (0, 10, 20, 30)),
            Contents=generic.ByteStringObject(b"\x00" * 8),
        )
    )


def _add_field(
    writer: IncrementalPdfFileWriter, title: str, field_type: str, value: generic.PdfObject | None
) -> generic.IndirectObject:
    """A field merged with its widget on page 1, listed in a (new) AcroForm."""
    page_ref = page(writer)
    entries = dict(
        FT=name(field_type),
        T=generic.TextStringObject(title),
        Type=name("/Annot"),
        Subtype=name("/Widget"),
        Rect=numbers(0, 0, 0, 0),
        P=page_ref,
    )
    if value is not None:
        entries["V"] = value
    ref = writer.add_object(pdf_dict(**entries))
    if "/AcroForm" in writer.root:
        form = writer.root["/AcroForm"]
        form["/Fields"].append(ref)
        writer.update_root()
    else:
        writer.root[name("/AcroForm")] = pdf_dict(Fields=generic.ArrayObject([ref]))
        writer.update_root()
    page_dict = page_ref.get_object()
    page_dict[name("/Annots")] = generic.ArrayObject([*page_dict.get("/Annots", []), ref])
    writer.update_container(page_dict)
    return ref


def _with_text_field(writer: PdfFileWriter) -> None:
    field = writer.add_object(
        pdf_dict(
            FT=name("/Tx"), T=generic.TextStringObject("so_van_ban"), Ff=generic.NumberObject(0)
        )
    )
    writer.root[name("/AcroForm")] = pdf_dict(Fields=generic.ArrayObject([field]))


def test_new_signature_field_with_value_is_a_signature() -> None:
    data = update(base_pdf(), lambda w: _add_field(w, "Sig2", "/Sig", _sig_value(w)))
    changes = classify(data)
    assert kinds(changes) == {ChangeKind.SIGNATURE_ADDED}
    assert level(changes) == ModificationLevel.FORM_FILLING


def test_new_document_timestamp_is_lta_update() -> None:
    data = update(base_pdf(), lambda w: _add_field(w, "TS", "/Sig", _sig_value(w, timestamp=True)))
    changes = classify(data)
    assert kinds(changes) == {ChangeKind.DOCUMENT_TIMESTAMP_ADDED}
    assert level(changes) == ModificationLevel.LTA_UPDATES


def test_form_rule_explains_the_field_and_hands_its_widget_to_the_page_rule() -> None:
    refs: list[generic.IndirectObject] = []
    data = update(base_pdf(), lambda w: refs.append(_add_field(w, "Sig2", "/Sig", None)))
    ctx = context(data)
    FormFieldRule().apply(ctx)
    widget = (refs[0].idnum, refs[0].generation)
    assert widget in ctx.explained
    assert ctx.new_widgets[widget].name == "Sig2"
    assert [c.kind for c in ctx.result.changes] == [ChangeKind.SIGNATURE_FIELD_ADDED]


def test_new_text_field_is_other() -> None:
    changes = classify(update(base_pdf(), lambda w: _add_field(w, "ghi_chu", "/Tx", None)))
    assert ChangeKind.FIELD_CHANGED in kinds(changes)
    assert level(changes) == ModificationLevel.OTHER


def test_filling_a_field_is_form_filling_and_names_the_field() -> None:
    def fill(writer: IncrementalPdfFileWriter) -> None:
        field = writer.root["/AcroForm"]["/Fields"].raw_get(0)
        field.get_object()[name("/V")] = generic.TextStringObject("15/QĐ-UBND")
        writer.mark_update(field)

    ctx = context(update(base_pdf(extra=_with_text_field), fill))
    FormFieldRule().apply(ctx)
    assert [c.kind for c in ctx.result.changes] == [ChangeKind.FORM_FILLED]
    assert [f.name for f in ctx.result.filled_fields] == ["so_van_ban"]  # for FieldMDP


def test_changing_a_field_beyond_its_value_is_other() -> None:
    def rename(writer: IncrementalPdfFileWriter) -> None:
        field = writer.root["/AcroForm"]["/Fields"].raw_get(0)
        field.get_object()[name("/TU")] = generic.TextStringObject("khác")
        writer.mark_update(field)

    changes = classify(update(base_pdf(extra=_with_text_field), rename))
    assert ChangeKind.FIELD_CHANGED in kinds(changes)
    assert "/TU" in changes[0].description_en


def test_existing_signature_value_replaced_is_other() -> None:
    def signed(writer: PdfFileWriter) -> None:
        field = writer.add_object(
            pdf_dict(FT=name("/Sig"), T=generic.TextStringObject("Sig1"), V=_sig_value(writer))
        )
        writer.root[name("/AcroForm")] = pdf_dict(Fields=generic.ArrayObject([field]))

    def replace(writer: IncrementalPdfFileWriter) -> None:
        field = writer.root["/AcroForm"]["/Fields"].raw_get(0)
        field.get_object()[name("/V")] = _sig_value(writer)
        writer.mark_update(field)

    changes = classify(update(base_pdf(extra=signed), replace))
    assert ChangeKind.SIGNATURE_CHANGED in kinds(changes)
    assert level(changes) == ModificationLevel.OTHER


def test_need_appearances_is_other() -> None:
    def regenerate(writer: IncrementalPdfFileWriter) -> None:
        writer.root["/AcroForm"][name("/NeedAppearances")] = generic.BooleanObject(True)
        writer.update_root()

    changes = classify(update(base_pdf(extra=_with_text_field), regenerate))
    assert kinds(changes) == {ChangeKind.FIELD_CHANGED}
    assert "/NeedAppearances" in changes[0].description_en
