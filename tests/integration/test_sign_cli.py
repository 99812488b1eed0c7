"""``kyso keys`` and ``kyso sign`` against the real server, as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys

from documents import DECREE30_NAME, decree30_pdf, make_pdf
from test_sign_support import bulky_pdf

from kyso.cli.main import EXIT_ERROR, main


def test_keys(kyso_server, capsys):
    assert main(["--server", kyso_server, "keys"]) == 0
    out = capsys.readouterr().out
    assert "personal\tpersonal\tpkcs11\trsa-2048" in out
    assert "organisation\torganisation,attachment" in out
    assert "Nguyễn Thị Hồng Nhung" in out


def test_sign_personal_then_organisation(kyso_server, tmp_path, assert_pdfsig_ok, capsys):
    src, personal, both = tmp_path / "qd.pdf", tmp_path / "qd.personal.pdf", tmp_path / "qd.pdf.sig"
    src.write_bytes(decree30_pdf())
    assert (
        main(
            [
                "--server",
                kyso_server,
                "sign",
                str(src),
                "-o",
                str(personal),
                "--key",
                "personal",
                "--profile",
                "personal",
                "--anchor",
                DECREE30_NAME,
                "--level",
                "B-B",
            ]
        )
        == 0
    )
    assert "B-B" in capsys.readouterr().out
    assert_pdfsig_ok(personal, expected_signatures=1)
    assert (
        main(
            [
                "--server",
                kyso_server,
                "sign",
                str(personal),
                "-o",
                str(both),
                "--key",
                "organisation",
                "--profile",
                "organisation",
                "--level",
                "B-T",
            ]
        )
        == 0
    )
    assert_pdfsig_ok(both, expected_signatures=2)


def test_sign_attachment_with_rect_and_number(kyso_server, tmp_path, assert_pdfsig_ok):
    src, out = tmp_path / "pl.pdf", tmp_path / "pl-signed.pdf"
    src.write_bytes(make_pdf(["Phụ lục kèm theo"]))
    assert (
        main(
            [
                "--server",
                kyso_server,
                "sign",
                str(src),
                "-o",
                str(out),
                "--key",
                "organisation",
                "--profile",
                "attachment",
                "--number",
                "15/QĐ-UBND",
                "--page",
                "1",
                "--rect",
                "380,780,560,825",
            ]
        )
        == 0
    )
    assert_pdfsig_ok(out, expected_signatures=1)


def test_failure_leaves_no_output(kyso_server, tmp_path, capsys):
    src, out = tmp_path / "bad.pdf", tmp_path / "never.pdf"
    src.write_bytes(b"not a pdf at all")
    assert (
        main(
            [
                "--server",
                kyso_server,
                "sign",
                str(src),
                "-o",
                str(out),
                "--key",
                "personal",
                "--rect",
                "350,150,500,210",
            ]
        )
        == EXIT_ERROR
    )
    err = capsys.readouterr().err
    assert "NOT_A_PDF" in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_large_file_goes_through_sign_stream(kyso_server, tmp_path, assert_pdfsig_ok):
    """Over 3 MiB the CLI streams (the unary limit of gRPC is 4 MiB by default)."""
    src, out = tmp_path / "big.pdf", tmp_path / "big-signed.pdf"
    src.write_bytes(bulky_pdf(decree30_pdf(), 4 * 1024 * 1024))
    assert src.stat().st_size > 3 * 1024 * 1024
    env = {**os.environ, "KYSO_SERVER": kyso_server}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kyso.cli",
            "sign",
            str(src),
            "-o",
            str(out),
            "--key",
            "personal",
            "--rect",
            "350,150,500,210",
            "--level",
            "B-B",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(src.read_bytes())
    assert_pdfsig_ok(out, expected_signatures=1)
