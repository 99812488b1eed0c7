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


# -- many documents at once (issue 12, §9) -------------------------------------------------


def _batch_dir(files: dict[str, Path], tmp_path: Path, names: list[str]) -> Path:
    d = tmp_path / "hop-thu"
    d.mkdir()
    for name in names:
        (d / files[name].name).write_bytes(files[name].read_bytes())
    (d / "ghi-chu.txt").write_text("not a PDF: left out")
    return d


def test_a_directory_is_a_batch_with_a_summary_csv_and_json_lines(
    kyso_server: str, files: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    import csv

    names = ["signed", "tampered", "unsigned", "stranger", "big", "text"]
    d = _batch_dir(files, tmp_path, names)
    out_csv, out_jsonl = tmp_path / "tong-hop.csv", tmp_path / "tong-hop.jsonl"
    capsys.readouterr()
    status = _run(
        kyso_server, str(d), "--csv", str(out_csv), "--json-lines", str(out_jsonl), "--jobs", "3"
    )
    captured = capsys.readouterr()
    assert status == 3  # text.pdf could not be checked: an error, not a signature failure
    assert captured.err == ""  # no progress bar without a terminal, no traceback
    rows = {Path(r["file"]).stem: r for r in csv.DictReader(out_csv.open(encoding="utf-8"))}
    assert set(rows) == set(names)
    assert {k: rows[k]["indication"] for k in names} == {
        "signed": "TOTAL_PASSED",
        "tampered": "TOTAL_FAILED",
        "unsigned": "NO_SIGNATURE_FOUND",
        "stranger": "INDETERMINATE",
        "big": "TOTAL_PASSED",  # streamed (> 3 MiB)
        "text": "ERROR",
    }
    assert rows["text"]["error"].startswith("NOT_A_PDF")
    assert rows["signed"]["signers"] and rows["signed"]["layout"]
    assert rows["tampered"]["sub_indication"] == "HASH_FAILURE"
    lines = [json.loads(line) for line in out_jsonl.read_text(encoding="utf-8").splitlines()]
    assert [Path(line["file"]).stem for line in lines] == sorted(
        Path(files[n].name).stem for n in names
    )
    by_name = {Path(line["file"]).stem: line for line in lines}
    assert by_name["signed"]["report"]["indication"] == "TOTAL_PASSED"
    assert by_name["text"]["report"] is None and by_name["text"]["indication"] == "ERROR"
    # the table on stdout: one line per document, then the total in Vietnamese
    table = captured.out.strip().splitlines()
    assert len(table) == len(names) + 1
    assert table[-1].startswith("6 văn bản: 2 hợp lệ, 1 không hợp lệ")


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["signed", "big"], 0),
        (["signed", "unsigned"], 2),
        (["signed", "stranger", "tampered"], 1),
        (["signed", "tampered", "text"], 3),
    ],
)
def test_the_exit_status_of_a_batch_is_its_worst_result(
    kyso_server: str, files: dict[str, Path], capsys: Any, names: list[str], expected: int
) -> None:
    assert _run(kyso_server, *(str(files[n]) for n in names)) == expected
    capsys.readouterr()


def test_a_batch_without_a_server_is_one_line_and_no_signature_failure(
    files: dict[str, Path], tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "r.csv"
    capsys.readouterr()
    status = main(
        ["--server", "127.0.0.1:1", "verify", str(files["signed"]), str(files["tampered"]),
         "--csv", str(out), "--timeout", "3", "--jobs", "1"]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert status == 3
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert captured.err.startswith("kyso: SERVER_UNREACHABLE: cannot reach the kyso server")
    assert "không kết nối được" in captured.err
    text = out.read_text(encoding="utf-8")
    assert "TOTAL_FAILED" not in text and "ERROR" in text


def test_one_file_without_a_server_is_one_bilingual_line(
    files: dict[str, Path], capsys: Any
) -> None:
    capsys.readouterr()
    assert main(["--server", "127.0.0.1:1", "verify", str(files["signed"]), "--timeout", "3"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "127.0.0.1:1" in err and "không kết nối được" in err


def test_an_output_closed_early_is_one_line(kyso_server: str, files: dict[str, Path]) -> None:
    """``kyso verify x.pdf --json | head -1``: the reader goes away before the report."""
    import subprocess
    import sys

    env = {**os.environ, "KYSO_SERVER": kyso_server}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kyso.cli", "verify", str(files["signed"]), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # as `head` exits: every write of kyso's now fails
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 3
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert err.strip().splitlines() == [err.strip()]
    assert err.startswith("kyso: OUTPUT_CLOSED: ") and "đầu ra" in err


def test_the_credential_hint_names_only_the_options_of_the_command(
    kyso_server: str, files: dict[str, Path], tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    monkeypatch.setenv("KYSO_TOKEN", "")
    monkeypatch.setenv("KYSO_HOME", str(tmp_path))  # no local credential there
    capsys.readouterr()
    assert _run(kyso_server, str(files["signed"])) == 3
    err = capsys.readouterr().err
    assert err.startswith("kyso: UNAUTHENTICATED") and "KYSO_TOKEN" in err
    assert "--token-file" not in err  # `kyso verify` has no such option
    assert main(["--server", kyso_server, "trust", "list"]) == 3
    assert "--token-file" in capsys.readouterr().err


def test_a_batch_shows_a_progress_bar_on_a_terminal(
    kyso_server: str, files: dict[str, Path], tmp_path: Path
) -> None:
    """stderr a terminal: rich's progress bar ("Đang kiểm tra", done/total); stdout a pipe:
    the tab-separated table (the other tests: no terminal, no bar)."""
    import pty
    import subprocess
    import sys

    d = _batch_dir(files, tmp_path, ["signed", "unsigned"])
    leader, follower = pty.openpty()
    env = {**os.environ, "KYSO_SERVER": kyso_server, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kyso.cli", "verify", str(d)],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the process closed its end
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "Đang kiểm tra".encode() in seen and b"/2" in seen
    assert out.decode().splitlines()[-1].startswith("2 văn bản: 1 hợp lệ")
