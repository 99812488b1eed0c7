"""Default placement through the real gRPC server (issue 10 §4): a personal signature without a
placement goes into the signer block the layout reader finds, the seal over its left third, and
the document signed so has no layout finding (Verify and CheckLayout), on every page geometry.

What the reader sees is checked on poppler's rendering (``pdftoppm``): the signature's ink is
upright (the Γ mark of geometry_documents), covers no text, has the title's ink right above it
and the name's right below, and is centred on the name line (``pdftotext -cropbox``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import grpc
import pytest
from decree30_documents import CORRECT, VARIANTS, Block, build
from geometry_documents import asymmetric_png, ink_mask, render, turned
from PIL import Image, ImageChops
from test_sign_geometry import _assert_upright_mark, _view_lines
from test_sign_support import pyhanko_check, rpc_error, sign, widget_rects

from kyso.cli.main import main
from kyso.v1 import signer_pb2 as spb
from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc

NAME = "Nguyễn Thị Hồng Nhung"
#: PDFium misreads /ActualText spans on content turned by a ``cm`` (docs/layout.md): the
#: documents turned by geometry_documents.turned are written without them
PLAIN = replace(CORRECT, plain_text=True)
GEOMETRIES = {
    "upright": lambda: build(CORRECT),
    "rotate-90": lambda: turned(build(PLAIN), 90),
    "rotate-180": lambda: turned(build(PLAIN), 180),
    "rotate-270": lambda: turned(build(PLAIN), 270),
    "mediabox-200-300": lambda: turned(build(PLAIN), 0, (200.0, 300.0)),
    "rotate-90-offset-userunit-2": lambda: turned(build(PLAIN), 90, (200.0, 300.0), 2.0),
    "landscape-rotate-90": lambda: build(VARIANTS["rotated_landscape"]),
}


def _problems(layout: pb.LayoutReport) -> list[str]:
    return [
        f"{f.code}: {f.found}"
        for f in layout.findings
        if f.severity in (pb.LEVEL_FAIL, pb.LEVEL_WARN)
    ]


def _black(img: Image.Image) -> Image.Image:
    r, g, b = img.split()
    dark = [ch.point(lambda v: 255 if v < 100 else 0, mode="1") for ch in (r, g, b)]
    return ImageChops.logical_and(ImageChops.logical_and(dark[0], dark[1]), dark[2])


def _assert_between_title_and_name(unsigned: bytes, box: tuple[int, int, int, int]) -> None:
    """No text under the signature's ink; the title's ink is the first above it and the
    name's the first below it, in the signature's columns (pixels at 72 dpi)."""
    left, top, right, bottom = box
    text = _black(render(unsigned))
    assert text.crop(box).getbbox() is None, "the signature covers text"
    above = text.crop((left, max(top - 80, 0), right, top)).getbbox()
    below = text.crop((left, bottom, right, bottom + 80)).getbbox()
    assert above is not None and below is not None, (box, above, below)
    lines = _view_lines(unsigned)
    name_line = lines[NAME]
    # the ink below is the name line's (poppler's box of the name holds it)
    assert name_line[1] - 2 <= bottom + below[1] <= name_line[3] + 2, (box, below, name_line)
    assert (left + right) / 2 == pytest.approx((name_line[0] + name_line[2]) / 2, abs=2.0)


def _verify(channel: grpc.Channel, pdf: bytes) -> pb.ValidationReport:
    stub = pb_grpc.VerifierStub(channel)
    opts = pb.VerifyOptions(fetch_revocation=False)
    return stub.Verify(pb.VerifyRequest(document=pdf, options=opts), timeout=60)


def _check(channel: grpc.Channel, pdf: bytes) -> pb.LayoutReport:
    stub = pb_grpc.VerifierStub(channel)
    return stub.CheckLayout(pb.CheckLayoutRequest(document=pdf), timeout=60).layout


@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_default_placement_has_no_layout_finding(
    grpc_channel: grpc.Channel, assert_pdfsig_ok, pki, name: str
) -> None:
    draft = GEOMETRIES[name]()
    assert not _problems(_check(grpc_channel, draft))  # a correct draft to begin with
    personal = sign(grpc_channel, draft, level=spb.PADES_B_B, image_png=asymmetric_png())
    assert_pdfsig_ok(personal.document, expected_signatures=1)
    sealed = sign(
        grpc_channel, personal.document, key="organisation",
        profile=spb.PROFILE_ORGANISATION, level=spb.PADES_B_B,
    ).document  # fmt: skip
    assert_pdfsig_ok(sealed, expected_signatures=2)
    pyhanko_check(sealed, pki.cert("root"), 2)

    report = _verify(grpc_channel, sealed)
    layout = report.layout
    assert layout.status == pb.LAYOUT_STATUS_PASSED and not _problems(layout), layout.findings
    assert {"PERSONAL_SIGNATURE", "ORGANISATION_SIGNATURE", "SIGNATURE_ORDER"} <= set(
        layout.passed_rules
    )
    (measured,) = [f for f in layout.findings if f.code == "ORGANISATION_SIGNATURE_MEASURED"]
    assert "on its left" in measured.found, measured.found
    checked = _check(grpc_channel, sealed)
    assert checked.status == pb.LAYOUT_STATUS_PASSED and not _problems(checked)

    # what the reader sees: upright, between the title and the name, centred on the name
    mask = ink_mask(render(personal.document), "blue")
    box = mask.getbbox()
    assert box is not None, "no signature ink on the rendered page"
    _assert_upright_mark(mask, box)
    _assert_between_title_and_name(draft, box)
    # the widget lies inside the visible page
    (rect,) = widget_rects(personal.document).values()
    assert personal.signature.rect.page == 1 and rect[0] < rect[2]


def test_a_joint_document_is_signed_in_the_signers_block(grpc_channel: grpc.Channel) -> None:
    """Two blocks: the one whose name is the certificate's is the signer's."""
    doc = build(VARIANTS["two_signer_blocks"])
    personal = sign(grpc_channel, doc, level=spb.PADES_B_B).document
    (rect,) = widget_rects(personal).values()
    assert (rect[0] + rect[2]) / 2 > 595.28 / 2  # the right-hand block, Nguyễn Thị Hồng Nhung's


def test_several_blocks_none_the_signers_is_refused(grpc_channel: grpc.Channel) -> None:
    others = replace(
        CORRECT,
        blocks=(
            Block(("TM. BAN CHẤP HÀNH", "CHỦ TỊCH"), "Trần Văn Bình"),
            Block(name="Lê Thị Lan"),
        ),
        recipients=(),
    )
    call = lambda: sign(grpc_channel, build(others), level=spb.PADES_B_B)  # noqa: E731
    assert rpc_error(call) == (grpc.StatusCode.INVALID_ARGUMENT, "PLACEMENT_AMBIGUOUS")
    try:
        call()
    except grpc.RpcError as err:
        assert "Trần Văn Bình" in err.details() and "Lê Thị Lan" in err.details()


def test_a_document_without_a_signer_block_is_refused(grpc_channel: grpc.Channel) -> None:
    from documents import make_pdf

    doc = make_pdf(["Công văn", f"Người ký: {NAME}"])
    assert rpc_error(lambda: sign(grpc_channel, doc, level=spb.PADES_B_B)) == (
        grpc.StatusCode.NOT_FOUND,
        "SIGNER_BLOCK_NOT_FOUND",
    )
    # an anchor still places it
    anchored = sign(
        grpc_channel, doc, level=spb.PADES_B_B, placement=spb.SignPlacement(anchor_text=NAME)
    )
    assert anchored.signature.rect.page == 1


def test_cli_signs_without_anchor(kyso_server: str, tmp_path: Path, capsys) -> None:
    src, out = tmp_path / "qd.pdf", tmp_path / "qd.ky.pdf"
    src.write_bytes(build(CORRECT))
    args = ["--server", kyso_server, "sign", str(src), "-o", str(out), "--key", "personal"]
    assert main([*args, "--profile", "personal", "--level", "B-B"]) == 0
    sealed = tmp_path / "qd.ky2.pdf"
    args = ["--server", kyso_server, "sign", str(out), "-o", str(sealed), "--key", "organisation"]
    assert main([*args, "--profile", "organisation", "--level", "B-B"]) == 0
    capsys.readouterr()
    assert main(["--server", kyso_server, "layout", str(sealed)]) == 0
    assert "ĐÚNG THỂ THỨC" in capsys.readouterr().out
