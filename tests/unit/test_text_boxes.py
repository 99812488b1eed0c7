"""The one pdftotext word-box reader (anchor search and annotation overlap share it)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

from kyso.pdf.text_boxes import TextExtractionError, read_text_boxes


def _name(value: str) -> generic.NameObject:
    return generic.NameObject(value)


def _pdf(pages: list[list[tuple[int, int, str]]]) -> bytes:
    """A4 pages showing each (x, y, text) in Helvetica 12 (PDF coordinates, origin bottom left)."""
    writer = PdfFileWriter(stream_xrefs=False)
    font = writer.add_object(
        generic.DictionaryObject(
            {
                _name("/Type"): _name("/Font"),
                _name("/Subtype"): _name("/Type1"),
                _name("/BaseFont"): _name("/Helvetica"),
            }
        )
    )
    resources = generic.DictionaryObject(
        {_name("/Font"): generic.DictionaryObject({_name("/F1"): font})}
    )
    for lines in pages:
        ops = b"".join(
            b"BT /F1 12 Tf %d %d Td (%s) Tj ET\n" % (x, y, text.encode("latin-1"))
            for x, y, text in lines
        )
        contents = writer.add_object(generic.StreamObject(stream_data=ops))
        writer.insert_page(PageObject(contents, (0, 0, 595, 842), resources))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


DOC = _pdf([[(72, 770, "QUYET DINH"), (72, 700, "Nguyen Van A & <B>")], [(300, 100, "Trang hai")]])


def test_words_with_their_boxes_in_top_left_coordinates() -> None:
    pages = read_text_boxes(DOC)
    assert [p.number for p in pages] == [1, 2]
    assert (pages[0].width, pages[0].height) == (595, 842)
    texts = [w.text for w in pages[0].words]
    assert texts == ["QUYET", "DINH", "Nguyen", "Van", "A", "&", "<B>"]  # unescaped
    first = pages[0].words[0]
    assert first.x_min == pytest.approx(72, abs=0.5)
    assert first.y_max == pytest.approx(842 - 770, abs=4)  # baseline, y downwards
    assert first.y_min < first.y_max and first.x_min < first.x_max
    assert pages[0].lines == ()  # no layout analysis unless asked


def test_lines_and_a_page_range_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(DOC)
    (page,) = read_text_boxes(path, first_page=1, last_page=1, lines=True)
    assert [line.text for line in page.lines] == ["QUYET DINH", "Nguyen Van A & <B>"]
    (second,) = read_text_boxes(DOC, first_page=2, last_page=2)
    assert second.number == 2 and [w.text for w in second.words] == ["Trang", "hai"]


def test_not_a_pdf_raises() -> None:
    with pytest.raises(TextExtractionError) as info:
        read_text_boxes(b"not a pdf")
    assert not info.value.timed_out
