"""Hand-made revisions for the change-analysis rule tests: a small PDF, one incremental update.

The base document is written with pyHanko's writer (plain xref table, no object streams), the
update with its incremental writer, so each test shows exactly which objects one revision
touches. ``context`` opens the last revision the way the classifier does, so a single rule can
be applied to it and what it explained and reported read back.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

from kyso.pdf.references import ReferenceIndex
from kyso.pdf.revisions import RevisionStore
from verifier.diff_analysis import ChangeKind, ModificationLevel, analyse_document
from verifier.diff_analysis.context import RevisionContext
from verifier.diff_analysis.model import Change

A4 = (0, 0, 595, 842)


def name(value: str) -> generic.NameObject:
    return generic.NameObject(value)


def pdf_dict(**entries: generic.PdfObject) -> generic.DictionaryObject:
    """``pdf_dict(Type=name("/Annot"))``: keys are written without their slash."""
    return generic.DictionaryObject({name("/" + k): v for k, v in entries.items()})


def numbers(*values: float) -> generic.ArrayObject:
    return generic.ArrayObject(generic.FloatObject(v) for v in values)


def base_pdf(pages: int = 1, extra: Callable[[PdfFileWriter], None] | None = None) -> bytes:
    """A document of ``pages`` A4 pages with one content stream each."""
    writer = PdfFileWriter(stream_xrefs=False)
    for number in range(1, pages + 1):
        contents = writer.add_object(
            generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 720 Td (Trang %d) Tj ET" % number)
        )
        writer.insert_page(PageObject(contents, A4))
    if extra is not None:
        extra(writer)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def update(data: bytes, edit: Callable[[IncrementalPdfFileWriter], None]) -> bytes:
    """``data`` plus one incremental update made by ``edit``, and nothing else.

    pyHanko's writer refreshes the Info dictionary and XMP stream on every write; that is
    switched off here so that a test touches exactly the objects it names.
    """
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    setattr(writer, "_update_meta", lambda: None)  # noqa: B010 - instance override, test only
    edit(writer)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def page(writer: IncrementalPdfFileWriter, index: int = 0) -> generic.IndirectObject:
    ref = writer.root["/Pages"]["/Kids"].raw_get(index)
    assert isinstance(ref, generic.IndirectObject)
    return ref


def context(data: bytes) -> RevisionContext:
    """The last revision of ``data``, its changed objects sorted, before any rule ran."""
    store = RevisionStore(PdfFileReader(BytesIO(data), strict=False))
    ctx = RevisionContext(store, ReferenceIndex(store), store.revision_count - 1, {})
    ctx.collect_changed_objects()
    return ctx


def classify(data: bytes) -> list[Change]:
    """What the last revision changed, by the whole classifier."""
    analysis = analyse_document(PdfFileReader(BytesIO(data), strict=False))
    return list(analysis.changes_in(analysis.revision_count - 1))


def kinds(changes: list[Change]) -> set[ChangeKind]:
    return {c.kind for c in changes}


def level(changes: list[Change]) -> ModificationLevel:
    return max((c.level for c in changes), default=ModificationLevel.NONE)
