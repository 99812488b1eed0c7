"""Self-tests of the shared test infrastructure: if these fail, every other failure is suspect."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import requests
from asn1crypto import crl, ocsp
from documents import DECREE30_NAME, DECREE30_TITLE, decree30_pdf, make_pdf
from pyhanko.sign import signers
from pyhanko.sign.general import load_cert_from_pemder

from kyso.server.settings import Settings


def _ocsp_status(pki, label: str) -> str:
    cert = pki.cert(label)
    issuer = pki.cert("ca")
    request = ocsp.OCSPRequest(
        {
            "tbs_request": {
                "request_list": [
                    {
                        "req_cert": {
                            "hash_algorithm": {"algorithm": "sha256"},
                            "issuer_name_hash": cert.issuer.sha256,
                            "issuer_key_hash": issuer.public_key.sha256,
                            "serial_number": cert.serial_number,
                        }
                    }
                ]
            }
        }
    )
    resp = requests.post(
        pki.ocsp_url("ca"),
        data=request.dump(),
        headers={"Content-Type": "application/ocsp-request"},
        timeout=10,
    )
    assert resp.status_code == 200
    parsed = ocsp.OCSPResponse.load(resp.content)
    assert parsed["response_status"].native == "successful"
    single = parsed.basic_ocsp_response["tbs_response_data"]["responses"][0]
    return str(single["cert_status"].name)


def test_pki_shape(pki) -> None:
    root, ca, personal = pki.cert("root"), pki.cert("ca"), pki.cert("personal")
    assert root.self_signed == "maybe"
    assert ca.issuer == root.subject
    assert ca.subject.native["common_name"] == "CA phục vụ các cơ quan Nhà nước (test)"
    assert ca.subject.native["organization_name"] == "Ban Cơ yếu Chính phủ (test)"
    assert personal.issuer == ca.subject
    assert personal.subject.native["common_name"] == "Nguyễn Thị Hồng Nhung"
    assert personal.subject.native["organization_name"] == "Ủy ban nhân dân tỉnh Sóc Trăng"
    organisation = pki.cert("organisation").subject.native
    assert organisation["common_name"] == "Ủy ban nhân dân tỉnh Sóc Trăng"
    assert personal.key_usage_value.native == {"digital_signature", "non_repudiation"}
    assert pki.cert("personal-wrong-ku").key_usage_value.native == {"key_encipherment"}
    assert pki.cert("personal-ec").public_key.curve[1] == "secp256r1"
    assert pki.cert("personal-rsa1024").public_key.bit_size == 1024
    assert pki.cert("tsa").extended_key_usage_value.native == ["time_stamping"]
    assert pki.cert("ocsp").extended_key_usage_value.native == ["ocsp_signing"]
    assert pki.cert("stranger").issuer == pki.cert("other-root").subject
    for label in ("ca", "personal", "organisation", "tsa"):
        cert = pki.cert(label)
        assert cert.ocsp_urls and cert.ocsp_urls[0].startswith(pki.base_url), label
        assert cert.crl_distribution_points, label
    assert pki.cert_path("personal").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert b"PRIVATE KEY" in pki.key_path("personal").read_bytes()
    assert pki.pkcs12_path("organisation").stat().st_size > 1000


def test_ocsp_over_http(pki) -> None:
    assert _ocsp_status(pki, "personal") == "good"
    assert _ocsp_status(pki, "personal-revoked") == "revoked"


def test_crl_over_http(pki) -> None:
    url = pki.cert("personal").crl_distribution_points[0].url
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 200
    revoked = crl.CertificateList.load(resp.content)["tbs_cert_list"]["revoked_certificates"]
    serials = {r["user_certificate"].native for r in revoked}
    assert pki.cert("personal-revoked").serial_number in serials
    assert pki.cert("personal").serial_number not in serials


def test_softhsm_token_holds_keys(softhsm_token, pki) -> None:
    assert os.environ.get(softhsm_token.pin_env)
    out = subprocess.run(
        [
            "pkcs11-tool",
            "--module",
            softhsm_token.module,
            "--token-label",
            softhsm_token.token_label,
            "--login",
            "--pin",
            softhsm_token.pin,
            "--list-objects",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    ).stdout
    for label in ("personal", "organisation", "personal-ec", "personal-revoked"):
        assert re.search(rf"Private Key Object.*?label:\s+{re.escape(label)}\n", out, re.S), label
        assert re.search(rf"Certificate Object.*?label:\s+{re.escape(label)}\n", out, re.S), label


def test_pdftotext_round_trip(tmp_path: Path) -> None:
    text = "Sóc Trăng, Nguyễn Thị Hồng Nhung, Ủy ban nhân dân"
    path = tmp_path / "doc.pdf"
    path.write_bytes(make_pdf([text, "Độc lập - Tự do - Hạnh phúc"], pages=2))
    out = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert text in out
    assert "Độc lập - Tự do - Hạnh phúc" in out
    assert out.count("\f") == 2
    path.write_bytes(decree30_pdf())
    out = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in (
        DECREE30_NAME,
        *DECREE30_TITLE,
        "ỦY BAN NHÂN DÂN",
        "TỈNH SÓC TRĂNG",
        "Số: 15/QĐ-UBND",
        "Sóc Trăng, ngày 05 tháng 01 năm 2026",
        "QUYẾT ĐỊNH",
        "Nơi nhận:",
        "- Lưu: VT, KT.",
    ):
        assert expected in out, expected
    subprocess.run(["qpdf", "--check", str(path)], capture_output=True, check=True)


def test_pdfsig_trusts_test_root(pki, assert_pdfsig_ok, tmp_path: Path) -> None:
    """A PDF signed with pyHanko by "personal" is Valid and Trusted; by "stranger" it is not."""
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    def _sign(label: str) -> bytes:
        signer = signers.SimpleSigner.load(
            str(pki.key_path(label)),
            str(pki.cert_path(label)),
            ca_chain_files=[str(p) for p in pki.chain_paths(label)],
        )
        assert signer is not None
        out = signers.sign_pdf(
            IncrementalPdfFileWriter(BytesIO(make_pdf(["x"]))),
            signers.PdfSignatureMetadata(field_name="Sig1"),
            signer=signer,
        )
        return out.getvalue()

    assert_pdfsig_ok(_sign("personal"), expected_signatures=1)
    try:
        assert_pdfsig_ok(_sign("stranger"))
    except AssertionError:
        pass
    else:
        raise AssertionError("pdfsig trusted a certificate outside the test root")
    assert load_cert_from_pemder(str(pki.root_path)).self_signed


def test_make_config_loads(make_config, pki, softhsm_token) -> None:
    cfg: Settings = make_config(tsa_url=None, workers=4, keys=["personal", "personal-rsa1024"])
    assert cfg.source is not None and cfg.source.name == "kyso.toml"
    assert cfg.signer.tsa_url is None and cfg.workers == 4
    assert [k.name for k in cfg.keys] == ["personal", "personal-rsa1024"]
    key = cfg.keys[0]
    assert key.backend == "pkcs11" and key.module == softhsm_token.module
    assert key.read_pin() == softhsm_token.pin
    assert key.image is not None and key.image.exists()
    trusted = list(cfg.trust_store_path.glob("*.pem"))
    assert [p.read_bytes() for p in trusted] == [pki.root_path.read_bytes()]

    default = make_config()
    assert default.signer.tsa_url == pki.tsa_url
    names = {k.name: k.profiles for k in default.keys}
    assert names["organisation"] == ("organisation", "attachment")
    assert set(names) == {
        "personal",
        "organisation",
        "personal-revoked",
        "personal-expired",
        "personal-wrong-ku",
        "personal-ec",
    }


def test_redis_url(redis_url) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        assert client.ping()
        client.set("kyso-test:probe", b"1")
        assert client.get("kyso-test:probe") == b"1"
    finally:
        client.close()


def test_kyso_server_health(grpc_channel) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    stub = health_pb2_grpc.HealthStub(grpc_channel)
    resp = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
    assert resp.status == health_pb2.HealthCheckResponse.SERVING


def test_glyph_spacing_matches_font_metrics(tmp_path: Path) -> None:
    """Words are as wide as Liberation Serif says (catches widths in the wrong units)."""
    from documents import FONT_REGULAR
    from fontTools.ttLib import TTFont

    path = tmp_path / "doc.pdf"
    path.write_bytes(make_pdf(["Nguyễn Thị Hồng Nhung"]))
    out = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = "Nguyễn Thị Hồng Nhung"
    match = re.search(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>Nguyễn', out)
    assert match, out
    font = TTFont(str(FONT_REGULAR))
    cmap, hmtx = font.getBestCmap(), font["hmtx"]
    expected = sum(hmtx[cmap[ord(c)]][0] for c in text) / font["head"].unitsPerEm * 13
    assert abs(float(match[2]) - float(match[1]) - expected) < 1.5


def test_tsa_over_http(pki) -> None:
    import asyncio
    import hashlib

    from pyhanko.sign.timestamps import HTTPTimeStamper

    stamper = HTTPTimeStamper(pki.tsa_url, timeout=10)
    token = asyncio.run(stamper.async_timestamp(hashlib.sha256(b"kyso").digest(), "sha256"))
    certs = token["content"]["certificates"]
    assert any(c.chosen.subject == pki.cert("tsa").subject for c in certs)
