"""Trailer and catalogue rules: storage entries ignored, the catalogue's keys dispatched by
``allowances.CATALOG_KEYS``, anything else OTHER."""

from __future__ import annotations

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

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
from verifier.diff_analysis.allowances import CATALOG_KEYS
from verifier.diff_analysis.rules.trailer_catalogue import CatalogueRule, TrailerRule

BASE = base_pdf()


def _set_root(key: str, value: generic.PdfObject) -> bytes:

    def edit(writer: IncrementalPdfFileWriter) -> None:
        writer.root[name(key)] = value
        writer.update_root()

    return update(BASE, edit)


def test_new_open_action_is_a_catalogue_change() -> None:
    data = _set_root(
        "/OpenAction", pdf_dict(S=name("/JavaScript"), JS=generic.TextStringObject(""))
    )
    ctx = context(data)
    CatalogueRule().apply(ctx)
    assert [c.kind for c in ctx.result.changes] == [ChangeKind.CATALOG_CHANGED]
    assert ctx.result.level == ModificationLevel.OTHER
    assert "/OpenAction" in ctx.result.changes[0].description_en
    assert ctx.root_ref in ctx.explained  # the catalogue itself is accounted for


def test_extension_declaration_is_lta_update() -> None:
    ext = pdf_dict(ADBE=pdf_dict(BaseVersion=name("/1.7"), ExtensionLevel=generic.NumberObject(8)))
    changes = classify(_set_root("/Extensions", ext))
    assert kinds(changes) == {ChangeKind.CATALOG_EXTENSIONS_UPDATED}
    assert level(changes) == ModificationLevel.LTA_UPDATES


def test_named_annotation_appearances_are_annotations_other_name_trees_are_not() -> None:
    ap = _set_root("/Names", pdf_dict(AP=pdf_dict(Names=generic.ArrayObject())))
    assert level(classify(ap)) == ModificationLevel.ANNOTATIONS
    js = _set_root("/Names", pdf_dict(JavaScript=pdf_dict(Names=generic.ArrayObject())))
    changes = classify(js)
    assert ChangeKind.CATALOG_CHANGED in kinds(changes)
    assert level(changes) == ModificationLevel.OTHER


def test_keys_handed_to_other_families_are_not_judged_here() -> None:
    data = _set_root("/DSS", pdf_dict(Certs=generic.ArrayObject()))
    ctx = context(data)
    CatalogueRule().apply(ctx)
    assert ctx.result.changes == []
    assert set(CATALOG_KEYS.values()) == {"form_fields", "dss", "metadata", "extensions", "names"}


def test_storage_entries_of_the_trailer_are_ignored_others_are_not() -> None:

    def custom(writer: IncrementalPdfFileWriter) -> None:
        writer.set_custom_trailer_entry(name("/Kyso"), generic.NumberObject(1))
        writer.root[name("/Lang")] = generic.TextStringObject("vi")
        writer.update_root()

    ctx = context(update(BASE, custom))
    TrailerRule().apply(ctx)
    assert [c.kind for c in ctx.result.changes] == [ChangeKind.TRAILER_CHANGED]
    assert "/Kyso" in ctx.result.changes[0].description_en  # /Size, /Prev, /ID: not reported
