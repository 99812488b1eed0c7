"""Signing cases from real use (../shared/cases, MANIFEST.md "Signing") through gRPC.

Signed with the test server's personal key and its signature image (the demo's), anchored on
``GIÁM ĐỐC`` as the MANIFEST says; every output passes pdfsig. What the reader sees is checked
on poppler's rendering (``pdftoppm``) against poppler's text positions in the same view
(``pdftotext -cropbox``): the ink of the signature must be on the page, in the signer block
under the anchor, and wider than tall as the upright signature image is.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import grpc
import pytest
from geometry_documents import ink_box, render
from test_sign_support import sign, widget_rects

from kyso.v1 import signer_pb2 as pb
from tests.shared_corpus import CASES

ANCHOR = "GIÁM ĐỐC"
NAME = "Đinh Thị Thử"


def _view_line(pdf: bytes, text: str) -> tuple[float, float, float, float]:
    out = subprocess.run(
        ["pdftotext", "-cropbox", "-bbox-layout", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    found = None
    for m in re.finditer(
        r'<line xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</line>',
        out,
        re.S,
    ):
        if " ".join(re.findall(r"<word[^>]*>([^<]*)</word>", m.group(5))) == text:
            found = tuple(float(v) for v in m.groups()[:4])
    assert found is not None, text
    return found  # type: ignore[return-value]


def _signed(channel: grpc.Channel, name: str) -> tuple[bytes, pb.SignResponse]:
    data = (CASES / name).read_bytes()
    resp = sign(channel, data, level=pb.PADES_B_B, placement=pb.SignPlacement(anchor_text=ANCHOR))
    return data, resp


@pytest.mark.parametrize("name", ["g07-rotate90-landscape.pdf", "g07b-mediabox-offset.pdf"])
def test_signature_next_to_the_anchor_upright_on_the_page(
    grpc_channel: grpc.Channel, assert_pdfsig_ok, shared_cases_dir: Path, name: str
) -> None:
    data, resp = _signed(grpc_channel, name)
    assert_pdfsig_ok(resp.document, expected_signatures=1)
    title = _view_line(data, ANCHOR)
    signer_name = _view_line(data, NAME)
    img = render(resp.document)
    box = ink_box(img, "blue")
    assert box is not None, "the signature is not visible"
    left, top, right, bottom = box
    assert 0 <= left and right <= img.size[0] and 0 <= top and bottom <= img.size[1]
    # under the title, above the name, centred on the title line (Decree 30 App. I box 7c)
    assert title[3] - 1 <= top and bottom <= signer_name[1] + 1, (box, title, signer_name)
    assert (left + right) / 2 == pytest.approx((title[0] + title[2]) / 2, abs=6)
    assert right - left > 1.5 * (bottom - top), box  # upright: the image is wide, not tall
    (rect,) = widget_rects(resp.document).values()
    assert rect[2] - rect[0] > 5 and rect[3] - rect[1] > 5


def test_pdfa1b_keeps_its_part_and_has_no_soft_mask(
    grpc_channel: grpc.Channel, assert_pdfsig_ok, shared_cases_dir: Path
) -> None:
    data, resp = _signed(grpc_channel, "g10-pdfa1b-claimed.pdf")
    assert_pdfsig_ok(resp.document, expected_signatures=1)
    assert resp.signature.pdfa == "PDF/A-1B"
    update = resp.document[len(data) :]
    assert b"/SMask" not in update and b"/Transparency" not in update
    assert b"pdfaid:part" in update  # the XMP rewritten with the signing time keeps it
    assert ink_box(render(resp.document), "blue") is not None
