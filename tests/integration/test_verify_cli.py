"""``kyso verify`` through the real gRPC server: exit codes, --json shape, reports, streaming."""

from __future__ import annotations

import json
import os
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from kyso.cli.main import main
from tests.integration.documents import make_pdf


def _sign(pki: Any, pdf: bytes, label: str = "personal") -> bytes:
    signer = signers.SimpleSigner.load(
        str(pki.key_path(label)),
        str(pki.cert_path(label)),
        ca_chain_files=[str(p) for p in pki.chain_paths(label)],
    )
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    return signers.sign_pdf(
        w, signers.PdfSignatureMetadata(field_name="Sig1"), signer=signer
    ).getvalue()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def files(pki: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    doc = make_pdf(["Công văn số 01/UBND"])
    signed = _sign(pki, doc)
    tampered = bytearray(signed)
    pos = tampered.index(b"/MediaBox")
    tampered[pos + 1] = ord("m")
    # > 3 MiB so the CLI streams it: a large unreferenced stream added before signing
    w = IncrementalPdfFileWriter(BytesIO(doc))
    w.add_object(generic.StreamObject(stream_data=os.urandom(3_500_000)))
    big_unsigned = BytesIO()
    w.write(big_unsigned)
    out = {
        "signed": signed,
        "tampered": bytes(tampered),
        "unsigned": doc,
        "stranger": _sign(pki, doc, "stranger"),
        "big": _sign(pki, big_unsigned.getvalue()),
        "text": b"not a pdf",
    }
    paths = {}
    for name, data in out.items():
        paths[name] = d / f"{name}.pdf"
        paths[name].write_bytes(data)
    return paths


def _run(server: str, *args: str) -> int:
    return main(["--server", server, "verify", *args])


def test_exit_codes(kyso_server: str, files: dict[str, Path], capsys: Any) -> None:
    assert _run(kyso_server, str(files["signed"])) == 0
    assert _run(kyso_server, str(files["tampered"])) == 1
    assert _run(kyso_server, str(files["unsigned"])) == 2
    assert _run(kyso_server, str(files["stranger"])) == 2
    assert _run(kyso_server, str(files["text"])) == 3
    assert _run(kyso_server, str(files["signed"].with_name("missing.pdf"))) == 3
    assert _run("127.0.0.1:1", str(files["signed"]), "--timeout", "2") == 3
    capsys.readouterr()


def test_json_shape(kyso_server: str, files: dict[str, Path], capsys: Any) -> None:
    capsys.readouterr()
    assert _run(kyso_server, str(files["tampered"]), "--json") == 1
    data = json.loads(capsys.readouterr().out)
    assert data["indication"] == "TOTAL_FAILED"
    assert data["sub_indication"] == "HASH_FAILURE"
    assert isinstance(data["signatures"], list) and len(data["signatures"]) == 1
    sig = data["signatures"][0]
    assert sig["indication"] == "TOTAL_FAILED"
    assert sig["sub_indication"] == "HASH_FAILURE"
    assert sig["signer_name"] == "Nguyễn Thị Hồng Nhung"
    assert data["policy"] == "vn-gov"
    assert _run(kyso_server, str(files["signed"]), "--json", "--offline") == 2
    offline = json.loads(capsys.readouterr().out)
    assert offline["signatures"][0]["sub_indication"] == "TRY_LATER"
    assert _run(kyso_server, str(files["unsigned"]), "--json") == 2
    assert json.loads(capsys.readouterr().out)["signatures"] == []


def test_vietnamese_text_and_reports(
    kyso_server: str, files: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    capsys.readouterr()
    pdf_out, html_out = tmp_path / "report.pdf", tmp_path / "report.html"
    assert (
        _run(
            kyso_server,
            str(files["signed"]),
            "--pdf-report",
            str(pdf_out),
            "--policy",
            "vn-gov-strict",
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "KẾT QUẢ KIỂM TRA CHỮ KÝ SỐ: HỢP LỆ" in text
    assert "Người ký: Nguyễn Thị Hồng Nhung" in text
    assert "vn-gov-strict" in text
    assert pdf_out.read_bytes().startswith(b"%PDF-")
    assert _run(kyso_server, str(files["signed"]), "--html-report", str(html_out)) == 0
    assert "Nguyễn Thị Hồng Nhung" in html_out.read_text(encoding="utf-8")


def test_large_file_is_streamed(kyso_server: str, files: dict[str, Path], capsys: Any) -> None:
    capsys.readouterr()
    assert files["big"].stat().st_size > 3 * 1024 * 1024
    assert _run(kyso_server, str(files["big"]), "--json") == 0
    assert json.loads(capsys.readouterr().out)["indication"] == "TOTAL_PASSED"


def test_validation_time_option(kyso_server: str, files: dict[str, Path], capsys: Any) -> None:
    capsys.readouterr()
    # before the signer's certificate existed: never PASSED
    assert (
        _run(kyso_server, str(files["signed"]), "--at", "2021-01-01T00:00:00+07:00", "--json") != 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["validation_time"].startswith("2020-12-31T17:00:00")
