"""Placement on every page geometry and PDF/A kept, through the real gRPC server (issue 10 §4).

The signature must lie where the reader sees the signer block and look upright to them, so
the checks are made on what poppler renders (``pdftoppm``: /Rotate and the crop box applied)
and on poppler's own text positions (``pdftotext -cropbox``, in the same view), not only on the
widget rectangle. The signature image is a Γ-shaped mark (geometry_documents.asymmetric_png):
any turn or mirror of it is seen in the pixels.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from io import BytesIO
from pathlib import Path

import grpc
import pytest
from documents import DECREE30_NAME, DECREE30_TITLE, decree30_pdf, make_pdf
from geometry_documents import asymmetric_png, declared_pdfa, ink_box, ink_mask, render, turned
from pyhanko.pdf_utils.reader import PdfFileReader
from test_sign_support import pyhanko_check, sign, widget_rects

from kyso.cli.main import main
from kyso.v1 import signer_pb2 as pb

A4_W, A4_H = 595.28, 841.89

GEOMETRIES = {
    "rotate-0": (0, (0.0, 0.0), 1.0),
    "rotate-90": (90, (0.0, 0.0), 1.0),
    "rotate-180": (180, (0.0, 0.0), 1.0),
    "rotate-270": (270, (0.0, 0.0), 1.0),
    "mediabox-200-300": (0, (200.0, 300.0), 1.0),
    "rotate-90-offset-userunit-2": (90, (200.0, 300.0), 2.0),
}


def _view_lines(pdf: bytes) -> dict[str, tuple[float, float, float, float]]:
    """Line text -> (left, top, right, bottom) in the visible page, by poppler."""
    out = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-cropbox", "-bbox-layout", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    lines = {}
    for m in re.finditer(
        r'<line xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</line>',
        out,
        re.S,
    ):
        text = " ".join(re.findall(r"<word[^>]*>([^<]*)</word>", m.group(5)))
        lines[text] = tuple(float(v) for v in m.groups()[:4])
    return lines  # type: ignore[return-value]


def _visible_box(pdf: bytes) -> tuple[float, float, float, float]:
    reader = PdfFileReader(BytesIO(pdf))
    ref, _ = reader.find_page_for_modification(0)
    page = ref.get_object()
    box = page.get("/CropBox") or page["/MediaBox"]
    x1, y1, x2, y2 = (float(v) for v in box)
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def _assert_upright_mark(mask, box) -> None:  # type: ignore[no-untyped-def]
    """The Γ mark inside ``box`` of the 1-bit ``mask`` is upright and not mirrored."""
    left, top, right, bottom = box
    w, h = right - left, bottom - top
    assert w == pytest.approx(3 * h, rel=0.12), box  # 300 x 100: wide, not tall

    def filled(x1: float, y1: float, x2: float, y2: float) -> float:
        region = mask.crop((int(x1), int(y1), int(x2), int(y2)))
        pixels = region.size[0] * region.size[1]
        return region.histogram()[255] / max(pixels, 1)

    assert filled(left, top, right, top + 0.18 * h) > 0.8, "top bar missing: not upright"
    assert filled(left, top, left + 0.1 * w, bottom) > 0.8, "left bar missing: mirrored/turned"
    assert filled(left + 0.3 * w, top + 0.4 * h, right, bottom) < 0.05, "ink where none is"


@pytest.fixture(scope="module")
def mark() -> bytes:
    return asymmetric_png()


@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_default_placement_lies_by_the_anchor_and_renders_upright(
    grpc_channel: grpc.Channel, assert_pdfsig_ok, pki, mark: bytes, name: str
) -> None:
    rotate, origin, unit = GEOMETRIES[name]
    doc = turned(decree30_pdf(), rotate, origin, unit)
    resp = sign(
        grpc_channel,
        doc,
        level=pb.PADES_B_B,
        placement=pb.SignPlacement(anchor_text=DECREE30_NAME),
        image_png=mark,
    )
    assert_pdfsig_ok(resp.document, expected_signatures=1)
    pyhanko_check(resp.document, pki.cert("root"), 1)

    # the widget lies inside the visible page (user space)
    x1, y1, x2, y2 = widget_rects(resp.document)[resp.signature.field_name]
    bx1, by1, bx2, by2 = _visible_box(doc)
    assert bx1 <= x1 < x2 <= bx2 and by1 <= y1 < y2 <= by2, ((x1, y1, x2, y2), (bx1, by1))

    # what the reader sees: between the title and the name line, centred on the name, upright
    lines = _view_lines(doc)
    name_line = lines[DECREE30_NAME]
    title_line = lines[DECREE30_TITLE[1]]
    img = render(resp.document)
    mask = ink_mask(img, "blue")
    box = mask.getbbox()
    assert box is not None, "no signature ink on the rendered page"
    left, top, right, bottom = box
    assert title_line[3] - 1 <= top and bottom <= name_line[1] + 1, (box, title_line, name_line)
    assert (left + right) / 2 == pytest.approx((name_line[0] + name_line[2]) / 2, abs=2.0)
    _assert_upright_mark(mask, box)
    assert ink_box(render(doc), "blue") is None  # the ink is the signature's


@pytest.mark.parametrize("name", ["rotate-90", "rotate-270", "mediabox-200-300"])
def test_the_seal_covers_the_left_third_as_the_reader_sees_it(
    grpc_channel: grpc.Channel, assert_pdfsig_ok, name: str
) -> None:
    rotate, origin, unit = GEOMETRIES[name]
    doc = turned(decree30_pdf(), rotate, origin, unit)
    personal = sign(
        grpc_channel, doc, level=pb.PADES_B_B, placement=pb.SignPlacement(anchor_text=DECREE30_NAME)
    ).document
    sealed = sign(
        grpc_channel,
        personal,
        key="organisation",
        profile=pb.PROFILE_ORGANISATION,
        level=pb.PADES_B_B,
    ).document
    assert_pdfsig_ok(sealed, expected_signatures=2)
    blue = ink_box(render(personal), "blue")
    red = ink_box(render(sealed), "red")
    assert blue is not None and red is not None
    width = blue[2] - blue[0]
    # the demo signature's ink does not reach the image's edges: measure against the widget
    rects = widget_rects(personal)
    (rect,) = rects.values()
    widget_w = (rect[3] - rect[1]) if rotate in (90, 270) else (rect[2] - rect[0])
    assert width <= widget_w + 2
    assert red[0] < blue[0] < red[2] < blue[2], (red, blue)  # from the left, over a part
    # the seal's image is square: its ink box centre is the widget's; centred on the signature
    assert (red[1] + red[3]) / 2 == pytest.approx((blue[1] + blue[3]) / 2, abs=8)
    seal_w = red[2] - red[0]
    assert seal_w == pytest.approx(36 * 72 / 25.4, rel=0.05)  # real size, upright round seal
    assert red[3] - red[1] == pytest.approx(seal_w, rel=0.05)


def _update(signed: bytes, original: bytes) -> bytes:
    assert signed.startswith(original)
    return signed[len(original) :]


def _xmp(pdf: bytes) -> str:
    reader = PdfFileReader(BytesIO(pdf))
    return bytes(reader.root["/Metadata"].get_object().data).decode("utf-8")


def _pdffonts(pdf: bytes) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(
            ["pdffonts", str(path)], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    return out.splitlines()[2:]


def _assert_pdfa_kept(signed: bytes, original: bytes, part: int) -> None:
    """The clauses of ISO 19005 an incremental signature can break, checked on the output."""
    update = _update(signed, original)
    # PDF/A-1 6.4 (and kyso's choice in every part): no soft mask, no transparency
    assert b"/SMask" not in update
    assert b"/Transparency" not in update
    assert not re.search(rb"/(CA|ca)\s+0?\.\d", update)
    # PDF/A-1 6.1.4: no cross-reference or object streams (the input has a classic table)
    assert b"/XRef" not in update and b"/ObjStm" not in update
    # 6.7.11: the identification is kept; 6.7.3: information dictionary and XMP agree
    xmp = _xmp(signed)
    assert re.search(rf"pdfaid:part(>|=\"){part}", xmp), xmp
    assert re.search(r"pdfaid:conformance(>|=\")B", xmp), xmp
    reader = PdfFileReader(BytesIO(signed))
    info = reader.trailer["/Info"]
    producer = re.search(r"pdf:Producer(?:>|=\")([^<\"]*)", xmp)
    assert producer is not None and producer.group(1) == str(info["/Producer"]), xmp
    moddate = re.search(r"xmp:ModifyDate(?:>|=\")([^<\"]*)", xmp)
    assert moddate is not None, xmp
    d = str(info["/ModDate"])  # D:YYYYMMDDHHmmSS+07'00'
    assert moddate.group(1).startswith(f"{d[2:6]}-{d[6:8]}-{d[8:10]}T{d[10:12]}:{d[12:14]}:"), (
        d,
        moddate.group(1),
    )
    # 6.2.2: the output intent stays, with its profile
    (intent,) = reader.root["/OutputIntents"]
    assert intent.get_object()["/DestOutputProfile"].get_object()["/N"] == 3
    # 6.3.4: every font embedded
    fonts = _pdffonts(signed)
    assert fonts and all(" yes " in f" {' '.join(line.split()[-5:])} " for line in fonts), fonts


@pytest.mark.parametrize("part", [1, 2])
def test_pdfa_stays_pdfa_personal_then_organisation(
    grpc_channel: grpc.Channel, assert_pdfsig_ok, pki, part: int
) -> None:
    doc = declared_pdfa(decree30_pdf(), part)
    personal = sign(
        grpc_channel, doc, level=pb.PADES_B_T, placement=pb.SignPlacement(anchor_text=DECREE30_NAME)
    )
    assert personal.signature.pdfa == f"PDF/A-{part}B"
    _assert_pdfa_kept(personal.document, doc, part)
    sealed = sign(
        grpc_channel,
        personal.document,
        key="organisation",
        profile=pb.PROFILE_ORGANISATION,
        level=pb.PADES_B_B,
    )
    assert sealed.signature.pdfa == f"PDF/A-{part}B"
    _assert_pdfa_kept(sealed.document, doc, part)
    assert_pdfsig_ok(sealed.document, expected_signatures=2)
    pyhanko_check(sealed.document, pki.cert("root"), 2)
    # the stencil images are drawn in their inks
    img = render(sealed.document)
    assert ink_box(img, "blue") is not None and ink_box(img, "red") is not None


def test_pdfa1_attachment_text_box_font_is_embedded_with_its_cid_set(
    grpc_channel: grpc.Channel, assert_pdfsig_ok
) -> None:
    doc = declared_pdfa(make_pdf(["Phụ lục"]), 1)
    resp = sign(
        grpc_channel,
        doc,
        key="organisation",
        profile=pb.PROFILE_ATTACHMENT,
        level=pb.PADES_B_B,
        document_number="15/QĐ-UBND",
    )
    assert resp.signature.pdfa == "PDF/A-1B"
    assert_pdfsig_ok(resp.document, expected_signatures=1)
    _assert_pdfa_kept(resp.document, doc, 1)
    assert b"/CIDSet" in _update(resp.document, doc)  # PDF/A-1 6.3.5 for a CID font subset


def test_a_document_without_pdfa_reports_none_and_keeps_soft_masks(
    grpc_channel: grpc.Channel,
) -> None:
    doc = decree30_pdf()
    resp = sign(
        grpc_channel, doc, level=pb.PADES_B_B, placement=pb.SignPlacement(anchor_text=DECREE30_NAME)
    )
    assert resp.signature.pdfa == ""
    assert b"/SMask" in _update(resp.document, doc)  # smooth edges where transparency is allowed


def test_cli_says_which_pdfa_part_it_kept(kyso_server: str, tmp_path: Path, capsys) -> None:
    src = tmp_path / "qd.pdf"
    src.write_bytes(declared_pdfa(decree30_pdf(), 2))
    out = tmp_path / "qd.ky.pdf"
    args = ["--server", kyso_server, "sign", str(src), "-o", str(out), "--key", "personal"]
    assert main([*args, "--anchor", DECREE30_NAME, "--level", "B-B"]) == 0
    assert "PDF/A-2B kept" in capsys.readouterr().out


def test_attachment_box_is_top_right_as_the_reader_sees_a_turned_page(
    grpc_channel: grpc.Channel, assert_pdfsig_ok
) -> None:
    doc = turned(make_pdf(["Phụ lục"]), 90, (200.0, 300.0))
    resp = sign(
        grpc_channel,
        doc,
        key="organisation",
        profile=pb.PROFILE_ATTACHMENT,
        level=pb.PADES_B_B,
        document_number="15/QĐ-UBND",
    )
    assert_pdfsig_ok(resp.document, expected_signatures=1)
    line = _view_lines(resp.document)["Số: 15/QĐ-UBND"]
    mm = 72 / 25.4
    # right-aligned 20 mm from the right edge (less the box's padding), near the top, upright:
    # poppler finds the words as one horizontal line of the visible page
    assert line[2] == pytest.approx(595.28 - 20 * mm - 2, abs=1.5), line
    assert 5 * mm < line[1] < 30 * mm, line
    assert line[2] - line[0] > 2 * (line[3] - line[1])


def test_an_existing_field_on_a_turned_page_is_drawn_upright(
    grpc_channel: grpc.Channel, assert_pdfsig_ok, mark: bytes
) -> None:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    doc = turned(decree30_pdf(), 270)
    # 150 x 50 as the reader sees it, 100 from the left and 300 from the top: user space is
    # turned by 270 degrees, so x = 841.89 - top..., y = 595.28 - left...
    left, top, width, height = 100.0, 300.0, 150.0, 50.0
    rect = (A4_H - top - height, A4_W - left - width, A4_H - top, A4_W - left)
    w = IncrementalPdfFileWriter(BytesIO(doc))
    append_signature_field(w, SigFieldSpec("ChuKy", box=rect))  # type: ignore[arg-type]
    out = BytesIO()
    w.write(out)
    resp = sign(
        grpc_channel,
        out.getvalue(),
        level=pb.PADES_B_B,
        placement=pb.SignPlacement(field_name="ChuKy"),
        image_png=mark,
    )
    assert_pdfsig_ok(resp.document, expected_signatures=1)
    mask = ink_mask(render(resp.document), "blue")
    box = mask.getbbox()
    assert box is not None
    assert box[0] >= left - 1 and box[2] <= left + width + 1, box
    assert box[1] >= top - 1 and box[3] <= top + height + 1, box
    _assert_upright_mark(mask, box)


def test_two_step_signature_keeps_and_reports_pdfa(
    grpc_channel: grpc.Channel, pki, config_factory, assert_pdfsig_ok
) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from test_sign_support import stub

    doc = declared_pdfa(decree30_pdf(), 1)
    prepared = stub(grpc_channel).PrepareSignature(
        pb.PrepareSignatureRequest(
            document=doc,
            certificate=pki.cert_path("personal").read_bytes(),
            chain=[p.read_bytes() for p in pki.chain_paths("personal")],
            options=pb.SignOptions(
                level=pb.PADES_B_B,
                placement=pb.SignPlacement(anchor_text=DECREE30_NAME),
                image_png=config_factory.signature_image.read_bytes(),
            ),
        ),
        timeout=60,
    )
    key = serialization.load_pem_private_key(pki.key_path("personal").read_bytes(), None)
    signature = key.sign(prepared.signed_attributes, padding.PKCS1v15(), hashes.SHA256())
    done = stub(grpc_channel).CompleteSignature(
        pb.CompleteSignatureRequest(
            id=prepared.id, signature=signature, document_sha256=prepared.document_sha256
        ),
        timeout=60,
    )
    assert done.signature.pdfa == "PDF/A-1B"
    assert_pdfsig_ok(done.document, expected_signatures=1)
    _assert_pdfa_kept(done.document, doc, 1)
