"""Metadata rules: Info and XMP updates are LTA_UPDATES; a /Metadata entry that is not an XMP
stream is OTHER; metadata rewritten in place must not be shared with content."""

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
from verifier.diff_analysis.rules.metadata import XmpStreamRule

XMP = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>'


def _xmp(data: bytes) -> generic.StreamObject:
    return generic.StreamObject(
        {name("/Type"): name("/Metadata"), name("/Subtype"): name("/XML")}, stream_data=data
    )


def _with_xmp(writer: PdfFileWriter) -> None:
    writer.root[name("/Metadata")] = writer.add_object(_xmp(XMP))


def test_new_info_dictionary_is_metadata() -> None:
    def edit(writer: IncrementalPdfFileWriter) -> None:
        info = writer.add_object(pdf_dict(Title=generic.TextStringObject("Quyết định")))
        writer.set_info(info)

    changes = classify(update(base_pdf(), edit))
    assert kinds(changes) == {ChangeKind.METADATA_UPDATED}
    assert level(changes) == ModificationLevel.LTA_UPDATES


def test_new_xmp_stream_is_metadata() -> None:
    def edit(writer: IncrementalPdfFileWriter) -> None:
        writer.root[name("/Metadata")] = writer.add_object(_xmp(XMP))
        writer.update_root()

    changes = classify(update(base_pdf(), edit))
    assert kinds(changes) == {ChangeKind.METADATA_UPDATED}
    assert changes[0].description_en == "XMP metadata updated"


def test_metadata_entry_that_is_not_xmp_is_other() -> None:
    def edit(writer: IncrementalPdfFileWriter) -> None:
        writer.root[name("/Metadata")] = writer.add_object(
            generic.StreamObject(stream_data=b"q 1 0 0 1 0 0 cm Q")
        )
        writer.update_root()

    changes = classify(update(base_pdf(), edit))
    assert ChangeKind.CATALOG_CHANGED in kinds(changes)
    assert level(changes) == ModificationLevel.OTHER


def test_xmp_rewritten_in_place_is_explained_by_the_stream_rule() -> None:
    def edit(writer: IncrementalPdfFileWriter) -> None:
        ref = writer.root.raw_get("/Metadata")
        stream = ref.get_object()
        stream._data = XMP + b"<!-- updated -->"
        stream._encoded_data = None
        writer.mark_update(ref)

    data = update(base_pdf(extra=_with_xmp), edit)
    ctx = context(data)
    assert len(ctx.redefined) == 1 and ctx.root_ref not in ctx.redefined
    XmpStreamRule().apply(ctx)
    assert [c.kind for c in ctx.result.changes] == [ChangeKind.METADATA_UPDATED]
    assert ctx.unexplained() == set()
    assert level(classify(data)) == ModificationLevel.LTA_UPDATES
