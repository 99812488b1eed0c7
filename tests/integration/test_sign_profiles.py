"""Every profile and level through the real gRPC server, checked by pdfsig and pyHanko."""

from __future__ import annotations

import unicodedata
from io import BytesIO

import grpc
import pytest
from documents import (
    BOTTOM_MARGIN,
    DECREE30_NAME,
    DECREE30_SIGNATURE_GAP,
    DECREE30_TITLE,
    MM,
    decree30_pdf,
    make_pdf,
)
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from test_sign_support import RECT_SMALL, pdftotext, pyhanko_check, rpc_error, sign, widget_rects

from kyso.v1 import signer_pb2 as pb

NAME_BASELINE = BOTTOM_MARGIN + 50
TITLE_BASELINE = NAME_BASELINE + DECREE30_SIGNATURE_GAP + 16


@pytest.fixture(scope="module")
def personal_signed(grpc_channel: grpc.Channel) -> bytes:
    return sign(
        grpc_channel,
        decree30_pdf(),
        level=pb.PADES_B_B,
        placement=pb.SignPlacement(anchor_text=DECREE30_NAME),
    ).document


def _between_title_and_name(rect: tuple[float, float, float, float]) -> None:
    x1, y1, x2, y2 = rect
    assert NAME_BASELINE + 10 < y1 < y2 < TITLE_BASELINE, rect
    # centred on the signature column (the name line's centre)
    centre = 595.28 - 20 * MM - 40 * MM
    assert abs((x1 + x2) / 2 - centre) < 1.0, rect


def test_personal_by_name_anchor_between_title_and_name(personal_signed, pki, assert_pdfsig_ok):
    assert_pdfsig_ok(personal_signed, expected_signatures=1)
    pyhanko_check(personal_signed, pki.cert("root"), 1)
    (rect,) = widget_rects(personal_signed).values()
    _between_title_and_name(rect)


def test_personal_by_title_anchor(grpc_channel, pki, assert_pdfsig_ok):
    resp = sign(
        grpc_channel,
        decree30_pdf(),
        level=pb.PADES_B_B,
        placement=pb.SignPlacement(anchor_text=DECREE30_TITLE[0]),
    )
    assert_pdfsig_ok(resp.document, expected_signatures=1)
    _between_title_and_name(widget_rects(resp.document)[resp.signature.field_name])


def test_personal_default_anchor_is_the_signers_name(grpc_channel, assert_pdfsig_ok):
    """No placement: the certificate's name is looked up on the page."""
    resp = sign(grpc_channel, decree30_pdf(), level=pb.PADES_B_B)
    assert_pdfsig_ok(resp.document, expected_signatures=1)
    _between_title_and_name(widget_rects(resp.document)[resp.signature.field_name])


@pytest.mark.parametrize("level", [pb.PADES_B_B, pb.PADES_B_T, pb.PADES_B_LT, pb.PADES_B_LTA])
def test_every_level(grpc_channel, pki, assert_pdfsig_ok, level):
    resp = sign(
        grpc_channel, decree30_pdf(), level=level, placement=pb.SignPlacement(rect=RECT_SMALL)
    )
    assert resp.signature.level == level
    if level == pb.PADES_B_LTA:
        pdfsig_ok_but_document_timestamps(resp.document, pki)
    else:
        assert_pdfsig_ok(resp.document, expected_signatures=1)
    (status,) = pyhanko_check(resp.document, pki.cert("root"), 1)
    reader = PdfFileReader(BytesIO(resp.document))
    has_ts = status.timestamp_validity is not None
    assert has_ts == (level != pb.PADES_B_B)
    dss = reader.root["/DSS"] if "/DSS" in reader.root else None
    if level in (pb.PADES_B_LT, pb.PADES_B_LTA):
        assert dss is not None and "/Certs" in dss and ("/OCSPs" in dss or "/CRLs" in dss)
    else:
        assert dss is None
    assert len(reader.embedded_timestamp_signatures) == (1 if level == pb.PADES_B_LTA else 0)


def pdfsig_ok_but_document_timestamps(pdf: bytes, pki) -> None:
    """pdfsig cannot validate RFC 3161 document timestamps ("Unimplemented Feature"); the
    signature itself must still be valid and trusted, and the timestamp is checked by pyHanko."""
    from conftest import run_pdfsig

    report = run_pdfsig(pki.nss_db, pdf)
    blocks = report.split("Signature #")[1:]
    assert len(blocks) == 2, report
    assert "Signature is Valid." in blocks[0] and "Certificate is Trusted." in blocks[0], report
    assert "TSA (test)" in blocks[1], report


def test_default_level_is_b_t_with_a_tsa(grpc_channel):
    resp = sign(grpc_channel, decree30_pdf(), placement=pb.SignPlacement(rect=RECT_SMALL))
    assert resp.signature.level == pb.PADES_B_T


def test_ec_key(grpc_channel, pki, assert_pdfsig_ok):
    resp = sign(
        grpc_channel,
        decree30_pdf(),
        key="personal-ec",
        level=pb.PADES_B_B,
        placement=pb.SignPlacement(rect=RECT_SMALL),
    )
    assert_pdfsig_ok(resp.document, expected_signatures=1)
    pyhanko_check(resp.document, pki.cert("root"), 1)


def test_organisation_seal_covers_left_third(grpc_channel, personal_signed, pki, assert_pdfsig_ok):
    resp = sign(
        grpc_channel,
        personal_signed,
        key="organisation",
        profile=pb.PROFILE_ORGANISATION,
        level=pb.PADES_B_T,
    )
    assert_pdfsig_ok(resp.document, expected_signatures=2)
    pyhanko_check(resp.document, pki.cert("root"), 2)
    rects = widget_rects(resp.document)
    seal = rects[resp.signature.field_name]
    (personal,) = [r for name, r in rects.items() if name != resp.signature.field_name]
    p_width = personal[2] - personal[0]
    overlap = min(seal[2], personal[2]) - max(seal[0], personal[0])
    assert overlap == pytest.approx(p_width / 3, rel=0.05)
    assert seal[0] < personal[0]  # the seal reaches out to the left of the signature
    # real size: 36 mm by default
    assert seal[2] - seal[0] == pytest.approx(36 * MM, rel=0.01)
    # vertically centred on the signature image
    assert (seal[1] + seal[3]) / 2 == pytest.approx((personal[1] + personal[3]) / 2, abs=0.5)


def test_organisation_refused_without_personal_signature(grpc_channel):
    code, reason = rpc_error(
        lambda: sign(
            grpc_channel,
            decree30_pdf(),
            key="organisation",
            profile=pb.PROFILE_ORGANISATION,
            level=pb.PADES_B_B,
        )
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert reason == "PERSONAL_SIGNATURE_REQUIRED"


def test_organisation_refused_over_an_untrusted_personal_signature(grpc_channel, pki, tmp_path):
    """A signature by a certificate outside the trust store does not count (Art. 32)."""
    signer = signers.SimpleSigner.load(
        str(pki.key_path("stranger")), str(pki.cert_path("stranger"))
    )
    out = BytesIO()
    from pyhanko.sign.fields import SigFieldSpec

    w = IncrementalPdfFileWriter(BytesIO(decree30_pdf()))
    signers.PdfSigner(
        signers.PdfSignatureMetadata(field_name="Stranger"),
        signer,
        new_field_spec=SigFieldSpec("Stranger", box=(350, 150, 500, 210)),
    ).sign_pdf(w, output=out)
    code, reason = rpc_error(
        lambda: sign(
            grpc_channel,
            out.getvalue(),
            key="organisation",
            profile=pb.PROFILE_ORGANISATION,
            level=pb.PADES_B_B,
        )
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "PERSONAL_SIGNATURE_REQUIRED")


def test_attachment_text_box(grpc_channel, pki, assert_pdfsig_ok):
    doc = make_pdf(["Phụ lục: Danh sách cán bộ, công chức", "Sóc Trăng"])
    resp = sign(
        grpc_channel,
        doc,
        key="organisation",
        profile=pb.PROFILE_ATTACHMENT,
        level=pb.PADES_B_T,
        document_number="15/QĐ-UBND",
    )
    assert_pdfsig_ok(resp.document, expected_signatures=1)
    pyhanko_check(resp.document, pki.cert("root"), 1)
    text = pdftotext(resp.document)
    assert "Ủy ban nhân dân tỉnh Sóc Trăng" in text
    assert "Số: 15/QĐ-UBND" in text
    when = resp.signature.signing_time.ToDatetime()
    from datetime import timedelta

    local = (when + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%S") + "+07:00"
    assert local in text
    x1, _, x2, y2 = widget_rects(resp.document)[resp.signature.field_name]
    assert x2 == pytest.approx(595.28 - 20 * MM, abs=0.5)  # top right of page 1
    assert y2 > 841.89 - 20 * MM and x1 > 595.28 / 2
    # the box's font: Liberation Serif (Times New Roman metrics), embedded and subset
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.pdf"
        path.write_bytes(resp.document)
        fonts = subprocess.run(
            ["pdffonts", str(path)], capture_output=True, text=True, check=True
        ).stdout
    serif = [line for line in fonts.splitlines() if "LiberationSerif" in line]
    assert len(serif) >= 2, fonts  # the document's own text and the signature box
    assert all(" yes yes " in f" {' '.join(line.split())} " for line in serif), fonts


def test_attachment_text_outside_the_cached_characters(grpc_channel, assert_pdfsig_ok):
    """Lower-case letters and a decomposed Vietnamese number are drawn and extract back: the
    cached font subset is extended by the characters of the lines (NFC)."""
    doc = make_pdf(["Phụ lục"])
    first = sign(
        grpc_channel,
        doc,
        key="organisation",
        profile=pb.PROFILE_ATTACHMENT,
        level=pb.PADES_B_B,
        document_number=unicodedata.normalize("NFD", "Số 7/TTr-Sở Nội vụ"),
    )
    again = sign(
        grpc_channel,
        first.document,
        key="organisation",
        profile=pb.PROFILE_ATTACHMENT,
        level=pb.PADES_B_B,
        document_number="8/KH-UBND",
        placement=pb.SignPlacement(rect=pb.PageRect(page=1, x1=60, y1=60, x2=300, y2=110)),
    )
    assert_pdfsig_ok(again.document, expected_signatures=2)
    text = pdftotext(again.document)
    assert "Số 7/TTr-Sở Nội vụ" in text
    assert "Số: 8/KH-UBND" in text


def test_attachment_needs_a_number(grpc_channel):
    code, reason = rpc_error(
        lambda: sign(
            grpc_channel, make_pdf(["Phụ lục"]), key="organisation", profile=pb.PROFILE_ATTACHMENT
        )
    )
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "NUMBER_REQUIRED")


def test_profile_not_configured_for_key(grpc_channel):
    code, reason = rpc_error(
        lambda: sign(grpc_channel, decree30_pdf(), key="personal", profile=pb.PROFILE_ORGANISATION)
    )
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "PROFILE_NOT_ALLOWED")


def test_existing_empty_field(grpc_channel, assert_pdfsig_ok):
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    w = IncrementalPdfFileWriter(BytesIO(decree30_pdf()))
    append_signature_field(w, SigFieldSpec("ChuKyLanhDao", box=(340, 140, 520, 215)))
    out = BytesIO()
    w.write(out)
    resp = sign(
        grpc_channel,
        out.getvalue(),
        level=pb.PADES_B_B,
        placement=pb.SignPlacement(field_name="ChuKyLanhDao"),
    )
    assert resp.signature.field_name == "ChuKyLanhDao"
    assert_pdfsig_ok(resp.document, expected_signatures=1)


def test_list_keys(grpc_channel, pki):
    from test_sign_support import stub

    keys = {k.name: k for k in stub(grpc_channel).ListKeys(pb.ListKeysRequest()).keys}
    assert {"personal", "organisation", "personal-ec"} <= set(keys)
    personal = keys["personal"]
    assert "Nguyễn Thị Hồng Nhung" in personal.subject
    assert "CA phục vụ các cơ quan Nhà nước (test)" in personal.issuer
    assert personal.backend == "pkcs11" and personal.key_algorithm == "rsa-2048"
    assert list(keys["organisation"].profiles) == [pb.PROFILE_ORGANISATION, pb.PROFILE_ATTACHMENT]
    assert personal.not_after.ToDatetime() > personal.not_before.ToDatetime()
