"""signer.placement without a placement: the signer block found by the layout reader
(issue 10 §4), one clear block or a refusal, and the configured fallback.

Generated Decree 30 documents (tests/integration/decree30_documents.py, pdfium's reader) and
poppler's anchor search on the same pages for comparison; no server.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from decree30_documents import CORRECT, VARIANTS, Block, block_columns, build

from kyso.errors import InvalidInput, NotFound
from kyso.pdf.page_geometry import PageGeometry
from signer.placement import (
    find_default_personal_box,
    signer_block_from_anchor,
    signer_block_from_layout,
)
from tests.integration.documents import make_pdf

NAME = "Nguyễn Thị Hồng Nhung"
A4 = (0.0, 0.0, 595.28, 841.89)


def _write(tmp_path: Path, data: bytes, name: str = "doc.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _geometry(rotate: int = 0) -> PageGeometry:
    return PageGeometry(A4, rotate)


def test_one_block_is_the_same_space_the_name_anchor_gives(tmp_path: Path) -> None:
    pdf = _write(tmp_path, build(CORRECT))
    found = signer_block_from_layout(pdf)
    anchored = signer_block_from_anchor(pdf, NAME, lambda page: _geometry())
    assert found.page == anchored.page == 1
    assert found.centre_x == pytest.approx(anchored.centre_x, abs=1.5)
    # pdfium's glyph boxes are tight, poppler's lines run over the font's whole height: the
    # reader's space holds poppler's and is at most a line taller at either end
    assert anchored.top - 16 < found.top <= anchored.top
    assert anchored.bottom <= found.bottom < anchored.bottom + 16
    assert found.bottom - found.top > 60  # the 35 mm gap less the lines


def test_the_box_lies_between_title_and_name_centred_on_the_column(tmp_path: Path) -> None:
    pdf = _write(tmp_path, build(CORRECT))
    box = find_default_personal_box(pdf, 3.0, lambda page: _geometry(), names=["Somebody Else"])
    block = signer_block_from_layout(pdf)
    view = _geometry().rect_to_view((box.x1, box.y1, box.x2, box.y2))
    assert block.top < view[1] < view[3] < block.bottom
    assert (box.x1 + box.x2) / 2 == pytest.approx(block_columns(CORRECT)[0], abs=2)


def test_a_rotated_landscape_page_is_read_as_seen(tmp_path: Path) -> None:
    spec = VARIANTS["rotated_landscape"]
    pdf = _write(tmp_path, build(spec))
    geo = _geometry(90)
    box = find_default_personal_box(pdf, 3.0, lambda page: geo, names=[])
    assert geo.contains((box.x1, box.y1, box.x2, box.y2))
    left, _, right, _ = geo.rect_to_view((box.x1, box.y1, box.x2, box.y2))
    assert (left + right) / 2 == pytest.approx(block_columns(spec)[0], abs=2)


def test_a_long_document_uses_the_last_page(tmp_path: Path) -> None:
    pdf = _write(tmp_path, build(VARIANTS["long"]))
    assert signer_block_from_layout(pdf).page == 3


def test_several_blocks_the_signers_name_decides(tmp_path: Path) -> None:
    spec = VARIANTS["two_signer_blocks"]
    pdf = _write(tmp_path, build(spec))
    left, right = block_columns(spec)
    assert signer_block_from_layout(pdf, [NAME]).centre_x == pytest.approx(right, abs=2)
    # a certificate's remark in parentheses and the case do not matter
    by_cn = signer_block_from_layout(pdf, ["TRẦN VĂN BÌNH (demo)"])
    assert by_cn.centre_x == pytest.approx(left, abs=2)
    # no name matches: the key's title decides
    by_title = signer_block_from_layout(pdf, ["Lê Văn C"], ["tm. ban chấp hành"])
    assert by_title.centre_x == pytest.approx(left, abs=2)


def test_several_blocks_and_none_is_the_signers_is_refused_with_the_candidates(
    tmp_path: Path,
) -> None:
    pdf = _write(tmp_path, build(VARIANTS["two_signer_blocks"]))
    with pytest.raises(InvalidInput) as err:
        signer_block_from_layout(pdf, ["Lê Văn C"])
    assert err.value.code == "PLACEMENT_AMBIGUOUS"
    assert "Trần Văn Bình" in err.value.message_en and NAME in err.value.message_en
    assert "page 1: CHỦ TỊCH / Trần Văn Bình" in err.value.message_vi
    # the same name in both blocks is no answer either
    same = replace(CORRECT, blocks=(Block(name=NAME), Block(name=NAME)), recipients=())
    with pytest.raises(InvalidInput, match="PLACEMENT_AMBIGUOUS"):
        signer_block_from_layout(_write(tmp_path, build(same), "same.pdf"), [NAME])


def test_no_block_is_refused_unless_the_fallback_says_otherwise(tmp_path: Path) -> None:
    pdf = _write(tmp_path, make_pdf(["Công văn", f"Người ký: {NAME}"]))
    with pytest.raises(NotFound) as err:
        find_default_personal_box(pdf, 3.0, lambda page: _geometry(), names=[NAME])
    assert err.value.code == "SIGNER_BLOCK_NOT_FOUND"
    # signer_name: anchored on the signer's name, as before the layout reader
    box = find_default_personal_box(
        pdf, 3.0, lambda page: _geometry(), names=[NAME], fallback="signer_name"
    )
    expected = signer_block_from_anchor(pdf, NAME, lambda page: _geometry())
    view = _geometry().rect_to_view((box.x1, box.y1, box.x2, box.y2))
    assert view[3] <= expected.bottom + 0.01
    with pytest.raises(NotFound, match="ANCHOR_NOT_FOUND"):
        find_default_personal_box(
            pdf, 3.0, lambda page: _geometry(), names=["Lê Văn C"], fallback="signer_name"
        )


def test_a_scan_has_no_block_and_a_broken_file_is_not_a_pdf(tmp_path: Path) -> None:
    from decree30_documents import scanned

    with pytest.raises(NotFound, match="SIGNER_BLOCK_NOT_FOUND"):
        signer_block_from_layout(_write(tmp_path, scanned(build(CORRECT), dpi=72)))
    with pytest.raises(InvalidInput, match="NOT_A_PDF"):
        signer_block_from_layout(_write(tmp_path, b"%PDF-1.7 nothing", "broken.pdf"))
