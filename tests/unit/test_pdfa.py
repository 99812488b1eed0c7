"""kyso.pdf.pdfa: the PDF/A part a document declares (ISO 19005, XMP pdfaid) and its output
intent's colour components, on small PDFs written in memory."""

from __future__ import annotations

from io import BytesIO

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

from kyso.pdf.pdfa import PdfA, declared_pdfa

ELEMENTS = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description rdf:about="" '
    b'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"><pdfaid:part> 1 </pdfaid:part>'
    b"<pdfaid:conformance>b</pdfaid:conformance></rdf:Description></rdf:RDF></x:xmpmeta>"
)
ATTRIBUTES = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description rdf:about="" '
    b"xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\" pdfaid:part='2' "
    b'pdfaid:conformance="U"/></rdf:RDF></x:xmpmeta>'
)


class _RawWriter(PdfFileWriter):
    """Writes the XMP as given (pyHanko's writer would rewrite it)."""

    def _update_meta(self) -> None:
        pass


def _pdf(xmp: bytes | None, components: int | None = None) -> PdfFileReader:
    w = _RawWriter(stream_xrefs=False)
    w.insert_page(PageObject(w.add_object(generic.StreamObject(stream_data=b"")), (0, 0, 10, 10)))
    name = generic.pdf_name
    if xmp is not None:
        meta = generic.StreamObject(
            {name("/Type"): name("/Metadata"), name("/Subtype"): name("/XML")}, stream_data=xmp
        )
        w.root[name("/Metadata")] = w.add_object(meta)
    if components is not None:
        profile = generic.StreamObject(
            {name("/N"): generic.NumberObject(components)}, stream_data=b"icc"
        )
        intent = generic.DictionaryObject(
            {
                name("/Type"): name("/OutputIntent"),
                name("/S"): name("/GTS_PDFA1"),
                name("/DestOutputProfile"): w.add_object(profile),
            }
        )
        w.root[name("/OutputIntents")] = generic.ArrayObject([w.add_object(intent)])
    out = BytesIO()
    w.write(out)
    return PdfFileReader(BytesIO(out.getvalue()))


def test_element_form_with_its_output_intent() -> None:
    found = declared_pdfa(_pdf(ELEMENTS, components=4))
    assert found == PdfA(1, "B", 4)
    assert found.label == "PDF/A-1B" and found.forbids_transparency


def test_attribute_form() -> None:
    found = declared_pdfa(_pdf(ATTRIBUTES))
    assert found == PdfA(2, "U", 0)
    assert found.label == "PDF/A-2U" and not found.forbids_transparency


@pytest.mark.parametrize(
    "xmp",
    [
        None,
        b"<x:xmpmeta/>",
        ELEMENTS.replace(b"> 1 <", b">one<"),
        ELEMENTS.replace(b"> 1 <", b">7<"),
        ELEMENTS + b" " * (4 * 1024 * 1024),
    ],
)
def test_no_usable_declaration_is_none(xmp: bytes | None) -> None:
    assert declared_pdfa(_pdf(xmp)) is None
