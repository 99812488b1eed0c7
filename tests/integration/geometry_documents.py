"""Test inputs with unusual page geometry and PDF/A declarations (no tests here).

Each takes an upright A4 document (documents.decree30_pdf) and appends a hand-written
incremental update (objects, a classic xref section, a trailer), so nothing of kyso or of
pyHanko's metadata handling is involved in making the input:

* :func:`turned`: page 1 shown with /Rotate 90/180/270 (the media box turned so that the page
  still *reads* as upright portrait A4: the content is drawn against the rotation, as
  scanners and landscape-table producers do), an offset media box, a /UserUnit;
* :func:`declared_pdfa`: an XMP packet declaring PDF/A part and conformance, consistent with
  the information dictionary, and an sRGB output intent with its ICC profile.

And the render checks: :func:`render` (pdftoppm, as the reader sees the page) and
:func:`ink_box` (the bounding box of the pixels of one ink).
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from pathlib import Path

from documents import A4
from PIL import Image, ImageChops, ImageCms, ImageDraw
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader


def _serialise(obj: generic.PdfObject) -> bytes:
    buf = io.BytesIO()
    obj.write_to_stream(buf, None)
    return buf.getvalue()


def _append(pdf: bytes, objects: dict[int, generic.PdfObject], size: int) -> bytes:
    """``pdf`` + an incremental update writing ``objects`` (number -> object, generation 0)."""
    reader = PdfFileReader(io.BytesIO(pdf))
    prev = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets: dict[int, int] = {}
    for number, obj in sorted(objects.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + _serialise(obj) + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n"
    for number in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (number, offsets[number])
    trailer = generic.DictionaryObject(
        {
            generic.pdf_name("/Size"): generic.NumberObject(size),
            generic.pdf_name("/Root"): reader.trailer.raw_get("/Root"),
            generic.pdf_name("/Prev"): generic.NumberObject(prev),
            generic.pdf_name("/ID"): reader.trailer["/ID"],
        }
    )
    if "/Info" in reader.trailer:
        trailer[generic.pdf_name("/Info")] = reader.trailer.raw_get("/Info")
    out += b"trailer\n" + _serialise(trailer) + b"\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _size(pdf: bytes) -> int:
    return int(PdfFileReader(io.BytesIO(pdf)).trailer["/Size"])


def turned(
    pdf: bytes, rotate: int, origin: tuple[float, float] = (0.0, 0.0), user_unit: float = 1.0
) -> bytes:
    """Page 1 of the upright A4 ``pdf`` shown with /Rotate ``rotate``, its media box starting at
    ``origin`` and one unit being ``user_unit`` / 72 inch; it still reads as upright A4."""
    reader = PdfFileReader(io.BytesIO(pdf))
    page_ref, _ = reader.find_page_for_modification(0)
    page = page_ref.get_object()
    u = user_unit
    w, h = A4[0] / u, A4[1] / u  # the upright page in user units
    ox, oy = origin
    # upright content (x, y) -> user space: the inverse of the viewer's clockwise turn
    matrix, box = {
        0: ((1, 0, 0, 1, ox, oy), (w, h)),
        90: ((0, 1, -1, 0, ox + h, oy), (h, w)),
        180: ((-1, 0, 0, -1, ox + w, oy + h), (w, h)),
        270: ((0, -1, 1, 0, ox, oy + w), (h, w)),
    }[rotate]
    size = _size(pdf)
    before, after = size, size + 1
    head = b"q %g %g %g %g %g %g cm %g 0 0 %g 0 0 cm\n" % (*matrix, 1 / u, 1 / u)
    contents = page.raw_get("/Contents")
    old = list(contents) if isinstance(contents, generic.ArrayObject) else [contents]
    new_page = generic.DictionaryObject(dict(page.items()))
    for key in list(new_page):
        new_page[key] = page.raw_get(key)
    new_page[generic.pdf_name("/Contents")] = generic.ArrayObject(
        [generic.IndirectObject(before, 0, None), *old, generic.IndirectObject(after, 0, None)]
    )
    new_page[generic.pdf_name("/MediaBox")] = generic.ArrayObject(
        generic.FloatObject(v) for v in (ox, oy, ox + box[0], oy + box[1])
    )
    if rotate:
        new_page[generic.pdf_name("/Rotate")] = generic.NumberObject(rotate)
    if user_unit != 1.0:
        new_page[generic.pdf_name("/UserUnit")] = generic.FloatObject(user_unit)
    objects: dict[int, generic.PdfObject] = {
        page_ref.idnum: new_page,
        before: generic.StreamObject(stream_data=head),
        after: generic.StreamObject(stream_data=b"\nQ\n"),
    }
    return _append(pdf, objects, size + 2)


def _xmp_date(pdf_date: str) -> str:
    m = re.match(r"D:(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)", pdf_date)
    assert m, pdf_date
    y, mo, d, hh, mm, ss = m.groups()
    return f"{y}-{mo}-{d}T{hh}:{mm}:{ss}Z"


def declared_pdfa(pdf: bytes, part: int, conformance: str = "B") -> bytes:
    """``pdf`` declaring PDF/A-``part````conformance`` in XMP that agrees with its /Info, with
    an sRGB output intent (ICC profile embedded, /N 3)."""
    reader = PdfFileReader(io.BytesIO(pdf))
    info = reader.trailer["/Info"]
    producer = str(info["/Producer"])
    modified = _xmp_date(str(info["/ModDate"]))
    xmp = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
<pdfaid:part>{part}</pdfaid:part><pdfaid:conformance>{conformance}</pdfaid:conformance>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
<pdf:Producer>{producer}</pdf:Producer><xmp:ModifyDate>{modified}</xmp:ModifyDate>
</rdf:Description>
</rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>""".encode()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    size = _size(pdf)
    meta, profile, intent = size, size + 1, size + 2
    name = generic.pdf_name
    catalog_ref = reader.trailer.raw_get("/Root")
    catalog = generic.DictionaryObject()
    for key in reader.root:
        catalog[key] = reader.root.raw_get(key)
    catalog[name("/Metadata")] = generic.IndirectObject(meta, 0, None)
    catalog[name("/OutputIntents")] = generic.ArrayObject([generic.IndirectObject(intent, 0, None)])
    objects: dict[int, generic.PdfObject] = {
        catalog_ref.idnum: catalog,
        meta: generic.StreamObject(
            {name("/Type"): name("/Metadata"), name("/Subtype"): name("/XML")}, stream_data=xmp
        ),
        profile: generic.StreamObject({name("/N"): generic.NumberObject(3)}, stream_data=icc),
        intent: generic.DictionaryObject(
            {
                name("/Type"): name("/OutputIntent"),
                name("/S"): name("/GTS_PDFA1"),
                name("/OutputConditionIdentifier"): generic.TextStringObject("sRGB IEC61966-2.1"),
                name("/DestOutputProfile"): generic.IndirectObject(profile, 0, None),
            }
        ),
    }
    return _append(pdf, objects, size + 3)


def asymmetric_png() -> bytes:
    """A 300 x 100 ink mark shaped like a Γ: a bar along the whole top edge and one down the
    left edge. Upright, its box is three times wider than tall, its top band and left band are
    inked and its lower right is empty; any turn or mirror breaks one of these."""
    img = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 299, 24), fill=(0, 0, 0, 255))
    draw.rectangle((0, 0, 39, 99), fill=(0, 0, 0, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def render(pdf: bytes, dpi: int = 72) -> Image.Image:
    """Page 1 as the reader sees it (pdftoppm applies /Rotate and the crop box)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", "-png", str(path), f"{tmp}/p"],
            check=True,
            timeout=60,
        )
        (png,) = Path(tmp).glob("p*.png")
        with Image.open(png) as img:
            return img.convert("RGB")


def ink_mask(img: Image.Image, ink: str) -> Image.Image:
    """A 1-bit image of the pixels of ``ink`` ("blue": personal signature, "red": seal)."""
    r, g, b = img.split()

    def low(ch: Image.Image) -> Image.Image:
        return ch.point(lambda v: 255 if v < 90 else 0, mode="1")

    def high(ch: Image.Image, t: int) -> Image.Image:
        return ch.point(lambda v: 255 if v > t else 0, mode="1")

    if ink == "blue":
        return ImageChops.logical_and(ImageChops.logical_and(high(b, 120), low(r)), low(g))
    return ImageChops.logical_and(ImageChops.logical_and(high(r, 150), low(g)), low(b))


def ink_box(img: Image.Image, ink: str) -> tuple[int, int, int, int] | None:
    """``(left, top, right, bottom)`` in pixels of the ``ink`` pixels, None when there are none."""
    return ink_mask(img, ink).getbbox()
