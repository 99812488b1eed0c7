"""signer.placement: where a personal signature image goes (Decree 30/2020 Appendix I, box 7c).

Hand-made A4 documents (tests/integration/documents.py) read back by poppler's ``pdftotext``;
no server, no token. PDF coordinates: points, origin at the bottom left.
"""

from __future__ import annotations

import math
import unicodedata
from pathlib import Path

import pytest

from kyso.errors import InvalidInput, NotFound
from signer.placement import (
    DEFAULT_IMAGE_HEIGHT,
    MM,
    SignatureBox,
    checked_rect,
    find_personal_box,
)
from tests.integration.documents import (
    A4,
    BOTTOM_MARGIN,
    DECREE30_NAME,
    DECREE30_SIGNATURE_GAP,
    DECREE30_TITLE,
    RIGHT_MARGIN,
    decree30_pdf,
    make_pdf,
)

# decree30_pdf's signature block: centre of the column, baselines of the name and title lines
SIGN_COLUMN = A4[0] - RIGHT_MARGIN - 40 * MM
NAME_BASELINE = BOTTOM_MARGIN + 50
TITLE_BASELINE = NAME_BASELINE + DECREE30_SIGNATURE_GAP + 16
NAME_SIZE = 14.0


@pytest.fixture(scope="module")
def decree30(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("placement") / "decree30.pdf"
    path.write_bytes(decree30_pdf())
    return path


def _pdf(tmp_path: Path, lines: list[str], pages: int = 1) -> Path:
    path = tmp_path / "doc.pdf"
    path.write_bytes(make_pdf(lines, pages=pages))
    return path


def test_anchored_on_the_name_the_image_fills_the_space_above_it(decree30: Path) -> None:
    box = find_personal_box(decree30, DECREE30_NAME, aspect=2.0)
    assert box.page == 1
    assert box.width == pytest.approx(2.0 * box.height)
    assert (box.x1 + box.x2) / 2 == pytest.approx(SIGN_COLUMN, abs=1.0)
    # between the top of the name line and the last title line's baseline, clear of both
    assert box.y1 > NAME_BASELINE + NAME_SIZE * 0.7
    assert box.y2 < TITLE_BASELINE
    assert box.height > 0.8 * (DECREE30_SIGNATURE_GAP - NAME_SIZE)


def test_anchored_on_the_title_the_image_goes_below_the_title_block(decree30: Path) -> None:
    by_name = find_personal_box(decree30, DECREE30_NAME, aspect=2.0)
    for title in DECREE30_TITLE:  # either title line finds the same space
        by_title = find_personal_box(decree30, title, aspect=2.0)
        assert (by_title.y1, by_title.y2) == pytest.approx((by_name.y1, by_name.y2), abs=0.5)
        assert by_title.page == 1


def test_anchor_text_is_compared_in_nfc_with_spaces_collapsed(decree30: Path) -> None:
    nfd = unicodedata.normalize("NFD", DECREE30_NAME).replace(" ", "   ")
    assert nfd != DECREE30_NAME
    assert find_personal_box(decree30, nfd, 1.0) == find_personal_box(decree30, DECREE30_NAME, 1.0)


def test_a_part_of_the_line_is_enough(decree30: Path) -> None:
    assert find_personal_box(decree30, "Hồng Nhung", 1.0).page == 1


def test_the_last_occurrence_wins(tmp_path: Path) -> None:
    """The signature block ends the document: an earlier mention in the body is not it."""
    pdf = _pdf(tmp_path, ["Ký tên", *(["Nội dung"] * 60), "Ký tên"], pages=2)
    assert find_personal_box(pdf, "Ký tên", 1.0).page == 2


def test_without_a_line_above_the_default_height_is_used(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path, ["", "", "", "Nguyễn Văn An"])
    box = find_personal_box(pdf, "Nguyễn Văn An", aspect=1.5)
    assert box.height == pytest.approx(DEFAULT_IMAGE_HEIGHT, abs=0.01)
    assert box.width == pytest.approx(1.5 * box.height)
    assert box.y1 > A4[1] - 20 * MM - 13 - 3 * 19.5  # above the name line (its baseline)


def test_near_the_top_edge_the_image_shrinks_to_stay_on_the_page(tmp_path: Path) -> None:
    """The default height does not fit above a name on the first line: the image takes the
    space there is instead of being cut off at the page edge."""
    pdf = _pdf(tmp_path, ["Nguyễn Văn An"])
    box = find_personal_box(pdf, "Nguyễn Văn An", aspect=1.5)
    assert box.y2 <= A4[1]
    assert box.y1 > A4[1] - 20 * MM - 13  # above the name line (its baseline)
    assert 10 < box.height < DEFAULT_IMAGE_HEIGHT


def test_a_very_tall_space_is_capped_at_45_mm(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path, ["CHỦ TỊCH", *([""] * 20), "Nguyễn Văn An"])
    box = find_personal_box(pdf, "Nguyễn Văn An", aspect=1.0)
    assert box.height == pytest.approx(45 * MM, abs=0.01)


def test_anchor_not_found(decree30: Path) -> None:
    with pytest.raises(NotFound) as info:
        find_personal_box(decree30, "Trần Văn Không Có", 1.0)
    assert info.value.code == "ANCHOR_NOT_FOUND"


@pytest.mark.parametrize("anchor", ["", "   ", "\u00a0\n"])
def test_empty_anchor(decree30: Path, anchor: str) -> None:
    with pytest.raises(InvalidInput) as info:
        find_personal_box(decree30, anchor, 1.0)
    assert info.value.code == "ANCHOR_INVALID"


def test_text_that_cannot_be_extracted(tmp_path: Path) -> None:
    path = tmp_path / "not.pdf"
    path.write_bytes(b"not a PDF at all")
    with pytest.raises(InvalidInput) as info:
        find_personal_box(path, "anything", 1.0)
    assert info.value.code == "NOT_A_PDF"


def test_signature_box_geometry() -> None:
    box = SignatureBox(3, 100.0, 80.0, 40.0, 20.0)
    assert (box.width, box.height) == (-60.0, -60.0)
    norm = box.normalised()
    assert norm == SignatureBox(3, 40.0, 20.0, 100.0, 80.0)
    assert (norm.width, norm.height) == (60.0, 60.0)
    assert norm.normalised() == norm


# --- checked_rect: the one check of a caller's rectangle --------------------------------------

_A4_BOX = (0.0, 0.0, 595.28, 841.89)


def _boxes(page: int) -> tuple[float, float, float, float]:
    # page 2 is an offset CropBox, as scanners and imposition tools write them
    return _A4_BOX if page == 1 else (100.0, 100.0, 695.28, 941.89)


def test_a_rectangle_inside_its_page_is_kept_as_given() -> None:
    rect = SignatureBox(1, 350, 150, 500, 210)
    assert checked_rect(rect, 2, _boxes) == rect
    on_offset_page = SignatureBox(2, 600, 850, 690, 940)
    assert checked_rect(on_offset_page, 2, _boxes) == on_offset_page


@pytest.mark.parametrize(
    ("rect", "problem"),
    [
        (SignatureBox(0, 10, 10, 100, 100), "the document has 2 page(s)"),
        (SignatureBox(3, 10, 10, 100, 100), "the document has 2 page(s)"),
        (SignatureBox(1, 0, 0, math.inf, 480), "finite"),
        (SignatureBox(1, -math.inf, 0, 100, 480), "finite"),
        (SignatureBox(1, 0, 0, math.nan, 480), "finite"),
        (SignatureBox(1, 0, math.nan, 100, 480), "finite"),
        (SignatureBox(1, 300, 100, 100, 480), "x1 < x2"),  # inverted
        (SignatureBox(1, 100, 480, 300, 100), "y1 < y2"),
        (SignatureBox(1, 100, 100, 100, 480), "x1 < x2"),  # zero width
        (SignatureBox(1, 100, 100, 103, 480), "smaller than 5 points"),
        (SignatureBox(1, -200, -100, -50, -20), "not inside the page"),  # negative: off the page
        (SignatureBox(1, 500, 100, 700, 200), "not inside the page"),  # over the right edge
        (SignatureBox(1, 100, 800, 200, 900), "not inside the page"),  # over the top
        (SignatureBox(2, 10, 10, 90, 90), "not inside the page"),  # below the offset CropBox
    ],
)
def test_a_rectangle_that_cannot_hold_a_visible_signature_is_refused(
    rect: SignatureBox, problem: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        checked_rect(rect, 2, _boxes)
    assert caught.value.code == "PLACEMENT_INVALID"
    assert caught.value.params["page"] == rect.page
    assert problem in caught.value.message_en
    assert f"trang {rect.page}" in caught.value.message_vi


# ----------------------------------------------------------------------------- page geometry
@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_seal_and_top_right_box_are_laid_out_as_the_reader_sees_the_page(rotate: int) -> None:
    from kyso.pdf.page_geometry import PageGeometry
    from signer.placement import seal_box, top_right_box

    media = (200.0, 300.0, 1042.0, 895.0) if rotate in (90, 270) else (200.0, 300.0, 795.0, 1142.0)
    geo = PageGeometry(media, rotate)
    assert geo.view_size == pytest.approx((595.0, 842.0))
    # a personal signature 120 x 48 as seen, its left edge at 300 and top at 400 from the top
    personal = SignatureBox(1, *geo.rect_to_user((300.0, 400.0, 420.0, 448.0)))
    seal = seal_box(personal, geo, 100.0, 1.0)
    view = geo.rect_to_view((seal.x1, seal.y1, seal.x2, seal.y2))
    assert view == pytest.approx((240.0, 374.0, 340.0, 474.0))  # right edge at a third in
    corner = top_right_box(1, geo, (100.0, 30.0), 20, 5)
    view = geo.rect_to_view((corner.x1, corner.y1, corner.x2, corner.y2))
    right = 595.0 - 20 * MM
    assert view == pytest.approx((right - 100, 5 * MM, right, 5 * MM + 30))


def test_a_box_sticking_out_of_the_page_is_moved_onto_it() -> None:
    from kyso.pdf.page_geometry import PageGeometry
    from signer.placement import seal_box

    geo = PageGeometry((0.0, 0.0, 595.0, 842.0), 0)
    personal = SignatureBox(1, 10.0, 400.0, 130.0, 448.0)  # near the left edge
    seal = seal_box(personal, geo, 100.0, 1.0)
    assert seal.x1 == pytest.approx(0.0) and seal.x2 == pytest.approx(100.0)
